import type {
  ApiKey,
  ChatMessage,
  Classification,
  CompletionRequest,
  KeyRef,
  GuardVerdict,
  LedgerEvent,
  ProviderFailure,
  ProviderKind
} from "@am/core"
import { Tracing } from "@am/core"
import { Context, Data } from "effect"
import type { AttemptRecord, Mitigation } from "../EngineError.ts"
import type { Decision } from "../Decision.ts"
import type { Candidate } from "./Plan.ts"

/** The candidate an execution-plan step serves; provided per step. */
export class Target extends Context.Service<Target, Candidate>()("@am/engine/internal/Target") {}

/** A provider call in flight: what settling it needs. */
export interface CallHandle {
  readonly c: Candidate
  /** The called adapter's kind (what its wire speaks). */
  readonly kind: ProviderKind
  readonly key: ApiKey
  readonly ref: KeyRef
  /** The fields every `api.call.*` event of this call carries. */
  readonly base: {
    readonly requestId: string
    readonly provider: string
    readonly model: string
    readonly keyId: string
    readonly keyFingerprint: string
    readonly attempt: number
  }
  readonly started: number
}

// The attempt errors are built without a stack (`Tracing.unstacked`): they are control flow
// between an attempt and the plan, never shown to anyone, and a stack was ~15 µs of each
// failed attempt in `./am bench engine`.
interface CallFailedArgs {
  readonly candidate: Candidate
  readonly key: KeyRef
  readonly failure: ProviderFailure
  readonly classification: Classification
}

class CallFailedError extends Data.TaggedError("CallFailed")<CallFailedArgs> {}

/** A provider call that failed, with its classification. */
export type CallFailed = CallFailedError
export const CallFailed = (args: CallFailedArgs): CallFailed => Tracing.unstacked(() => new CallFailedError(args))

interface KeysExhaustedArgs {
  readonly candidate: Candidate
  readonly availableAt: number | undefined
}

class KeysExhaustedError extends Data.TaggedError("KeysExhausted")<KeysExhaustedArgs> {}

/** No key of the provider can serve the model right now. */
export type KeysExhausted = KeysExhaustedError
export const KeysExhausted = (args: KeysExhaustedArgs): KeysExhausted =>
  Tracing.unstacked(() => new KeysExhaustedError(args))

interface BreakerRejectedArgs {
  readonly candidate: Candidate
  readonly retryAfterMs: number | undefined
}

class BreakerRejectedError extends Data.TaggedError("BreakerRejected")<BreakerRejectedArgs> {}

/** The candidate's breaker rejected the call; nothing was sent. */
export type BreakerRejected = BreakerRejectedError
export const BreakerRejected = (args: BreakerRejectedArgs): BreakerRejected =>
  Tracing.unstacked(() => new BreakerRejectedError(args))

export type AttemptError = CallFailed | KeysExhausted | BreakerRejected

/**
 * Per-request bookkeeping. One request runs its attempts sequentially on one fiber, so plain
 * fields are enough here (no other fiber reads or writes them).
 */
export class RequestState {
  readonly attempts: Array<AttemptRecord> = []
  calls = 0
  /** Backoff retries already made per candidate index. */
  readonly providerRetries = new Map<number, number>()
  last: { readonly candidate: Candidate; readonly error?: AttemptError } | undefined = undefined
  mitigated = false
  mitigation: Mitigation | undefined = undefined
  earliestKeyAt: number | undefined = undefined
  /** Candidates (by index) left on silence (a timeout): retried only after the others, once. */
  readonly silent = new Set<number>()
  /** Set while those are retried: a timeout then counts as any provider failure. */
  revisiting = false
  /** Unparsable stream events the adapters skipped on this request's calls, by candidate. */
  readonly malformed = new Map<Candidate, number>()
  /** The plan's candidates, as the first drive got them (a stream's continuation picks from them). */
  candidates: ReadonlyArray<Candidate> | undefined = undefined
  /** What the decision table said after the latest failure; later plan steps are admitted by it. */
  decision: Decision | undefined = undefined
  lastKey: KeyRef | undefined = undefined
  /** The messages sent after a rewrite. */
  finalMessages: ReadonlyArray<ChatMessage> | undefined = undefined
  /** Answered from the response cache: the request id of the call that produced the entry. */
  cacheHitOf: string | undefined = undefined
  /** This request's lifecycle events (topic and time), for its ledger entry. */
  readonly events: Array<LedgerEvent> = []
  readonly requestId: string
  readonly startedAt: number
  /**
   * When the request runs out of time. A stream's commit moves it to the stream's own bound
   * (`stream.maxDuration` from the start, when later): the deadline bounds getting an answer,
   * and a healthy committed stream is not cut by it (as the openai SDK's `timeout` ends at the
   * response headers of a stream, not at its last byte).
   */
  deadlineAt: number
  /** The request as admitted; the guard stage replaces its messages with the redacted ones it sends (a rewrite changes what is sent, not this). */
  request: CompletionRequest
  /** Set by the guard stage: what the audit trail may keep, and how to mask text for it. */
  audit:
    | { readonly messages: ReadonlyArray<ChatMessage>; readonly mask: (text: string) => string; guard: GuardVerdict }
    | undefined = undefined
  /** The route (or concrete model) it was planned on. */
  readonly route: string
  // No parameter properties: sources run under Node's type stripping in benchmarks.
  constructor(requestId: string, startedAt: number, deadlineAt: number, request: CompletionRequest, route: string) {
    this.requestId = requestId
    this.startedAt = startedAt
    this.deadlineAt = deadlineAt
    this.request = request
    this.route = route
  }
}
