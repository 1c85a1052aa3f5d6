import { EventBus, EventStore } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, Scope } from "effect"
import { EventWriter, Metrics, Telemetry } from "../src/index.ts"
import { buildIn, failure, isolatedMetrics, success } from "./support.ts"

describe("Telemetry.layer", () => {
  it.effect("logs each attempt, updates the metrics and persists every event into the EventStore", () =>
    Effect.gen(function* () {
      const lines: Array<string> = []
      const built = yield* buildIn(
        Telemetry.layer({
          logs: { sink: (line) => Effect.sync(() => void lines.push(line)) },
          writer: { batchSize: 10, flushInterval: "1 hour" }
        }).pipe(Layer.provideMerge(EventWriter.layerMemoryStore))
      )
      const publish = built.get(EventBus).publish
      yield* publish(success(1))
      yield* publish(failure(2))
      yield* publish({
        topic: "request.succeeded",
        outcome: "SUCCESS",
        provider: "openai",
        model: "gpt-4o",
        attempts: 2,
        latencyMs: 300
      })
      yield* Scope.close(built.scope, Exit.void)

      assert.strictEqual(lines.length, 2)
      const stored = yield* built.get(EventStore).since(0, 100)
      assert.deepStrictEqual(
        stored.map((e) => e.topic),
        ["api.call.success", "api.call.failure", "request.succeeded"]
      )
      const stats = yield* built.get(Telemetry).stats
      assert.deepStrictEqual(Object.keys(stats.subscribers).sort(), ["logs", "metrics", "writer"])
      assert.include(yield* Metrics.prometheus, 'am_requests{outcome="SUCCESS"} 1')
    }).pipe(isolatedMetrics)
  )
})
