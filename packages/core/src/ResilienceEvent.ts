/**
 * Resilience events: one typed union keyed by `topic`. Topic names start from seed `004_…`'s
 * `event_topics.py` (`api.call.success`, `api.key.rotation`, `model.failover`, `circuit.tripped`,
 * `resource.penalized`, `prompt.humanization.*`, `bias.ledger.entry.created`, …) and add what the
 * engine needs (request lifecycle, retries, the retry budget, skipped providers, half-open and
 * rejected breakers, disabled keys, deadlines). Events never carry secrets or prompt text: keys
 * appear as id + fingerprint.
 *
 * @example
 * ```ts
 * import { ResilienceEvent } from "@am/core"
 * const e: ResilienceEvent = { topic: "circuit.reset", at: Date.now(), breaker: "primary" }
 * ```
 * @since 0.1.0
 */
import { Schema } from "effect"
import { FailureClass, FailureScope } from "./Failure.ts"
import { Usage } from "./Usage.ts"

const base = {
  /** Epoch milliseconds from the Clock. */
  at: Schema.Finite,
  requestId: Schema.optionalKey(Schema.String)
}
const key = {
  provider: Schema.String,
  keyId: Schema.String,
  keyFingerprint: Schema.String
}
const call = {
  provider: Schema.String,
  model: Schema.String,
  keyId: Schema.String,
  keyFingerprint: Schema.String,
  attempt: Schema.Int
}
const t = <T extends string, F extends Schema.Struct.Fields>(topic: T, fields: F) =>
  Schema.Struct({ topic: Schema.Literal(topic), ...base, ...fields })

export const RequestOutcome = Schema.Literals(["SUCCESS", "MITIGATED_SUCCESS", "FAILURE"])
export type RequestOutcome = typeof RequestOutcome.Type

export const ResilienceEvent = Schema.Union([
  t("request.started", { route: Schema.String, workspaceId: Schema.optionalKey(Schema.String) }),
  t("request.succeeded", {
    outcome: RequestOutcome,
    provider: Schema.String,
    model: Schema.String,
    attempts: Schema.Int,
    latencyMs: Schema.Finite
  }),
  t("request.failed", { code: Schema.String, attempts: Schema.Int, latencyMs: Schema.Finite }),
  t("api.call.started", call),
  t("api.call.success", { ...call, latencyMs: Schema.Finite, usage: Schema.optionalKey(Usage) }),
  t("api.call.failure", {
    ...call,
    latencyMs: Schema.Finite,
    class: FailureClass,
    scope: FailureScope,
    errorType: Schema.String,
    status: Schema.optionalKey(Schema.Int),
    retryAfterMs: Schema.optionalKey(Schema.Finite)
  }),
  t("api.key.rotation", {
    provider: Schema.String,
    model: Schema.String,
    fromKeyId: Schema.String,
    reason: FailureClass
  }),
  t("model.failover", {
    provider: Schema.String,
    fromModel: Schema.String,
    reason: Schema.String
  }),
  t("provider.failover", { fromProvider: Schema.String, reason: Schema.String }),
  t("provider.skipped", {
    provider: Schema.String,
    model: Schema.optionalKey(Schema.String),
    reason: Schema.Literals([
      "circuit_open",
      "capability",
      "context_window",
      "no_healthy_key",
      "retry_budget",
      "model_unavailable"
    ])
  }),
  t("retry.scheduled", {
    provider: Schema.String,
    model: Schema.String,
    attempt: Schema.Int,
    delayMs: Schema.Finite,
    reason: FailureClass
  }),
  t("retry.budget.exhausted", { provider: Schema.String, tokens: Schema.Finite }),
  t("all.providers.failed", { attempts: Schema.Int }),
  t("deadline.exceeded", { elapsedMs: Schema.Finite }),
  /** A stream failed after its first content token reached the client: the answer is cut. */
  t("stream.interrupted", {
    provider: Schema.String,
    model: Schema.String,
    outputChars: Schema.Int,
    class: Schema.optionalKey(FailureClass),
    reason: Schema.String
  }),
  /**
   * A stream cut after its first token goes on from another candidate (assistant prefill): the
   * client's stream continues with what that candidate adds after the `afterChars` already sent.
   */
  t("stream.continued", {
    fromProvider: Schema.String,
    fromModel: Schema.String,
    provider: Schema.String,
    model: Schema.String,
    afterChars: Schema.Int,
    reason: Schema.String
  }),
  /** Unparsable stream events skipped (and the stream kept) on one request's calls to a provider. */
  t("stream.malformed", {
    provider: Schema.String,
    model: Schema.String,
    count: Schema.Int
  }),
  /** A stream's candidate sent no content within `hedgeAfter`: the next candidate started beside it. */
  t("stream.hedged", {
    provider: Schema.String,
    model: Schema.String,
    hedgeProvider: Schema.String,
    hedgeModel: Schema.String,
    afterMs: Schema.Finite
  }),
  t("circuit.tripped", {
    breaker: Schema.String,
    provider: Schema.String,
    model: Schema.optionalKey(Schema.String),
    openForMs: Schema.Finite
  }),
  t("circuit.half_open", { breaker: Schema.String, provider: Schema.String, model: Schema.optionalKey(Schema.String) }),
  t("circuit.reset", { breaker: Schema.String, provider: Schema.String, model: Schema.optionalKey(Schema.String) }),
  t("circuit.rejected", { breaker: Schema.String, provider: Schema.String, model: Schema.optionalKey(Schema.String) }),
  t("resource.penalized", { ...key, class: FailureClass, cooldownMs: Schema.Finite, penalty: Schema.Finite }),
  t("resource.disabled", { ...key, reason: Schema.String }),
  t("resource.health.restored", key),
  t("resource.healed.all", { provider: Schema.String }),
  t("prompt.humanization.attempt", { rewriter: Schema.String, reason: Schema.String }),
  t("prompt.humanization.success", { rewriter: Schema.String, latencyMs: Schema.Finite }),
  t("prompt.humanization.failure", { rewriter: Schema.String, latencyMs: Schema.Finite, reason: Schema.String }),
  t("bias.ledger.entry.created", { seq: Schema.Int, hash: Schema.String, outcome: RequestOutcome }),
  // The guards' verdicts (`@am/guard`'s payloads): counts, scores, rule names and issue paths —
  // never a value, a placeholder's original or prompt text.
  t("guard.pii.redacted", {
    counts: Schema.Array(Schema.Struct({ entity: Schema.String, action: Schema.String, count: Schema.Int })),
    total: Schema.Int
  }),
  t("guard.injection.scored", {
    score: Schema.Finite,
    verdict: Schema.Literals(["pass", "flag", "block"]),
    action: Schema.Literals(["pass", "flag", "block"]),
    rule: Schema.optionalKey(Schema.String),
    rules: Schema.Array(Schema.String),
    where: Schema.optionalKey(
      Schema.Struct({ message: Schema.Int, part: Schema.String, source: Schema.Literals(["user", "indirect"]) })
    )
  }),
  t("guard.blocked", {
    reason: Schema.Literals(["injection", "pii", "request_too_large"]),
    rule: Schema.String,
    score: Schema.optionalKey(Schema.Finite),
    entity: Schema.optionalKey(Schema.String)
  }),
  t("guard.output.checked", {
    contract: Schema.Literals(["standard_schema", "json_schema", "json_object"]),
    result: Schema.Literals(["valid", "invalid", "repaired", "failed"]),
    attempt: Schema.Int,
    issues: Schema.Int,
    paths: Schema.Array(Schema.String)
  }),
  t("guard.output.limited", {
    sanitized: Schema.Boolean,
    removed: Schema.Int,
    truncated: Schema.Boolean,
    limit: Schema.optionalKey(Schema.Int)
  }),
  t("guard.verify.judged", {
    verdict: Schema.Literals(["pass", "fail", "none"]),
    score: Schema.optionalKey(Schema.Finite),
    threshold: Schema.Finite,
    action: Schema.Literals(["accept", "retry"])
  })
])
export type ResilienceEvent = typeof ResilienceEvent.Type
export type ResilienceTopic = ResilienceEvent["topic"]
/** The event of one topic. */
export type EventOf<T extends ResilienceTopic> = Extract<ResilienceEvent, { readonly topic: T }>
/** The fields a publisher supplies; `at` is stamped by the bus from the Clock. */
export type EventInput<T extends ResilienceTopic = ResilienceTopic> = T extends ResilienceTopic
  ? Omit<EventOf<T>, "at">
  : never
