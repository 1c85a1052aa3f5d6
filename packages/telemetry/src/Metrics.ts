/**
 * Metrics under the OpenTelemetry GenAI names (`gen_ai.client.operation.duration`,
 * `gen_ai.client.token.usage`) plus `am.*` counters, a bus subscriber that updates them from
 * resilience events, and the Prometheus text export.
 *
 * @example
 * ```ts
 * import { Metrics, Telemetry } from "@am/telemetry"
 * const layer = Telemetry.layerBus({ subscribers: [Metrics.subscriber()] })
 * // later: const text = yield* Metrics.prometheus
 * ```
 * @since 0.1.0
 */
import type { ResilienceEvent, Usage } from "@am/core"
import { Effect, Metric } from "effect"
import { PrometheusMetrics } from "effect/observability"
import type { OverflowPolicy, Subscriber } from "./Telemetry.ts"

/** GenAI duration buckets, seconds: 0.01 … 81.92, doubling. */
export const DURATION_BUCKETS: ReadonlyArray<number> = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92
]
/** GenAI token buckets: 1 … 67108864, ×4. */
export const TOKEN_BUCKETS: ReadonlyArray<number> = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864
]

/** `gen_ai.client.operation.duration` (s): one observation per provider call. */
export const operationDuration = Metric.histogram("gen_ai.client.operation.duration", {
  description: "GenAI operation duration (s)",
  boundaries: DURATION_BUCKETS
})
/** `gen_ai.client.token.usage` ({token}): input and output tokens per call, when the provider reported them. */
export const tokenUsage = Metric.histogram("gen_ai.client.token.usage", {
  description: "Tokens used per GenAI operation",
  boundaries: TOKEN_BUCKETS
})
/** `am.attempts`: provider calls by provider, model and outcome (and failure class). */
export const attempts = Metric.counter("am.attempts", { description: "Provider calls", incremental: true })
/** `am.requests`: finished requests by outcome. */
export const requests = Metric.counter("am.requests", { description: "Finished requests", incremental: true })
/** `am.retries`: scheduled retries by provider and reason. */
export const retries = Metric.counter("am.retries", { description: "Scheduled retries", incremental: true })
/** `am.failovers`: model, provider and key failovers by reason. */
export const failovers = Metric.counter("am.failovers", {
  description: "Failovers by kind and reason",
  incremental: true
})
/** `am.breaker.transitions`: circuit state changes (`open`, `half_open`, `closed`) and rejections. */
export const breakerTransitions = Metric.counter("am.breaker.transitions", {
  description: "Circuit breaker transitions",
  incremental: true
})
/** `am.key.penalties`: key penalties and disables by provider and class/reason. */
export const keyPenalties = Metric.counter("am.key.penalties", { description: "Key penalties", incremental: true })
/** `am.mitigations`: prompt rewrites by outcome (`attempt`, `success`, `failure`). */
export const mitigations = Metric.counter("am.mitigations", { description: "Prompt mitigations", incremental: true })
/** `am.guard.verdicts`: the guards' verdicts by kind (`pii`, `injection`, `blocked`, `output`, `limited`) and result. */
export const guardVerdicts = Metric.counter("am.guard.verdicts", {
  description: "Guard verdicts by kind and result",
  incremental: true
})
/** `am.stream.malformed_events`: unparsable stream events skipped (the stream kept), by provider and model. */
export const malformedEvents = Metric.counter("am.stream.malformed_events", {
  description: "Unparsable stream events skipped",
  incremental: true
})
/** `am.events.dropped`: events a subscriber lost, by subscriber and reason (`overflow`, `store_error`, `shutdown_timeout`). */
export const eventsDropped = Metric.counter("am.events.dropped", {
  description: "Events dropped per subscriber",
  incremental: true
})
/** `am.telemetry.subscriber.errors`: subscriber handler failures (the subscriber keeps running). */
export const subscriberErrors = Metric.counter("am.telemetry.subscriber.errors", {
  description: "Subscriber handler failures",
  incremental: true
})

/** Maps a provider (instance) name to `gen_ai.provider.name`; identity by default. */
export type ProviderName = (provider: string) => string

const series = new WeakMap<object, Map<string, Metric.Metric<any, any>>>()

/**
 * `Metric.withAttributes`, memoised per metric and attribute set. A metric instance hashes its
 * attributes into its series key once; a fresh `withAttributes` per update would hash them on
 * every event. Attribute values here have bounded cardinality (providers, models, classes,
 * routes, statuses), so the cache stays small.
 *
 * @example
 * ```ts
 * import { Metrics } from "@am/telemetry"
 * import { Metric } from "effect"
 * const requests = Metric.counter("requests", { incremental: true })
 * Metric.update(Metrics.tagged(requests, { route: "chat", status: "200" }), 1)
 * ```
 */
export const tagged = <I, S>(metric: Metric.Metric<I, S>, attributes: Record<string, string>): Metric.Metric<I, S> => {
  let byKey = series.get(metric)
  if (byKey === undefined) {
    byKey = new Map()
    series.set(metric, byKey)
  }
  let key = ""
  for (const k in attributes) key += `${k}\u0000${attributes[k]}\u0001`
  let m = byKey.get(key)
  if (m === undefined) {
    m = Metric.withAttributes(metric, attributes)
    byKey.set(key, m)
  }
  return m
}

const inc = (m: Metric.Metric<number, unknown>, attrs: Record<string, string>) => Metric.update(tagged(m, attrs), 1)

/**
 * Records `gen_ai.client.token.usage` for one call (`gen_ai.token.type` input and output).
 * The metrics subscriber calls it for every `api.call.success` that carries usage.
 */
export const recordUsage = (options: {
  readonly provider: string
  readonly model: string
  readonly usage: Usage
  readonly operation?: string | undefined
}): Effect.Effect<void> => {
  const base = {
    "gen_ai.operation.name": options.operation ?? "chat",
    "gen_ai.provider.name": options.provider,
    "gen_ai.request.model": options.model
  }
  return Effect.all(
    [
      Metric.update(tagged(tokenUsage, { ...base, "gen_ai.token.type": "input" }), options.usage.inputTokens),
      Metric.update(tagged(tokenUsage, { ...base, "gen_ai.token.type": "output" }), options.usage.outputTokens)
    ],
    { discard: true }
  )
}

/** Updates the metrics for one event. */
export const recordEvent = (event: ResilienceEvent, providerName: ProviderName = (p) => p): Effect.Effect<void> => {
  switch (event.topic) {
    case "api.call.success":
    case "api.call.failure": {
      const genai = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": providerName(event.provider),
        "gen_ai.request.model": event.model
      }
      const failed = event.topic === "api.call.failure"
      const usage = event.topic === "api.call.success" ? event.usage : undefined
      return Effect.all(
        [
          Metric.update(
            tagged(operationDuration, failed ? { ...genai, "error.type": event.errorType } : genai),
            event.latencyMs / 1000
          ),
          inc(attempts, {
            provider: event.provider,
            model: event.model,
            outcome: failed ? "failure" : "success",
            ...(failed ? { class: event.class } : {})
          }),
          usage ? recordUsage({ provider: genai["gen_ai.provider.name"], model: event.model, usage }) : Effect.void
        ],
        { discard: true }
      )
    }
    case "request.succeeded":
      return inc(requests, { outcome: event.outcome })
    case "request.failed":
      return inc(requests, { outcome: "FAILURE", code: event.code })
    case "retry.scheduled":
      return inc(retries, { provider: event.provider, reason: event.reason })
    case "model.failover":
      return inc(failovers, { kind: "model", provider: event.provider, reason: event.reason })
    case "provider.failover":
      return inc(failovers, { kind: "provider", provider: event.fromProvider, reason: event.reason })
    case "api.key.rotation":
      return inc(failovers, { kind: "key", provider: event.provider, reason: event.reason })
    case "circuit.tripped":
      return inc(breakerTransitions, { breaker: event.breaker, provider: event.provider, to: "open" })
    case "circuit.half_open":
      return inc(breakerTransitions, { breaker: event.breaker, provider: event.provider, to: "half_open" })
    case "circuit.reset":
      return inc(breakerTransitions, { breaker: event.breaker, provider: event.provider, to: "closed" })
    case "circuit.rejected":
      return inc(breakerTransitions, { breaker: event.breaker, provider: event.provider, to: "rejected" })
    case "resource.penalized":
      return inc(keyPenalties, { provider: event.provider, kind: "penalized", reason: event.class })
    case "resource.disabled":
      return inc(keyPenalties, { provider: event.provider, kind: "disabled", reason: event.reason })
    case "prompt.humanization.attempt":
      return inc(mitigations, { rewriter: event.rewriter, outcome: "attempt" })
    case "prompt.humanization.success":
      return inc(mitigations, { rewriter: event.rewriter, outcome: "success" })
    case "prompt.humanization.failure":
      return inc(mitigations, { rewriter: event.rewriter, outcome: "failure" })
    case "guard.pii.redacted":
      return Effect.forEach(
        event.counts,
        (c) => Metric.update(tagged(guardVerdicts, { kind: "pii", entity: c.entity, result: c.action }), c.count),
        { discard: true }
      )
    case "guard.injection.scored":
      return inc(guardVerdicts, { kind: "injection", result: event.action })
    case "guard.blocked":
      return inc(guardVerdicts, { kind: "blocked", result: event.reason })
    case "guard.output.checked":
      return inc(guardVerdicts, { kind: "output", result: event.result })
    case "guard.output.limited":
      return inc(guardVerdicts, { kind: "limited", result: event.truncated ? "truncated" : "sanitized" })
    case "guard.verify.judged":
      return inc(guardVerdicts, { kind: "verify", result: event.verdict })
    case "stream.malformed":
      return Metric.update(tagged(malformedEvents, { provider: event.provider, model: event.model }), event.count)
    default:
      return Effect.void
  }
}

/**
 * The metrics subscriber. Backpressured by default: updates are cheap and synchronous, and a
 * counter that silently misses events would lie.
 */
export const subscriber = (options?: {
  readonly providerName?: ProviderName | undefined
  readonly policy?: OverflowPolicy | undefined
  readonly capacity?: number | undefined
}): Effect.Effect<Subscriber> =>
  Effect.succeed({
    name: "metrics",
    policy: options?.policy ?? "backpressure",
    capacity: options?.capacity ?? 4096,
    handle: (batch) => Effect.forEach(batch, (e) => recordEvent(e, options?.providerName), { discard: true })
  })

/**
 * The Prometheus text exposition of every metric in the current registry (names sanitised:
 * `gen_ai.client.operation.duration` → `gen_ai_client_operation_duration`).
 */
export const prometheus: Effect.Effect<string> = PrometheusMetrics.format()
