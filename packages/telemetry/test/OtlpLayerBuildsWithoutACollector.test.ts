import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, Metric, Scope } from "effect"
import { TelemetryOtlp } from "../src/index.ts"

describe("the OTLP layer", () => {
  it.live(
    "builds, records a span and a metric, and shuts down with no collector listening",
    () =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        const context = yield* Layer.buildWithScope(
          TelemetryOtlp.layer({ baseUrl: "http://127.0.0.1:9", serviceName: "am-test", shutdownTimeout: "10 millis" }),
          scope
        )
        const out = yield* Effect.succeed(42).pipe(
          Effect.withSpan("chat gpt-4o"),
          Effect.tap(() => Metric.update(Metric.counter("am.test.otlp"), 1)),
          Effect.provideContext(context)
        )
        assert.strictEqual(out, 42)
        const closed = yield* Scope.close(scope, Exit.void).pipe(Effect.timeoutOption("5 seconds"))
        assert.isTrue(closed._tag === "Some", "shutdown does not hang without a collector")
      }).pipe(Effect.provideService(Metric.MetricRegistry, new Map())),
    10_000
  )
})
