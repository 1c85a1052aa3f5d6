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
import { AttemptRecord, RequestOutcome } from "@am/core"
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
  mitigation: Schema.optionalKey(Mitigation)
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
  "stream_interrupted"
])
export type ErrorCode = typeof ErrorCode.Type

/**
 * Why a request failed, as a tagged union a caller can match on exhaustively (the HTTP edge
 * maps each to its status): every provider failed (and when one may answer again), the request
 * itself was invalid (and which field), a content policy refused it (after mitigation), no
 * candidate could serve it, its deadline passed, or it was interrupted.
 */
export type EngineErrorReason =
  | { readonly _tag: "AllProvidersFailed"; readonly retryAfterMs?: number | undefined }
  | { readonly _tag: "InvalidRequest"; readonly field?: string | undefined }
  | { readonly _tag: "RequestTooLarge" }
  | { readonly _tag: "ContentPolicy"; readonly mitigation?: Mitigation | undefined }
  | { readonly _tag: "DeadlineExceeded" }
  | { readonly _tag: "NoRoute" }
  | { readonly _tag: "Interrupted" }
  | { readonly _tag: "StreamInterrupted" }

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
  mitigation: Schema.optionalKey(Mitigation)
}) {
  get reason(): EngineErrorReason {
    return reasonOf(this)
  }
}

const reasonOf = (e: EngineError): EngineErrorReason => {
  switch (e.code) {
    case "all_providers_failed":
      return { _tag: "AllProvidersFailed", retryAfterMs: e.retryAfterMs }
    case "invalid_request":
      return { _tag: "InvalidRequest", field: e.field }
    case "request_too_large":
      return { _tag: "RequestTooLarge" }
    case "content_policy":
      return { _tag: "ContentPolicy", mitigation: e.mitigation }
    case "deadline_exceeded":
      return { _tag: "DeadlineExceeded" }
    case "no_route":
      return { _tag: "NoRoute" }
    case "interrupted":
      return { _tag: "Interrupted" }
    case "stream_interrupted":
      return { _tag: "StreamInterrupted" }
  }
}
