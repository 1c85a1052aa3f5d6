import { EventBus } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, Schedule, Scope } from "effect"
import { TestClock } from "effect/testing"
import { EventWriter, Telemetry } from "../src/index.ts"
import { buildIn, droppedCount, isolatedMetrics, recordingStore, settle, success } from "./support.ts"

const publishN = (publish: EventBus["Service"]["publish"], from: number, n: number) =>
  Effect.forEach(
    Array.from({ length: n }, (_, i) => from + i),
    (i) => publish(success(i)),
    { discard: true }
  )

describe("the batched event writer", () => {
  it.effect("a partial batch waits for the interval; full batches flush at once", () =>
    Effect.gen(function* () {
      const store = yield* recordingStore
      const bus = yield* buildIn(
        Telemetry.layerBus({
          subscribers: [EventWriter.subscriber({ batchSize: 5, flushInterval: "1 second" })]
        }).pipe(Layer.provide(store.layer))
      )
      const publish = bus.get(EventBus).publish

      yield* publishN(publish, 0, 3)
      yield* settle
      yield* TestClock.adjust("999 millis")
      assert.strictEqual(store.batches.length, 0, "3 < batchSize: nothing written before the interval")
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual(
        store.batches.map((b) => b.length),
        [3],
        "the interval flushed the partial batch"
      )

      yield* publishN(publish, 3, 12)
      yield* settle
      assert.deepStrictEqual(
        store.batches.map((b) => b.length),
        [3, 5, 5],
        "full batches are written without waiting"
      )
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(
        store.batches.map((b) => b.length),
        [3, 5, 5, 2]
      )
      assert.deepStrictEqual(
        store.batches.flat().map((e) => e.requestId),
        Array.from({ length: 15 }, (_, i) => `req-${i}`),
        "written in publish order"
      )
      yield* Scope.close(bus.scope, Exit.void)
    }).pipe(isolatedMetrics)
  )

  it.effect("closing the scope writes the partial batch without waiting for the interval", () =>
    Effect.gen(function* () {
      const store = yield* recordingStore
      const bus = yield* buildIn(
        Telemetry.layerBus({
          subscribers: [EventWriter.subscriber({ batchSize: 100, flushInterval: "1 hour" })]
        }).pipe(Layer.provide(store.layer))
      )
      yield* publishN(bus.get(EventBus).publish, 0, 7)
      yield* Scope.close(bus.scope, Exit.void)
      assert.strictEqual(store.count(), 7)
    }).pipe(isolatedMetrics)
  )

  it.effect("a batch the store keeps refusing is counted as dropped with reason store_error", () =>
    Effect.gen(function* () {
      const store = yield* recordingStore
      store.setFailing(true)
      const bus = yield* buildIn(
        Telemetry.layerBus({
          subscribers: [EventWriter.subscriber({ batchSize: 4, retry: Schedule.recurs(2) })]
        }).pipe(Layer.provide(store.layer))
      )
      yield* publishN(bus.get(EventBus).publish, 0, 4)
      yield* Scope.close(bus.scope, Exit.void)
      assert.strictEqual(store.count(), 0)
      assert.strictEqual(yield* droppedCount("writer", "store_error"), 4)
    }).pipe(isolatedMetrics)
  )
})
