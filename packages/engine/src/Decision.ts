/**
 * The failover policy as a pure decision table: given where a request stands, the target that
 * just failed and how its failure was classified, what happens next —
 *
 * | failure | next |
 * | --- | --- |
 * | calls ≥ `maxAttempts` | `Stop("attempts")` |
 * | the retry's delay would end past the deadline | `Stop("deadline")` |
 * | scope `request` (malformed, unsupported parameter) | `Stop("request")` |
 * | scope `content` | `NextProvider` when `contentPolicy` is `fallback`, else `Stop("content")` (mitigation runs outside) |
 * | scope `key` (bad key, rate limit, quota) | `NextKey` (same target; the keyring leases another key) |
 * | scope `model` (not found, overloaded, context length) | `NextModel` (context length: only a larger window) |
 * | scope `provider`, class `timeout` (no connection, headers or first token in time), first pass | `NextProvider("silent")`: the others go first; the engine retries it after them, once |
 * | scope `provider` (5xx, 529, timeout, reset), retries left, Retry-After ≤ `maxBackoffMs`, the wait ends before the deadline, budget allows | `RetrySame(delay)` |
 * | scope `provider`, otherwise | `NextProvider` (a later provider, if its retry budget allows) |
 * | no healthy key / circuit open (nothing sent) | `NextModel` (any later candidate) |
 *
 * `admits` says whether a later candidate may run after a decision. Both are plain functions of
 * plain data: no provider, fiber, clock or random source — the engine reads those, asks, and
 * performs the side effects (events, budget, keyring, breaker) around the answer.
 *
 * @example
 * ```ts
 * import { Decision } from "@am/engine"
 * const next = Decision.decide(
 *   { maxAttempts: 10, providerRetries: 2, maxBackoffMs: 8000, contentPolicy: "rewrite" },
 *   {
 *     failure: { _tag: "CallFailed", scope: "provider", class: "overloaded" },
 *     failed: { index: 0, provider: "primary", contextWindow: 128000 },
 *     calls: 1, now: 0, deadlineAt: 60000, retriesMade: 0, delayMs: 200, budgetAllows: true
 *   }
 * )
 * // next = { _tag: "RetrySame", delayMs: 200 }
 * ```
 * @since 0.1.0
 */
import type { FailureClass, FailureScope } from "@am/core"

/** The bounds and policy the table applies (from the config's `retry` and `mitigation`). */
export interface Policy {
  readonly maxAttempts: number
  /** Backoff retries on one target after provider-scoped failures, before failing over. */
  readonly providerRetries: number
  /** A Retry-After beyond this means "fail over instead of waiting". */
  readonly maxBackoffMs: number
  readonly contentPolicy: "rewrite" | "fallback" | "fail"
}

/** A candidate as the table sees it. */
export interface Target {
  /** Its position in the plan. */
  readonly index: number
  readonly provider: string
  readonly contextWindow: number
}

/** What went wrong: a classified call failure, or an attempt that sent nothing. */
export type Failure =
  | {
      readonly _tag: "CallFailed"
      readonly scope: FailureScope
      readonly class: FailureClass
      readonly retryAfterMs?: number | undefined
    }
  | { readonly _tag: "KeysExhausted" }
  | { readonly _tag: "BreakerRejected" }

export interface Input {
  readonly failure: Failure
  readonly failed: Target
  /** Calls made so far in the request. */
  readonly calls: number
  readonly now: number
  readonly deadlineAt: number
  /** Backoff retries already made on `failed`. */
  readonly retriesMade: number
  /** The backoff a retry of `failed` would wait (only read for provider-scoped failures). */
  readonly delayMs: number
  /** Whether the shared retry budget of `failed`'s provider allows a retry. */
  readonly budgetAllows: boolean
  /**
   * Whether this is the retry of targets left on silence, after the others: a timeout then
   * follows the ordinary provider rules (backoff retries within budget and deadline).
   */
  readonly revisiting?: boolean
}

export type StopReason = "attempts" | "deadline" | "request" | "content"

/** Why the request leaves a provider: its retries are spent, its budget is, or it asked for too long a wait. */
export type LeaveReason =
  | "silent"
  | "retries_exhausted"
  | "budget_exhausted"
  | "retry_after_too_long"
  | "no_time_to_wait"
  | "content_fallback"

export type Decision =
  | { readonly _tag: "RetrySame"; readonly delayMs: number }
  | { readonly _tag: "NextKey" }
  | { readonly _tag: "NextModel"; readonly minContextWindow?: number }
  | { readonly _tag: "NextProvider"; readonly reason: LeaveReason; readonly budgeted: boolean }
  | { readonly _tag: "Stop"; readonly reason: StopReason }

const stop = (reason: StopReason): Decision => ({ _tag: "Stop", reason })

/** What happens after `input.failed` failed. */
export const decide = (policy: Policy, input: Input): Decision => {
  const { failure, failed } = input
  if (input.calls >= policy.maxAttempts) return stop("attempts")
  if (failure._tag !== "CallFailed") return input.now >= input.deadlineAt ? stop("deadline") : { _tag: "NextModel" }
  switch (failure.scope) {
    case "request":
      return stop("request")
    case "content":
      return policy.contentPolicy === "fallback"
        ? { _tag: "NextProvider", reason: "content_fallback", budgeted: false }
        : stop("content")
    case "key":
      return input.now >= input.deadlineAt ? stop("deadline") : { _tag: "NextKey" }
    case "model":
      if (input.now >= input.deadlineAt) return stop("deadline")
      return failure.class === "context_length_exceeded"
        ? { _tag: "NextModel", minContextWindow: failed.contextWindow + 1 }
        : { _tag: "NextModel" }
    case "provider": {
      const leave = (reason: LeaveReason): Decision => ({ _tag: "NextProvider", reason, budgeted: true })
      // Silence is not fixed by waiting on the same provider: the others go first (DESIGN.md
      // "A timeout on silence fails over at once"); the engine comes back to this one after them.
      if (failure.class === "timeout" && input.revisiting !== true) {
        return input.now >= input.deadlineAt ? stop("deadline") : leave("silent")
      }
      if (input.retriesMade >= policy.providerRetries) return leave("retries_exhausted")
      if ((failure.retryAfterMs ?? 0) > policy.maxBackoffMs) return leave("retry_after_too_long")
      if (input.now >= input.deadlineAt) return stop("deadline")
      // No time left to wait for this provider: another one may still answer in time.
      if (input.now + input.delayMs >= input.deadlineAt) return leave("no_time_to_wait")
      if (!input.budgetAllows) return leave("budget_exhausted")
      return { _tag: "RetrySame", delayMs: input.delayMs }
    }
  }
}

/** Whether the decision keeps the request on the target that failed (same step of the plan). */
export const staysOnTarget = (d: Decision): d is Extract<Decision, { _tag: "RetrySame" | "NextKey" }> =>
  d._tag === "RetrySame" || d._tag === "NextKey"

/**
 * Whether `candidate`, later in the plan than `failed`, may run after decision `d`. A
 * `NextProvider` that left for provider trouble also needs the candidate provider's retry budget
 * (`budgetAllows`), so failover never becomes a retry storm.
 */
export const admits = (
  d: Decision,
  failed: Target,
  candidate: Target,
  context: {
    readonly calls: number
    readonly maxAttempts: number
    readonly now: number
    readonly deadlineAt: number
    readonly budgetAllows: boolean
  }
): boolean => {
  if (candidate.index <= failed.index) return false
  if (context.calls >= context.maxAttempts || context.now >= context.deadlineAt) return false
  switch (d._tag) {
    case "Stop":
      return false
    case "RetrySame":
    case "NextKey":
      // The failed target is still being served; a later one only runs once it gives up.
      return false
    case "NextModel":
      return d.minContextWindow === undefined || candidate.contextWindow >= d.minContextWindow
    case "NextProvider":
      return candidate.provider !== failed.provider && (!d.budgeted || context.budgetAllows)
  }
}

/** Whether `admits` needs the candidate provider's retry budget to answer (so it is read only then). */
export const needsBudget = (d: Decision, failed: Target, candidate: Target): boolean =>
  d._tag === "NextProvider" && d.budgeted && candidate.provider !== failed.provider
