import { EventBus, type ResilienceEvent } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Scope } from "effect"
import { TestClock } from "effect/testing"
import { Telemetry } from "../src/index.ts"
import { buildIn, droppedCount, isolatedMetrics, settle, success } from "./support.ts"

describe("shutdown timeout", () => {
  it.effect("a subscriber that never finishes is interrupted after the timeout; what it held counts as dropped", () =>
    Effect.gen(function* () {
      const bus = yield* buildIn(
        Telemetry.layerBus({
          shutdownTimeout: "5 seconds",
          subscribers: [
            Effect.succeed({
              name: "stuck",
              policy: "sliding" as const,
              capacity: 100,
              maxBatch: 2,
              handle: (_: ReadonlyArray<ResilienceEvent>) => Effect.never
            })
          ]
        })
      )
      yield* Effect.forEach([1, 2, 3, 4, 5], (i) => bus.get(EventBus).publish(success(i)), { discard: true })
      yield* settle
      const closing = yield* Effect.forkChild(Scope.close(bus.scope, Exit.void))
      yield* TestClock.adjust("4999 millis")
      assert.isUndefined(closing.pollUnsafe(), "shutdown waits up to the timeout")
      yield* TestClock.adjust("1 millis")
      yield* Fiber.join(closing)
      assert.strictEqual(yield* droppedCount("stuck", "shutdown_timeout"), 5, "2 in hand + 3 queued")
      assert.strictEqual(yield* droppedCount("stuck"), 0, "no overflow")
    }).pipe(isolatedMetrics)
  )
})
