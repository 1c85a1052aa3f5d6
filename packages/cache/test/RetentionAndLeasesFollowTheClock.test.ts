// On the TestClock: a stored result is replayed for its retention (default 24 hours,
// configurable) and runs again after it; a holder that keeps running keeps its lease past the
// lease TTL (it is extended), so the key stays in progress rather than running twice.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import { TestClock } from "effect/testing"
import { CacheConfigError, Idempotency, IdempotencySql, requestHash } from "../src/index.ts"
import { makeUpstream, sqliteClient } from "./support.ts"

const request = { workspace: "team-a", key: "report-9", requestHash: requestHash({ prompt: "the report" }) }

const backends = [
  { name: "memory", layer: (config = {}) => Idempotency.layerMemory(config) },
  {
    name: "sqlite",
    layer: (config = {}) =>
      Idempotency.layer(config).pipe(Layer.provide(IdempotencySql.layer), Layer.provide(sqliteClient()), Layer.orDie)
  }
]

for (const backend of backends) {
  describe(`retention on ${backend.name}`, () => {
    it.effect("replays for 24 hours by default, then the key runs again", () =>
      Effect.gen(function* () {
        const idempotency = yield* Idempotency
        const upstream = yield* makeUpstream
        yield* idempotency.run(Schema.String, request, upstream.call("v1"))
        yield* TestClock.adjust("23 hours")
        assert.isTrue((yield* idempotency.run(Schema.String, request, upstream.call("v2"))).replayed)
        yield* TestClock.adjust("1 hour")
        const after = yield* idempotency.run(Schema.String, request, upstream.call("v2"))
        assert.deepStrictEqual(after, { replayed: false, requestId: "req-2", value: "v2" })
      }).pipe(Effect.provide(backend.layer()))
    )

    it.effect("a configured retention is honoured", () =>
      Effect.gen(function* () {
        const idempotency = yield* Idempotency
        const upstream = yield* makeUpstream
        yield* idempotency.run(Schema.String, request, upstream.call("v1"))
        yield* TestClock.adjust("59 minutes")
        assert.isTrue((yield* idempotency.run(Schema.String, request, upstream.call("v2"))).replayed)
        yield* TestClock.adjust("1 minute")
        assert.isFalse((yield* idempotency.run(Schema.String, request, upstream.call("v2"))).replayed)
        assert.strictEqual(yield* upstream.calls, 2)
      }).pipe(Effect.provide(backend.layer({ retention: "1 hour" })))
    )

    it.effect("a long-running holder keeps its lease past the lease TTL", () =>
      Effect.scoped(
        Effect.gen(function* () {
          const idempotency = yield* Idempotency
          const first = yield* idempotency.begin(request)
          assert.strictEqual(first._tag, "Fresh")
          yield* TestClock.adjust("5 minutes")
          const second = yield* Effect.scoped(idempotency.begin(request))
          assert.strictEqual(second._tag, "InProgress")
        })
      ).pipe(Effect.provide(backend.layer({ leaseTtl: "10 seconds" })))
    )
  })
}

describe("idempotency config", () => {
  it.effect("a bad duration fails the layer with the field's path", () =>
    Effect.gen(function* () {
      for (const [config, field] of [
        [{ retention: "soon" }, "idempotency.retention"],
        [{ leaseTtl: 0 }, "idempotency.leaseTtl"],
        [{ retryAfter: "Infinity" }, "idempotency.retryAfter"],
        [{ pollInterval: -5 }, "idempotency.pollInterval"]
      ] as const) {
        const error = yield* Effect.flip(Layer.build(Idempotency.layerMemory(config as never)))
        assert.instanceOf(error, CacheConfigError)
        assert.strictEqual(error.field, field)
      }
    })
  )
})
