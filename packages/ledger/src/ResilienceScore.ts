/**
 * The resilience score: how smoothly a request was served, in [0, 1].
 *
 * ```
 * score = 0                                         when outcome = FAILURE
 * score = Π over failed attempts f(a) × m           otherwise
 *   f(a) = 0.8  (RETRY)    the next call targets the same provider and model (incl. key rotation)
 *   f(a) = 0.6  (FAILOVER) the next call targets another provider or model, or there is none
 *   m    = 0.5  when a prompt mitigation (rewrite) was attempted, else 1
 * ```
 * Skipped candidates (no call made) do not count. A first-try success scores 1.0. Adding a
 * failed attempt anywhere before the success never raises the score: the new factor is ≤ 0.8,
 * and it can turn at most one neighbour's FAILOVER (0.6) into a RETRY (0.8) only when it is
 * itself a FAILOVER — 0.8 × 0.6 < 0.6.
 *
 * @example
 * ```ts
 * import { resilienceScore } from "@am/ledger"
 * resilienceScore({ outcome: "SUCCESS", attempts: [], mitigationAttempted: false }) // 1
 * ```
 * @since 0.1.0
 */
import type { AttemptRecord, RequestOutcome } from "@am/core"

/** Factor for a failed attempt followed by a call to the same provider and model. */
export const RETRY_FACTOR = 0.8
/** Factor for a failed attempt followed by another target (or by nothing). */
export const FAILOVER_FACTOR = 0.6
/** Factor when the prompt was rewritten. */
export const MITIGATION_FACTOR = 0.5

/** The fields the score depends on. */
export interface ScoreInput {
  readonly outcome: RequestOutcome
  readonly attempts: ReadonlyArray<Pick<AttemptRecord, "provider" | "model" | "outcome">>
  readonly mitigationAttempted: boolean
}

/** Computes the resilience score (see the module docs for the formula). */
export const resilienceScore = (input: ScoreInput): number => {
  if (input.outcome === "FAILURE") return 0
  const calls = input.attempts.filter((a) => a.outcome !== "skipped")
  const product = calls.reduce((acc, a, i) => {
    if (a.outcome !== "failure") return acc
    const next = calls[i + 1]
    const same = next !== undefined && next.provider === a.provider && next.model === a.model
    return acc * (same ? RETRY_FACTOR : FAILOVER_FACTOR)
  }, 1)
  return product * (input.mitigationAttempted ? MITIGATION_FACTOR : 1)
}
