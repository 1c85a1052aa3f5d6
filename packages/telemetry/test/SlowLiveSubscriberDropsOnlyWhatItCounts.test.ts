import { EventBus, EventLog, type ResilienceEvent } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Scope, Stream } from "effect"
import { Telemetry } from "../src/index.ts"
import { buildIn, droppedCount, isolatedMetrics, settle, success } from "./support.ts"

describe("per-subscriber overflow policy", () => {
  it.effect(
    "a slow sliding subscriber drops the oldest events and counts exactly the drops; a backpressured one drops none",
    () =>
      Effect.gen(function* () {
        const gate = yield* Deferred.make<void>()
        const live: Array<ResilienceEvent> = []
        const durable: Array<ResilienceEvent> = []
        const bus = yield* buildIn(
          Telemetry.layerBus({
            subscribers: [
              Effect.succeed({
                name: "live",
                policy: "sliding" as const,
                capacity: 4,
                maxBatch: 1,
                // Stuck until the gate opens: its queue overflows.
                handle: (batch: ReadonlyArray<ResilienceEvent>) =>
                  Deferred.await(gate).pipe(Effect.andThen(Effect.sync(() => live.push(...batch))))
              }),
              Effect.succeed({
                name: "durable",
                policy: "backpressure" as const,
                capacity: 4,
                handle: (batch: ReadonlyArray<ResilienceEvent>) => Effect.sync(() => durable.push(...batch))
              })
            ]
          })
        )
        const publish = bus.get(EventBus).publish
        yield* Effect.forEach(
          Array.from({ length: 50 }, (_, i) => i),
          (i) => publish(success(i)),
          { discard: true }
        )
        yield* settle
        const before = yield* bus.get(Telemetry).stats
        assert.strictEqual(before.accepted, 50)
        assert.isAbove(before.subscribers.live!.dropped, 0, "the stuck live view overflowed")

        yield* Deferred.succeed(gate, undefined)
        yield* Scope.close(bus.scope, Exit.void)

        const dropped = yield* droppedCount("live")
        assert.strictEqual(dropped, before.subscribers.live!.dropped, "no drops after the gate opened")
        assert.strictEqual(live.length + dropped, 50, "every accepted event was handled or counted as dropped")
        assert.strictEqual(live.at(-1)?.requestId, "req-49", "sliding keeps the newest events")
        assert.strictEqual(yield* droppedCount("durable"), 0)
        assert.deepStrictEqual(
          durable.map((e) => e.requestId),
          Array.from({ length: 50 }, (_, i) => `req-${i}`),
          "the backpressured subscriber got every event, in order"
        )
      }).pipe(isolatedMetrics)
  )

  it.effect("publishing after shutdown is rejected, not accepted", () =>
    Effect.gen(function* () {
      const bus = yield* buildIn(Telemetry.layerBus({ subscribers: [] }))
      yield* bus.get(EventBus).publish(success(1))
      yield* Scope.close(bus.scope, Exit.void)
      yield* bus.get(EventBus).publish(success(2))
      const stats = yield* bus.get(Telemetry).stats
      assert.strictEqual(stats.accepted, 1)
      assert.strictEqual(stats.rejected, 1)
    }).pipe(isolatedMetrics)
  )

  it.effect("subscribe streams live events and ends when the bus closes; EventLog keeps the recent ones", () =>
    Effect.gen(function* () {
      const bus = yield* buildIn(Telemetry.layerBus({ subscribers: [], recent: 2 }))
      const collector = yield* Stream.runCollect(bus.get(EventBus).subscribe).pipe(Effect.forkChild)
      yield* settle
      yield* Effect.forEach([1, 2, 3], (i) => bus.get(EventBus).publish(success(i)), { discard: true })
      yield* Scope.close(bus.scope, Exit.void)
      const seen = yield* Fiber.join(collector)
      assert.deepStrictEqual(
        Array.from(seen, (e) => e.requestId),
        ["req-1", "req-2", "req-3"]
      )
      const recent = yield* bus.get(EventLog).all
      assert.deepStrictEqual(
        recent.map((e) => e.requestId),
        ["req-2", "req-3"],
        "EventLog keeps the most recent `recent` events"
      )
    }).pipe(isolatedMetrics)
  )
})
