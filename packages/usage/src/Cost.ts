/**
 * Cost per attempt and per request, from core `AttemptRecord`s.
 *
 * An attempt is billed when it carries `usage` — whatever its outcome: a call that failed after
 * the provider counted tokens (a truncated stream, an invalid answer) still costs money. Skipped
 * candidates and calls that never reported usage cost nothing. A request's cost is the sum over
 * its billed attempts; when some billed attempt has no price, the total covers the priced ones and
 * `unpricedAttempts` says how many were left out (the total is `undefined` when none was priced).
 *
 * @example
 * ```ts
 * import { costOfAttempts, pricingTable } from "@am/usage"
 * import { Result } from "effect"
 * const pricing = Result.getOrThrow(pricingTable())
 * const { totalUsd } = costOfAttempts(ledgerEntry.attempts, pricing, (id) => ({ primary: "openai" })[id])
 * ```
 * @since 0.1.0
 */
import { type AttemptRecord, addUsage, type PricingShape, type Usage } from "@am/core"

/**
 * Maps an attempt's provider id (`primary`) to its provider kind (`openai`). Return `undefined`
 * to use the id itself as the kind (right when providers are named after their kind).
 */
export type KindOf = (providerId: string) => string | undefined

export interface AttemptCost {
  readonly attempt: AttemptRecord
  /** Whether the provider reported usage for this attempt. */
  readonly billed: boolean
  /** USD; `undefined` when not billed or when the model has no price. */
  readonly costUsd: number | undefined
}

export interface RequestCost {
  /** Sum over billed, priced attempts; `undefined` when no billed attempt could be priced. */
  readonly totalUsd: number | undefined
  /** Sum of every billed attempt's usage (`undefined` when none was billed). */
  readonly usage: Usage | undefined
  readonly attempts: ReadonlyArray<AttemptCost>
  readonly billedAttempts: number
  /** Billed attempts whose (kind, model) has no price. */
  readonly unpricedAttempts: number
}

/**
 * The cost of one attempt.
 *
 * @example
 * ```ts
 * costOfAttempt({ provider: "openai", model: "gpt-4o", outcome: "failure", latencyMs: 900,
 *   usage: { inputTokens: 1000, outputTokens: 10, totalTokens: 1010 } }, pricing) // 0.0026
 * ```
 */
export const costOfAttempt = (attempt: AttemptRecord, pricing: PricingShape, kindOf?: KindOf): AttemptCost => {
  if (attempt.usage === undefined) return { attempt, billed: false, costUsd: undefined }
  const kind = kindOf?.(attempt.provider) ?? attempt.provider
  return { attempt, billed: true, costUsd: pricing.cost(kind, attempt.model, attempt.usage) }
}

/** The cost of a request: every attempt priced, then summed over the billed ones. */
export const costOfAttempts = (
  attempts: ReadonlyArray<AttemptRecord>,
  pricing: PricingShape,
  kindOf?: KindOf
): RequestCost => {
  const costs = attempts.map((a) => costOfAttempt(a, pricing, kindOf))
  const billed = costs.filter((c) => c.billed)
  const priced = billed.flatMap((c) => (c.costUsd === undefined ? [] : [c.costUsd]))
  const usage = billed.reduce<Usage | undefined>(
    (sum, c) =>
      c.attempt.usage === undefined ? sum : sum === undefined ? c.attempt.usage : addUsage(sum, c.attempt.usage),
    undefined
  )
  return {
    totalUsd: priced.length === 0 ? undefined : priced.reduce((a, b) => a + b, 0),
    usage,
    attempts: costs,
    billedAttempts: billed.length,
    unpricedAttempts: billed.length - priced.length
  }
}
