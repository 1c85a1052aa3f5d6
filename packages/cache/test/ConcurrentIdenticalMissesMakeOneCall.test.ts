// 50 concurrent identical misses make one upstream call: coalesced in the replica, and with
// Redis across two replicas (a fill lock, the others wait for the entry). Every caller gets the
// one answer; a failing leader's error is shared by its waiters rather than retried by each.
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Schema } from "effect"
import { cacheBackends, chat, makeUpstream } from "./cacheSupport.ts"

const input = { workspace: "team-a", route: "default", request: chat }

for (const backend of cacheBackends) {
  describe.skipIf(backend.skip)(`single-flight on ${backend.name}`, () => {
    it.live("50 concurrent identical misses make one upstream call", () =>
      Effect.gen(function* () {
        const [a, b] = yield* backend.replicas({
          routes: { default: { ttl: "10 minutes" } },
          pollInterval: "10 millis"
        })
        const upstream = yield* makeUpstream
        const gate = yield* Deferred.make<void>()
        const slow = Effect.andThen(Deferred.await(gate), upstream.call)
        const fibers = yield* Effect.forEach(
          Array.from({ length: 50 }, (_, i) => i),
          (i) => (i % 2 === 0 ? a : b).getOrCompute(Schema.String, input, slow).pipe(Effect.forkChild)
        )
        // Open the gate once every caller is waiting (the leader is inside the upstream call).
        yield* Effect.yieldNow
        yield* Deferred.succeed(gate, undefined)
        const results = yield* Fiber.joinAll(fibers)
        assert.strictEqual(yield* upstream.calls, 1)
        assert.deepStrictEqual(new Set(results.map((r) => r.value)), new Set(["answer from call 1"]))
        assert.strictEqual(results.filter((r) => r.status === "miss").length, 1)
        assert.strictEqual(results.filter((r) => r.status === "hit").length, 49)
      })
    )

    it.live("waiters share a failing leader's error in the replica", () =>
      Effect.gen(function* () {
        const [a] = yield* backend.replicas({ routes: { default: { ttl: "10 minutes" } } })
        let calls = 0
        const gate = yield* Deferred.make<void>()
        const failing = Effect.andThen(
          Effect.sync(() => calls++),
          Effect.andThen(Deferred.await(gate), Effect.fail("upstream 503"))
        )
        const fibers = yield* Effect.forEach(Array.from({ length: 10 }), () =>
          a.getOrCompute(Schema.String, input, failing).pipe(Effect.flip, Effect.forkChild)
        )
        yield* Effect.yieldNow
        yield* Deferred.succeed(gate, undefined)
        const errors = yield* Fiber.joinAll(fibers)
        assert.deepStrictEqual(new Set(errors), new Set(["upstream 503"]))
        assert.strictEqual(calls, 1)
      })
    )
  })
}
