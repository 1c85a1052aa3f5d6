// A key still in flight — on the same replica or, through Redis, on another — answers InProgress
// with the configured Retry-After; opted in, the second request waits and replays the first's
// answer; if the first fails, the waiter runs the call itself.
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Schema } from "effect"
import { IdempotencyError, requestHash } from "../src/index.ts"
import { backends, makeUpstream } from "./support.ts"

const request = { workspace: "team-a", key: "order-7", requestHash: requestHash({ prompt: "draft the memo" }) }

/** A call that signals when it starts and finishes only when `gate` opens. */
const gated = <A, E>(started: Deferred.Deferred<void>, gate: Deferred.Deferred<void>, then: Effect.Effect<A, E>) =>
  Effect.andThen(Deferred.succeed(started, undefined), Effect.andThen(Deferred.await(gate), then))

for (const backend of backends) {
  describe.skipIf(backend.skip)(`a key in flight on ${backend.name}`, () => {
    it.live("answers InProgress with Retry-After on the other replica, and replays once the first finishes", () =>
      Effect.gen(function* () {
        const [a, b] = yield* backend.replicas({ retryAfter: "2 seconds" })
        const upstream = yield* makeUpstream
        const started = yield* Deferred.make<void>()
        const gate = yield* Deferred.make<void>()
        const first = yield* a
          .run(Schema.String, request, gated(started, gate, upstream.call("memo")))
          .pipe(Effect.forkChild)
        yield* Deferred.await(started)

        const busy = yield* Effect.flip(b.run(Schema.String, request, upstream.call("duplicate")))
        assert.instanceOf(busy, IdempotencyError)
        assert.strictEqual(busy.reason._tag, "InProgress")
        assert.strictEqual(busy.reason._tag === "InProgress" ? busy.reason.retryAfterMs : 0, 2000)
        const held = yield* a.inFlight
        assert.deepStrictEqual(
          held.map((h) => [h.workspace, h.key]),
          [["team-a", "order-7"]]
        )

        yield* Deferred.succeed(gate, undefined)
        const done = yield* Fiber.join(first)
        assert.isFalse(done.replayed)
        const later = yield* b.run(Schema.String, request, upstream.call("duplicate"))
        assert.deepStrictEqual(later, { replayed: true, requestId: done.requestId, value: "memo" })
        assert.strictEqual(yield* upstream.calls, 1)
        assert.deepStrictEqual(yield* a.inFlight, [])
      })
    )

    it.live("with waiting opted in, the second request waits for the first and replays its answer", () =>
      Effect.gen(function* () {
        const [a, b] = yield* backend.replicas({ pollInterval: "20 millis" })
        const upstream = yield* makeUpstream
        const started = yield* Deferred.make<void>()
        const gate = yield* Deferred.make<void>()
        const first = yield* a
          .run(Schema.String, request, gated(started, gate, upstream.call("memo")))
          .pipe(Effect.forkChild)
        yield* Deferred.await(started)
        const waiter = yield* b
          .run(Schema.String, { ...request, wait: true }, upstream.call("duplicate"))
          .pipe(Effect.forkChild)
        yield* Deferred.succeed(gate, undefined)
        const done = yield* Fiber.join(first)
        const waited = yield* Fiber.join(waiter)
        assert.deepStrictEqual(waited, { replayed: true, requestId: done.requestId, value: "memo" })
        assert.strictEqual(yield* upstream.calls, 1)
      })
    )

    it.live("a waiter whose first call fails runs the call itself", () =>
      Effect.gen(function* () {
        const [a, b] = yield* backend.replicas({ pollInterval: "20 millis" })
        const upstream = yield* makeUpstream
        const started = yield* Deferred.make<void>()
        const gate = yield* Deferred.make<void>()
        const first = yield* a
          .run(Schema.String, request, gated(started, gate, Effect.fail("upstream 503" as const)))
          .pipe(Effect.forkChild)
        yield* Deferred.await(started)
        const waiter = yield* b
          .run(Schema.String, { ...request, wait: true }, upstream.call("second try"))
          .pipe(Effect.forkChild)
        yield* Deferred.succeed(gate, undefined)
        assert.strictEqual(yield* Effect.flip(Fiber.join(first)), "upstream 503")
        const waited = yield* Fiber.join(waiter)
        assert.deepStrictEqual(waited, { replayed: false, requestId: "req-1", value: "second try" })
      })
    )

    it.live("a wait that runs out answers InProgress", () =>
      Effect.gen(function* () {
        const [a, b] = yield* backend.replicas({ pollInterval: "10 millis", awaitTimeout: "50 millis" })
        const started = yield* Deferred.make<void>()
        const gate = yield* Deferred.make<void>()
        const first = yield* a
          .run(Schema.String, request, gated(started, gate, Effect.succeed({ requestId: "r", value: "v" })))
          .pipe(Effect.forkChild)
        yield* Deferred.await(started)
        const busy = yield* Effect.flip(b.run(Schema.String, { ...request, wait: true }, Effect.die("must not run")))
        assert.strictEqual(busy.reason._tag, "InProgress")
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.join(first)
      })
    )
  })
}
