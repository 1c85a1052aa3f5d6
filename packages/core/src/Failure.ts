/**
 * Failure classes, scopes and the classification every failure receives.
 *
 * The scope decides where the engine answers a failure (DESIGN.md, "One request, end to end"):
 *
 * | scope      | next step                                                           |
 * | ---------- | ------------------------------------------------------------------- |
 * | `request`  | stop; no fallback (another provider would fail the same way)        |
 * | `key`      | penalise or disable the key; next key, same model                   |
 * | `model`    | next model (context length: only models with a larger window)       |
 * | `provider` | breaker failure; backoff retry within budget, then next provider    |
 * | `content`  | mitigation (rewrite once, or policy-allowed fallback), then stop    |
 *
 * Seed categories (`004_…`, `ErrorCategory`) map onto classes as follows:
 *
 * | seed category    | classes                                                                                  |
 * | ---------------- | ---------------------------------------------------------------------------------------- |
 * | `FATAL`          | `invalid_request`, `request_too_large`, `auth_invalid`, `permission_denied`, `quota_exhausted`, `model_not_found`, `context_length_exceeded` |
 * | `TRANSIENT`      | `rate_limit`, `overloaded`, `server_error`, `timeout`, `network`, `conflict`, `stream_interrupted` |
 * | `CONTENT_POLICY` | `content_policy`                                                                          |
 * | `UNKNOWN`        | `unknown` (treated as transient, bounded)                                                 |
 *
 * "Fatal" in the seed meant "don't retry the same target"; here a fatal class still fails over
 * when its scope is narrower than the request (a dead key rotates, a retired model is skipped).
 *
 * @example
 * ```ts
 * import { seedCategory } from "@am/core"
 * seedCategory("rate_limit") // "TRANSIENT"
 * ```
 * @since 0.1.0
 */
import { Schema } from "effect"

export const FailureScope = Schema.Literals(["request", "key", "model", "provider", "content"])
export type FailureScope = typeof FailureScope.Type

export const FailureClass = Schema.Literals([
  "invalid_request",
  "request_too_large",
  "auth_invalid",
  "permission_denied",
  "quota_exhausted",
  "rate_limit",
  "model_not_found",
  "context_length_exceeded",
  "overloaded",
  "server_error",
  "timeout",
  "network",
  "conflict",
  "stream_interrupted",
  "content_policy",
  "unknown"
])
export type FailureClass = typeof FailureClass.Type

export const SeedCategory = Schema.Literals(["FATAL", "TRANSIENT", "CONTENT_POLICY", "UNKNOWN"])
export type SeedCategory = typeof SeedCategory.Type

const seedTable: Record<FailureClass, SeedCategory> = {
  invalid_request: "FATAL",
  request_too_large: "FATAL",
  auth_invalid: "FATAL",
  permission_denied: "FATAL",
  quota_exhausted: "FATAL",
  model_not_found: "FATAL",
  context_length_exceeded: "FATAL",
  rate_limit: "TRANSIENT",
  overloaded: "TRANSIENT",
  server_error: "TRANSIENT",
  timeout: "TRANSIENT",
  network: "TRANSIENT",
  conflict: "TRANSIENT",
  stream_interrupted: "TRANSIENT",
  content_policy: "CONTENT_POLICY",
  unknown: "UNKNOWN"
}

/** The seed `004_…` category of a failure class. */
export const seedCategory = (cls: FailureClass): SeedCategory => seedTable[cls]

/**
 * What the classifier concluded about one failure. `errorType` is the low-cardinality value for
 * OpenTelemetry's `error.type` (the provider's own code where it has one).
 */
export const Classification = Schema.Struct({
  class: FailureClass,
  scope: FailureScope,
  retryable: Schema.Boolean,
  retryAfterMs: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))),
  errorType: Schema.String,
  /** Which table row matched, for operators (`openai.429.insufficient_quota`, …). */
  rule: Schema.String
})
export type Classification = typeof Classification.Type
