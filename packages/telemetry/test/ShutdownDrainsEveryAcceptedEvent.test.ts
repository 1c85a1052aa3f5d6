import { EventBus, type ResilienceEvent } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Scope } from "effect"
import { TestClock } from "effect/testing"
import { EventWriter, Metrics, Telemetry } from "../src/index.ts"
import { buildIn, droppedCount, isolatedMetrics, recordingStore, success } from "./support.ts"

describe("load: shutdown mid-stream", () => {
  it.effect("accepted = persisted + counted drops, and backpressured subscribers drop nothing", () =>
    Effect.gen(function* () {
      const store = yield* recordingStore
      const seenLive: Array<ResilienceEvent> = []
      const bus = yield* buildIn(
        Telemetry.layerBus({
          subscribers: [
            EventWriter.subscriber({ batchSize: 32, flushInterval: "50 millis", capacity: 64 }),
            Metrics.subscriber({ capacity: 16 }),
            // A live view slower than the publish rate: it must slide.
            Effect.succeed({
              name: "live",
              policy: "sliding" as const,
              capacity: 8,
              maxBatch: 1,
              handle: (batch: ReadonlyArray<ResilienceEvent>) =>
                Effect.sleep("5 millis").pipe(Effect.andThen(Effect.sync(() => seenLive.push(...batch))))
            })
          ]
        }).pipe(Layer.provide(store.layer))
      )
      const publish = bus.get(EventBus).publish
      // Steady rate: 4 events per millisecond of (test) time, forever.
      let n = 0
      const publisher = yield* Effect.forkChild(
        Effect.forever(
          Effect.forEach([0, 1, 2, 3], () => publish(success(n++)), { discard: true }).pipe(
            Effect.andThen(Effect.sleep("1 millis"))
          )
        )
      )
      yield* TestClock.adjust("500 millis")

      // Close mid-stream; the live view still needs (test) time to drain, so advance the clock meanwhile.
      const closing = yield* Effect.forkChild(Scope.close(bus.scope, Exit.void))
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(closing)
      yield* TestClock.adjust("10 millis")
      yield* Fiber.interrupt(publisher)

      const stats = yield* bus.get(Telemetry).stats
      assert.isAbove(stats.accepted, 1000)
      assert.isAbove(stats.rejected, 0, "publishing continued past shutdown")
      assert.strictEqual(store.count(), stats.accepted, "every accepted event persisted")
      assert.strictEqual(yield* droppedCount("writer"), 0)
      assert.strictEqual(yield* droppedCount("metrics"), 0)
      const liveDropped = yield* droppedCount("live")
      assert.isAbove(liveDropped, 0, "the slow live view slid")
      assert.strictEqual(seenLive.length + liveDropped, stats.accepted, "live: handled + counted drops = accepted")
      const text = yield* Metrics.prometheus
      assert.include(text, `am_attempts{provider="openai",model="gpt-4o",outcome="success"} ${stats.accepted}`)
    }).pipe(isolatedMetrics)
  )
})
