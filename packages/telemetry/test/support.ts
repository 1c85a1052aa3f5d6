import { type EventInput, EventStore, type ResilienceEvent, StoreError } from "@am/core"
import { Context, Effect, Layer, Metric, Scope } from "effect"
import { Metrics } from "../src/index.ts"

/** A fresh metric registry, so parallel test files never see each other's counters. */
export const isolatedMetrics = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.provideService(self, Metric.MetricRegistry, new Map())

/** Lets forked fibers run without advancing any clock. */
export const settle = Effect.repeat(Effect.yieldNow, { times: 100 })

/** Builds a layer in a scope the test closes itself (to observe shutdown). */
export const buildIn = <ROut, E, RIn>(layer: Layer.Layer<ROut, E, RIn>) =>
  Effect.gen(function* () {
    const scope = yield* Scope.make()
    const context = yield* Layer.buildWithScope(layer, scope)
    return { scope, context, get: <I extends ROut, S>(tag: Context.Key<I, S>) => Context.get(context, tag) }
  })

/** An `EventStore` test double that records every batch; can be told to fail. */
export const recordingStore = Effect.sync(() => {
  const batches: Array<ReadonlyArray<ResilienceEvent>> = []
  let failing = false
  const layer = Layer.succeed(EventStore, {
    write: (batch) =>
      Effect.suspend(() =>
        failing
          ? Effect.fail(new StoreError({ store: "memory", operation: "write", message: "down" }))
          : Effect.sync(() => void batches.push(batch))
      ),
    since: (at, limit) =>
      Effect.sync(() =>
        batches
          .flat()
          .filter((e) => e.at >= at)
          .slice(0, limit)
      )
  })
  return {
    layer,
    batches,
    count: () => batches.reduce((n, b) => n + b.length, 0),
    setFailing: (f: boolean) => {
      failing = f
    }
  }
})

/** The `am.events.dropped` count for one subscriber and reason. */
export const droppedCount = (subscriber: string, reason = "overflow") =>
  Effect.map(Metric.value(Metric.withAttributes(Metrics.eventsDropped, { subscriber, reason })), (s) => Number(s.count))

export const success = (n: number): EventInput => ({
  topic: "api.call.success",
  requestId: `req-${n}`,
  provider: "openai",
  model: "gpt-4o",
  keyId: "k1",
  keyFingerprint: "fp_0123456789ab",
  attempt: 1,
  latencyMs: 120
})

export const failure = (n: number): EventInput => ({
  topic: "api.call.failure",
  requestId: `req-${n}`,
  provider: "openai",
  model: "gpt-4o",
  keyId: "k2",
  keyFingerprint: "fp_ba9876543210",
  attempt: 2,
  latencyMs: 2500,
  class: "rate_limit",
  scope: "key",
  errorType: "RateLimitError",
  status: 429,
  retryAfterMs: 1000
})
