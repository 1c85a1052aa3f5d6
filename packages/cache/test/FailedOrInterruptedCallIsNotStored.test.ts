// A call that fails, dies or is interrupted stores nothing and releases its key at once: a retry
// runs the call again (and its success is then replayed). A holder that died without releasing
// (its lease left in Redis) blocks the key only until the lease expires.
import { assert, describe, it } from "@effect/vitest"
import { Context, Deferred, Effect, Fiber, Layer, Schedule, Schema } from "effect"
import { Redis } from "effect/persistence"
import { Idempotency, IdempotencyStore, requestHash, slotOf } from "../src/index.ts"
import { cleanupAfter, connection, skipRedis, uniquePrefix } from "./redis.ts"
import { backends, makeUpstream } from "./support.ts"

const request = { workspace: "team-a", key: "job-1", requestHash: requestHash({ prompt: "classify the ticket" }) }

for (const backend of backends) {
  describe.skipIf(backend.skip)(`failures on ${backend.name}`, () => {
    it.live("a failed, a defective and an interrupted call are not stored; the retry runs and is then replayed", () =>
      Effect.gen(function* () {
        const [a, b] = yield* backend.replicas()
        const upstream = yield* makeUpstream
        let attempts = 0
        const counted = <A, E>(effect: Effect.Effect<A, E>) =>
          Effect.andThen(
            Effect.sync(() => attempts++),
            effect
          )

        assert.strictEqual(yield* Effect.flip(a.run(Schema.String, request, counted(Effect.fail("502")))), "502")
        const died = yield* Effect.exit(b.run(Schema.String, request, counted(Effect.die("bug"))))
        assert.isTrue(died._tag === "Failure")

        const started = yield* Deferred.make<void>()
        const hanging = yield* a
          .run(Schema.String, request, counted(Effect.andThen(Deferred.succeed(started, undefined), Effect.never)))
          .pipe(Effect.forkChild)
        yield* Deferred.await(started)
        yield* Fiber.interrupt(hanging)
        assert.deepStrictEqual(yield* a.inFlight, [])

        const ran = yield* b.run(Schema.String, request, counted(upstream.call("billing")))
        assert.deepStrictEqual(ran, { replayed: false, requestId: "req-1", value: "billing" })
        const replay = yield* a.run(Schema.String, request, counted(upstream.call("again")))
        assert.isTrue(replay.replayed)
        assert.strictEqual(attempts, 4)
      })
    )

    it.live("begin's lease is abandoned when its scope closes without complete", () =>
      Effect.gen(function* () {
        const [a, b] = yield* backend.replicas()
        const first = yield* Effect.scoped(a.begin(request))
        assert.strictEqual(first._tag, "Fresh")
        const second = yield* Effect.scoped(b.begin(request))
        assert.strictEqual(second._tag, "Fresh")
      })
    )
  })
}

describe.skipIf(skipRedis)("a holder that died", () => {
  it.live("leaves a lease that blocks the key until it expires, then the key runs", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix()
      yield* cleanupAfter(prefix)
      const live = yield* Layer.build(
        Idempotency.layerRedis({ prefix }).pipe(
          Layer.provideMerge(IdempotencyStore.layerRedis({ prefix })),
          Layer.provideMerge(connection())
        )
      )
      const idempotency = Context.get(live, Idempotency)
      const redis = Context.get(live, Redis.Redis)
      // What a replica that crashed mid-call leaves behind: its lease, with a short remaining life.
      yield* redis.send(
        "SET",
        `${prefix}idem:lease:${slotOf(request.workspace, request.key)}`,
        `dead-holder\n${request.requestHash}`,
        "PX",
        "300"
      )
      const blocked = yield* Effect.scoped(idempotency.begin(request))
      assert.strictEqual(blocked._tag, "InProgress")
      const freed = yield* Effect.scoped(idempotency.begin(request)).pipe(
        Effect.repeat({ until: (r) => r._tag !== "InProgress", schedule: Schedule.spaced("25 millis"), times: 200 })
      )
      assert.strictEqual(freed._tag, "Fresh")
    })
  )
})
