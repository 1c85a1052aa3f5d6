/**
 * Token usage, named after the OpenTelemetry GenAI `gen_ai.usage.*` attributes:
 * `inputTokens` ↔ `gen_ai.usage.input_tokens` (includes cached), `outputTokens` ↔
 * `gen_ai.usage.output_tokens`, `cacheReadInputTokens` ↔ `gen_ai.usage.cache_read.input_tokens`,
 * `cacheCreationInputTokens` ↔ `gen_ai.usage.cache_creation.input_tokens`,
 * `reasoningOutputTokens` ↔ `gen_ai.usage.reasoning.output_tokens`.
 *
 * @example
 * ```ts
 * import { makeUsage } from "@am/core"
 * const u = makeUsage({ inputTokens: 10, outputTokens: 5 })
 * u.totalTokens // 15
 * ```
 * @since 0.1.0
 */
import { Schema } from "effect"

const TokenCount = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

export const Usage = Schema.Struct({
  inputTokens: TokenCount,
  outputTokens: TokenCount,
  totalTokens: TokenCount,
  cacheReadInputTokens: Schema.optionalKey(TokenCount),
  cacheCreationInputTokens: Schema.optionalKey(TokenCount),
  reasoningOutputTokens: Schema.optionalKey(TokenCount)
})
export type Usage = typeof Usage.Type

/** Builds a usage record; `totalTokens` defaults to input + output. */
export const makeUsage = (u: Omit<Usage, "totalTokens"> & { readonly totalTokens?: number }): Usage => ({
  ...u,
  totalTokens: u.totalTokens ?? u.inputTokens + u.outputTokens
})

export const emptyUsage: Usage = { inputTokens: 0, outputTokens: 0, totalTokens: 0 }

/** Sums two usage records (for a request that made several billed attempts). */
export const addUsage = (a: Usage, b: Usage): Usage => {
  const sum = (x: number | undefined, y: number | undefined) =>
    x === undefined && y === undefined ? {} : { value: (x ?? 0) + (y ?? 0) }
  const cr = sum(a.cacheReadInputTokens, b.cacheReadInputTokens)
  const cc = sum(a.cacheCreationInputTokens, b.cacheCreationInputTokens)
  const rs = sum(a.reasoningOutputTokens, b.reasoningOutputTokens)
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    totalTokens: a.totalTokens + b.totalTokens,
    ...("value" in cr ? { cacheReadInputTokens: cr.value } : {}),
    ...("value" in cc ? { cacheCreationInputTokens: cc.value } : {}),
    ...("value" in rs ? { reasoningOutputTokens: rs.value } : {})
  }
}
