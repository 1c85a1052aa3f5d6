/**
 * Structured JSON logs: one line per provider call (`api.call.success` / `api.call.failure`)
 * with an explicit allow-list of fields — provider, model, key id and fingerprint, failure
 * class, latency, request id. Events never carry secrets or prompt text; the allow-list makes
 * sure a future field cannot leak into the logs by accident.
 *
 * @example
 * ```ts
 * import { JsonLogs, Telemetry } from "@am/telemetry"
 * const layer = Telemetry.layerBus({ subscribers: [JsonLogs.subscriber()] })
 * ```
 * @since 0.1.0
 */
import type { ResilienceEvent } from "@am/core"
import { Console, Effect } from "effect"
import type { OverflowPolicy, Subscriber } from "./Telemetry.ts"

/** The only fields a log line may contain, in output order (event field → JSON key). */
export const ALLOWED_FIELDS: ReadonlyArray<readonly [string, string]> = [
  ["requestId", "request_id"],
  ["provider", "provider"],
  ["model", "model"],
  ["keyId", "key_id"],
  ["keyFingerprint", "key_fingerprint"],
  ["attempt", "attempt"],
  ["class", "class"],
  ["scope", "scope"],
  ["errorType", "error_type"],
  ["status", "status"],
  ["latencyMs", "latency_ms"],
  ["retryAfterMs", "retry_after_ms"]
]

/** Topics logged by default: one line per attempt. */
export const ATTEMPT_TOPICS: ReadonlyArray<string> = ["api.call.success", "api.call.failure"]

/** Renders one event as a JSON line (allow-listed fields only), or `undefined` for other topics. */
export const format = (event: ResilienceEvent, topics: ReadonlyArray<string> = ATTEMPT_TOPICS): string | undefined => {
  if (!topics.includes(event.topic)) return undefined
  const source = event as unknown as Record<string, unknown>
  const line: Record<string, unknown> = {
    ts: new Date(event.at).toISOString(),
    level: event.topic === "api.call.failure" ? "warn" : "info",
    event: event.topic
  }
  for (const [from, to] of ALLOWED_FIELDS) {
    const value = source[from]
    // Only scalars: an object-valued field could smuggle arbitrary content.
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") line[to] = value
  }
  return JSON.stringify(line)
}

/**
 * The JSON-log subscriber. A live view: sliding by default (a slow log sink loses the oldest
 * lines, counted in `am.events.dropped{subscriber="logs"}`, and never slows a request).
 */
export const subscriber = (options?: {
  /** Where lines go (default `Console.log`, i.e. stdout). */
  readonly sink?: ((line: string) => Effect.Effect<void>) | undefined
  readonly topics?: ReadonlyArray<string> | undefined
  readonly policy?: OverflowPolicy | undefined
  readonly capacity?: number | undefined
}): Effect.Effect<Subscriber> =>
  Effect.succeed({
    name: "logs",
    policy: options?.policy ?? "sliding",
    capacity: options?.capacity ?? 4096,
    handle: (batch) => {
      const sink = options?.sink ?? ((line: string) => Console.log(line))
      return Effect.forEach(
        batch,
        (event) => {
          const line = format(event, options?.topics)
          return line === undefined ? Effect.void : sink(line)
        },
        { discard: true }
      )
    }
  })
