/**
 * `layerCache(config)` builds `@am/cache` from the config: with a Redis `state.store` and a memory
 * ledger, a result stored through one replica's layer is replayed through another's (results in
 * Redis, under `state.prefix`), and a key in flight on one is in progress on the other.
 */
import { Idempotency, requestHash } from "@am/cache"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import { layerCache, loadConfig } from "../src/index.ts"
import { cleanupAfter, redisUrl } from "./support/Redis.ts"

const prefix = `am:test-cache-layers-${Math.random().toString(36).slice(2, 10)}:`

const config = loadConfig({
  providers: {
    primary: { kind: "openai", keys: [{ id: "k1", secret: "sk-cache-layers-0001" }], models: [{ name: "gpt-4o" }] }
  },
  routes: { default: [{ provider: "primary", models: ["gpt-4o"] }] },
  state: { store: redisUrl, prefix },
  idempotency: { retryAfter: "3 seconds" }
})

describe("layerCache follows the config", () => {
  it.effect("two replicas on Redis with a memory ledger replay each other's results", () =>
    Effect.gen(function* () {
      const resolved = yield* config
      // Two builds: two replicas, each with its own Redis connection.
      const a = yield* Layer.build(layerCache(resolved))
      const b = yield* Layer.build(layerCache(resolved))
      const request = { workspace: "team-a", key: "order-1", requestHash: requestHash({ q: 1 }) }
      let calls = 0
      const call = Effect.sync(() => ({ requestId: `req-${++calls}`, value: "answer" }))
      const onA = yield* Effect.flatMap(Effect.service(Idempotency), (i) => i.run(Schema.String, request, call)).pipe(
        Effect.provide(a)
      )
      const onB = yield* Effect.flatMap(Effect.service(Idempotency), (i) => i.run(Schema.String, request, call)).pipe(
        Effect.provide(b)
      )
      assert.deepStrictEqual(onA, { replayed: false, requestId: "req-1", value: "answer" })
      assert.deepStrictEqual(onB, { replayed: true, requestId: "req-1", value: "answer" })
      assert.strictEqual(calls, 1)
      // A key held through A is in progress through B, with the configured retry-after.
      const busy = yield* Effect.scoped(
        Effect.gen(function* () {
          const held = { ...request, key: "order-2" }
          yield* Effect.flatMap(Effect.service(Idempotency), (i) => i.begin(held)).pipe(Effect.provide(a))
          return yield* Effect.flatMap(Effect.service(Idempotency), (i) => i.begin(held)).pipe(Effect.provide(b))
        })
      )
      assert.deepStrictEqual(busy, { _tag: "InProgress", retryAfterMs: 3000 })
    }).pipe(Effect.scoped, Effect.ensuring(Effect.scoped(cleanupAfter(prefix))))
  )
})
