// The same key with another request body is refused (KeyReused, HTTP 422), whether the first
// request has finished or is still in flight, and the call is not made.
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Schema } from "effect"
import { requestHash } from "../src/index.ts"
import { backends, makeUpstream } from "./support.ts"

const bodyA = { model: "gpt-4o", messages: [{ role: "user", content: "refund order 42" }], temperature: 0 }
const bodyB = { ...bodyA, temperature: 0.7 }

for (const backend of backends) {
  describe.skipIf(backend.skip)(`a reused key on ${backend.name}`, () => {
    it.live("is refused after the first finished, and while it is in flight", () =>
      Effect.gen(function* () {
        const [a, b] = yield* backend.replicas()
        const upstream = yield* makeUpstream
        yield* a.run(Schema.String, { workspace: "w", key: "k1", requestHash: requestHash(bodyA) }, upstream.call("ok"))
        const reused = yield* Effect.flip(
          b.run(Schema.String, { workspace: "w", key: "k1", requestHash: requestHash(bodyB) }, upstream.call("no"))
        )
        assert.strictEqual(reused.reason._tag, "KeyReused")

        const started = yield* Deferred.make<void>()
        const gate = yield* Deferred.make<void>()
        const first = yield* a
          .run(
            Schema.String,
            { workspace: "w", key: "k2", requestHash: requestHash(bodyA) },
            Effect.andThen(
              Deferred.succeed(started, undefined),
              Effect.andThen(Deferred.await(gate), upstream.call("ok"))
            )
          )
          .pipe(Effect.forkChild)
        yield* Deferred.await(started)
        const whileInFlight = yield* Effect.flip(
          b.run(
            Schema.String,
            { workspace: "w", key: "k2", requestHash: requestHash(bodyB), wait: true },
            upstream.call("no")
          )
        )
        assert.strictEqual(whileInFlight.reason._tag, "KeyReused")
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.join(first)
        assert.strictEqual(yield* upstream.calls, 2)
      })
    )

    it.live("rejects an empty workspace or a key that is not 1–256 printable ASCII, naming the field", () =>
      Effect.gen(function* () {
        const [a] = yield* backend.replicas()
        const hash = requestHash(bodyA)
        for (const workspace of ["", "team\u0000a"]) {
          const bad = yield* Effect.flip(
            a.run(Schema.String, { workspace, key: "k", requestHash: hash }, Effect.die("x"))
          )
          assert.deepStrictEqual(bad.reason._tag === "InvalidKey" ? bad.reason.field : undefined, "workspace")
        }
        for (const key of ["", "with space", "x".repeat(257), "naïve"]) {
          const bad = yield* Effect.flip(
            a.run(Schema.String, { workspace: "w", key, requestHash: hash }, Effect.die("x"))
          )
          assert.deepStrictEqual(bad.reason._tag === "InvalidKey" ? bad.reason.field : undefined, "Idempotency-Key")
        }
      })
    )
  })
}
