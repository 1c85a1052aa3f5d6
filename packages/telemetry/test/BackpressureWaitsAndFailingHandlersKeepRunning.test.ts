import { EventBus, type ResilienceEvent } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Metric, Scope } from "effect"
import { Metrics, Telemetry } from "../src/index.ts"
import { buildIn, droppedCount, isolatedMetrics, settle, success } from "./support.ts"

describe("backpressure and failing subscribers", () => {
  it.effect("a publisher waits while a backpressured queue is full, and resumes when the subscriber catches up", () =>
    Effect.gen(function* () {
      const gate = yield* Deferred.make<void>()
      const got: Array<ResilienceEvent> = []
      const bus = yield* buildIn(
        Telemetry.layerBus({
          subscribers: [
            Effect.succeed({
              name: "ledger",
              policy: "backpressure" as const,
              capacity: 2,
              maxBatch: 1,
              handle: (batch: ReadonlyArray<ResilienceEvent>) =>
                Deferred.await(gate).pipe(Effect.andThen(Effect.sync(() => got.push(...batch))))
            })
          ]
        })
      )
      const publish = bus.get(EventBus).publish
      // 1 in the handler + 2 queued: the queue is full now.
      yield* Effect.forEach([1, 2, 3], (i) => publish(success(i)).pipe(Effect.andThen(settle)), { discard: true })
      const fourth = yield* Effect.forkChild(publish(success(4)))
      yield* settle
      assert.isUndefined(fourth.pollUnsafe(), "the 4th publish waits for room")
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(fourth)
      yield* Scope.close(bus.scope, Exit.void)
      assert.deepStrictEqual(
        got.map((e) => e.requestId),
        ["req-1", "req-2", "req-3", "req-4"]
      )
      assert.strictEqual(yield* droppedCount("ledger"), 0)
    }).pipe(isolatedMetrics)
  )

  it.effect("a handler that dies is counted and the subscriber keeps handling later events", () =>
    Effect.gen(function* () {
      const got: Array<string | undefined> = []
      const bus = yield* buildIn(
        Telemetry.layerBus({
          subscribers: [
            Effect.succeed({
              name: "flaky",
              policy: "backpressure" as const,
              maxBatch: 1,
              handle: (batch: ReadonlyArray<ResilienceEvent>) =>
                batch[0]?.requestId === "req-1"
                  ? Effect.die("boom")
                  : Effect.sync(() => void got.push(batch[0]?.requestId))
            })
          ]
        })
      )
      yield* Effect.forEach([1, 2, 3], (i) => bus.get(EventBus).publish(success(i)), { discard: true })
      yield* Scope.close(bus.scope, Exit.void)
      assert.deepStrictEqual(got, ["req-2", "req-3"])
      const errors = yield* Metric.value(Metric.withAttributes(Metrics.subscriberErrors, { subscriber: "flaky" }))
      assert.strictEqual(Number(errors.count), 1)
    }).pipe(isolatedMetrics)
  )
})
