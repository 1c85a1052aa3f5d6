/**
 * The errors the Promise facade rejects with: `AmError` and one subclass per stable `code`, so
 * callers can branch with `instanceof` as well as on `code`; each carries the request id and the
 * attempt trail `EngineError` had.
 *
 * @example
 * ```ts
 * import { AllProvidersFailedError, AmError } from "@am/runtime"
 * declare const e: unknown
 * if (e instanceof AllProvidersFailedError) console.log(e.code, e.attempts.length)
 * else if (e instanceof AmError) console.log(e.code)
 * ```
 * @since 0.1.0
 */
import type { AttemptRecord, EngineError, ErrorCode, GuardBlock, Mitigation, OutputIssue } from "@am/engine"

/** Base class of every error the facade rejects with. */
export class AmError extends Error {
  readonly code:
    | ErrorCode
    | "configuration"
    | "store_unavailable"
    | "idempotency_in_progress"
    | "idempotency_key_reused"
    | "idempotency_unavailable"
  readonly requestId: string | undefined
  readonly attempts: ReadonlyArray<AttemptRecord>
  readonly retryAfterMs: number | undefined
  readonly field: string | undefined
  readonly mitigation: Mitigation | undefined
  /** For `guard_blocked`: what the guard refused and why (reason, rule, score; never a value). */
  readonly guard: GuardBlock | undefined
  /** For `output_invalid`: the answer's validation issues (masked). */
  readonly issues: ReadonlyArray<OutputIssue> | undefined
  constructor(
    code: AmError["code"],
    message: string,
    details?: {
      readonly requestId?: string
      readonly attempts?: ReadonlyArray<AttemptRecord>
      readonly retryAfterMs?: number
      readonly field?: string
      readonly mitigation?: Mitigation
      readonly guard?: GuardBlock
      readonly issues?: ReadonlyArray<OutputIssue>
    }
  ) {
    super(message)
    this.name = new.target.name
    this.code = code
    this.requestId = details?.requestId
    this.attempts = details?.attempts ?? []
    this.retryAfterMs = details?.retryAfterMs
    this.field = details?.field
    this.mitigation = details?.mitigation
    this.guard = details?.guard
    this.issues = details?.issues
  }
}
export class AllProvidersFailedError extends AmError {}
export class ContentPolicyError extends AmError {}
export class InvalidRequestError extends AmError {}
export class RequestTooLargeError extends AmError {}
export class DeadlineExceededError extends AmError {}
export class NoRouteError extends AmError {}
export class InterruptedError extends AmError {}
/** A stream failed or stalled after its first token reached the caller: the answer is cut. */
export class StreamInterruptedError extends AmError {}
/** The input guard refused the request before any provider call; `guard` says why (never a value). */
export class GuardBlockedError extends AmError {}
/** The answer failed its output contract, also after the one repair attempt; `issues` says how. */
export class OutputInvalidError extends AmError {}
/** A store the config names (`ledger.store`, `state.store`) could not be opened. */
export class StoreUnavailableError extends AmError {}
/** The config was invalid; `field` is the dotted path of the bad field. */
export class ConfigurationError extends AmError {}
/** A request with this `idempotencyKey` is still running (here or on a replica sharing Redis); retry after `retryAfterMs`. */
export class IdempotencyInProgressError extends AmError {}
/** The `idempotencyKey` was used before with a different request. */
export class IdempotencyKeyReusedError extends AmError {}
/** The idempotency store did not answer, so the request was not run. */
export class IdempotencyUnavailableError extends AmError {}

const classes: Record<ErrorCode, typeof AmError> = {
  all_providers_failed: AllProvidersFailedError,
  content_policy: ContentPolicyError,
  invalid_request: InvalidRequestError,
  request_too_large: RequestTooLargeError,
  deadline_exceeded: DeadlineExceededError,
  no_route: NoRouteError,
  interrupted: InterruptedError,
  stream_interrupted: StreamInterruptedError,
  guard_blocked: GuardBlockedError,
  output_invalid: OutputInvalidError
}

/** Maps an `EngineError` to its facade class. */
export const toAmError = (e: EngineError): AmError =>
  new classes[e.code](e.code, e.message, {
    requestId: e.requestId,
    attempts: e.attempts,
    ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
    ...(e.field !== undefined ? { field: e.field } : {}),
    ...(e.mitigation !== undefined ? { mitigation: e.mitigation } : {}),
    ...(e.guard !== undefined ? { guard: e.guard } : {}),
    ...(e.issues !== undefined ? { issues: e.issues } : {})
  })
