/**
 * What a request's answer or failure says about how it went: the attempt trail, and typed
 * failures with stable codes.
 *
 * @example
 * ```ts
 * import { Engine, EngineError } from "@am/engine"
 * import { Effect } from "effect"
 * declare const program: Effect.Effect<unknown, EngineError>
 * program.pipe(Effect.catchTag("EngineError", (e) => Effect.succeed(e.reason._tag === "AllProvidersFailed" ? e.reason.retryAfterMs : undefined)))
 * ```
 * @since 0.1.0
 */
import { AttemptRecord, FailureClass, GuardVerdict, RequestOutcome } from "@am/core"
import { Schema } from "effect"

export { AttemptRecord }

export const Mitigation = Schema.Struct({
  attempted: Schema.Boolean,
  succeeded: Schema.Boolean,
  rewriter: Schema.optionalKey(Schema.String),
  failure: Schema.optionalKey(Schema.String),
  latencyMs: Schema.optionalKey(Schema.Finite)
})
export type Mitigation = typeof Mitigation.Type

/** The `resilience` block every answer carries. */
export const Resilience = Schema.Struct({
  requestId: Schema.String,
  outcome: RequestOutcome,
  attempts: Schema.Array(AttemptRecord),
  provider: Schema.String,
  model: Schema.String,
  keyFingerprint: Schema.optionalKey(Schema.String),
  latencyMs: Schema.Finite,
  mitigation: Schema.optionalKey(Mitigation),
  /** The guards' verdicts (counts, scores, rules; never a value), when guards ran. */
  guard: Schema.optionalKey(GuardVerdict),
  /** The response cache, for a route that has one: `hit` (no call), `miss` (called and stored) or `off`. */
  cache: Schema.optionalKey(Schema.Literals(["hit", "miss", "off"])),
  /** On a cache hit, the request id of the call that produced the answer. */
  originalRequestId: Schema.optionalKey(Schema.String),
  /** The stored answer of an earlier request with the same idempotency key (no call). */
  replayed: Schema.optionalKey(Schema.Boolean),
  /** What the answering provider could not honour of the request (see `DroppedFields`); absent when nothing. */
  droppedFields: Schema.optionalKey(Schema.Array(Schema.String))
})
export type Resilience = typeof Resilience.Type

/** Stable error codes (the gateway's OpenAI error body uses them as `code`). */
export const ErrorCode = Schema.Literals([
  "all_providers_failed",
  "content_policy",
  "invalid_request",
  "deadline_exceeded",
  "no_route",
  "request_too_large",
  "interrupted",
  /** A stream failed or stalled after its first content token reached the client: the answer is cut. */
  "stream_interrupted",
  /** The input guard refused the request before any provider call (injection, blocked PII, size). */
  "guard_blocked",
  /** The answer failed its output contract, also after the one repair attempt. */
  "output_invalid"
])
export type ErrorCode = typeof ErrorCode.Type

/**
 * What an upstream answered when it rejected the request itself (or when every model that was
 * tried rejected it the same deterministic way): its status, the classified `class`, and the
 * provider's own `error.code` / `error.type`, so the HTTP edge can keep them as the upstream said.
 */
export const UpstreamRejection = Schema.Struct({
  provider: Schema.String,
  model: Schema.String,
  status: Schema.optionalKey(Schema.Int),
  class: FailureClass,
  errorCode: Schema.optionalKey(Schema.String),
  errorType: Schema.optionalKey(Schema.String)
})
export type UpstreamRejection = typeof UpstreamRejection.Type

/**
 * Why a request failed, as a tagged union a caller can match on exhaustively (the HTTP edge
 * maps each to its status): every provider failed (and when one may answer again; `calls` is 0
 * when nothing was sent — every circuit open), every key of every candidate was rate-limited
 * (and when the first frees up), the request itself was invalid (and which field) or an upstream
 * rejected it (its status and code kept), a content policy refused it (after mitigation), no
 * candidate could serve it or every model tried does not exist, its deadline passed, or it was
 * interrupted.
 *
 * The newer members refine a stable `code` without changing it: `RateLimited` is
 * `all_providers_failed`, `UpstreamRejected` is `invalid_request`, `ModelNotFound` is `no_route`.
 */
export type EngineErrorReason =
  | {
      readonly _tag: "AllProvidersFailed"
      readonly retryAfterMs?: number | undefined
      /** The longest delay an upstream itself announced in this request. */
      readonly upstreamRetryAfterMs?: number | undefined
      /** Provider calls made (0: every candidate was skipped unsent). */
      readonly calls: number
    }
  | { readonly _tag: "RateLimited"; readonly retryAfterMs?: number | undefined }
  | { readonly _tag: "InvalidRequest"; readonly field?: string | undefined }
  | {
      readonly _tag: "UpstreamRejected"
      readonly status: number
      /** The code to answer with: `context_length_exceeded`, the upstream's own code, or `invalid_request`. */
      readonly code: string
      readonly class: FailureClass
      readonly upstream: UpstreamRejection
    }
  | { readonly _tag: "ModelNotFound"; readonly models: ReadonlyArray<string> }
  | { readonly _tag: "RequestTooLarge" }
  | { readonly _tag: "ContentPolicy"; readonly mitigation?: Mitigation | undefined }
  | { readonly _tag: "DeadlineExceeded" }
  | { readonly _tag: "NoRoute" }
  | { readonly _tag: "Interrupted" }
  | { readonly _tag: "StreamInterrupted" }
  | { readonly _tag: "GuardBlocked"; readonly guard: GuardBlock }
  | { readonly _tag: "OutputInvalid"; readonly issues: ReadonlyArray<OutputIssue> }

/** Why the input guard refused a request: the reason, the rule that fired, its score (never a value). */
export const GuardBlock = Schema.Struct({
  reason: Schema.Literals(["injection", "pii", "request_too_large"]),
  rule: Schema.String,
  score: Schema.Finite,
  entity: Schema.optionalKey(Schema.String)
})
export type GuardBlock = typeof GuardBlock.Type

/** One output-contract problem: a dotted path (`""`: the whole answer) and what is wrong. */
export const OutputIssue = Schema.Struct({ path: Schema.String, message: Schema.String })
export type OutputIssue = typeof OutputIssue.Type

/**
 * A request that did not succeed. `code` is stable; `reason` is the same fact as a tagged union
 * with the fields that belong to it; `attempts` is the sanitised trail; `retryAfterMs` tells a
 * caller when trying again may help (earliest key or breaker).
 */
export class EngineError extends Schema.TaggedError<EngineError>()("EngineError", {
  code: ErrorCode,
  message: Schema.String,
  requestId: Schema.String,
  attempts: Schema.Array(AttemptRecord),
  /** The bad field, for `invalid_request` raised by validation. */
  field: Schema.optionalKey(Schema.String),
  retryAfterMs: Schema.optionalKey(Schema.Finite),
  mitigation: Schema.optionalKey(Mitigation),
  /** `all_providers_failed` because every key of every candidate was rate-limited: wait `retryAfterMs`. */
  rateLimited: Schema.optionalKey(Schema.Boolean),
  /** The longest delay an upstream announced (`retry-after`, "try again in …") during the request. */
  upstreamRetryAfterMs: Schema.optionalKey(Schema.Finite),
  /** What the upstream answered, for `invalid_request` / `no_route` an upstream decided. */
  upstream: Schema.optionalKey(UpstreamRejection),
  /** For `guard_blocked`: what the guard refused and why. */
  guard: Schema.optionalKey(GuardBlock),
  /** For `output_invalid`: the last answer's validation issues (scrubbed). */
  issues: Schema.optionalKey(Schema.Array(OutputIssue))
}) {
  get reason(): EngineErrorReason {
    return reasonOf(this)
  }
}

// OpenAI-style codes are short tokens; anything else an upstream sends becomes `invalid_request`.
const CODE = /^[a-z][a-z0-9_]{1,63}$/

/** The code a request-scoped upstream rejection is answered with. */
const upstreamCode = (u: UpstreamRejection): string =>
  u.class === "context_length_exceeded"
    ? "context_length_exceeded"
    : u.errorCode !== undefined && CODE.test(u.errorCode)
      ? u.errorCode
      : "invalid_request"

const calls = (attempts: ReadonlyArray<AttemptRecord>): number => {
  let n = 0
  for (const a of attempts) if (a.outcome !== "skipped") n++
  return n
}

// A `no_route` whose every candidate was skipped as unavailable: each model the provider retired.
const retired = (attempts: ReadonlyArray<AttemptRecord>): boolean =>
  attempts.length > 0 && attempts.every((a) => a.outcome === "skipped" && a.skipped === "model_unavailable")

const reasonOf = (e: EngineError): EngineErrorReason => {
  switch (e.code) {
    case "all_providers_failed":
      return e.rateLimited === true
        ? { _tag: "RateLimited", retryAfterMs: e.retryAfterMs }
        : {
            _tag: "AllProvidersFailed",
            retryAfterMs: e.retryAfterMs,
            upstreamRetryAfterMs: e.upstreamRetryAfterMs,
            calls: calls(e.attempts)
          }
    case "invalid_request": {
      const u = e.upstream
      if (u === undefined) return { _tag: "InvalidRequest", field: e.field }
      const status = u.status !== undefined && u.status >= 400 && u.status <= 499 ? u.status : 400
      return { _tag: "UpstreamRejected", status, code: upstreamCode(u), class: u.class, upstream: u }
    }
    case "request_too_large":
      return { _tag: "RequestTooLarge" }
    case "content_policy":
      return { _tag: "ContentPolicy", mitigation: e.mitigation }
    case "deadline_exceeded":
      return { _tag: "DeadlineExceeded" }
    case "no_route":
      return e.upstream?.class === "model_not_found" || retired(e.attempts)
        ? { _tag: "ModelNotFound", models: [...new Set(e.attempts.map((a) => `${a.provider}/${a.model}`))] }
        : { _tag: "NoRoute" }
    case "interrupted":
      return { _tag: "Interrupted" }
    case "stream_interrupted":
      return { _tag: "StreamInterrupted" }
    case "guard_blocked":
      return { _tag: "GuardBlocked", guard: e.guard ?? { reason: "injection", rule: "guard", score: 1 } }
    case "output_invalid":
      return { _tag: "OutputInvalid", issues: e.issues ?? [] }
  }
}
