/**
 * A model's price and the cost rule. Prices are USD per million tokens.
 *
 * Cost rule (token names follow OpenTelemetry GenAI `gen_ai.usage.*`, as `@am/core` `Usage` does):
 * `gen_ai.usage.input_tokens` INCLUDES cached tokens, so the uncached input is what is left after
 * taking out the cache reads and the cache writes, and each part is billed at its own rate.
 * Reasoning tokens are part of `output_tokens` and bill at the output rate.
 *
 * ```
 * uncached = max(0, input − cacheRead − cacheCreation)
 * cost     = (uncached × input + cacheRead × cachedInput + cacheCreation × cacheWrite + output × output) / 1e6
 * ```
 *
 * @example
 * ```ts
 * import { costOf } from "@am/usage"
 * // gpt-4o: (1034 × 2.5 + 200 × 1.25 + 56 × 10) / 1e6 = 0.003395
 * costOf({ input: 2.5, output: 10, cachedInput: 1.25, cacheWrite: 2.5 },
 *   { inputTokens: 1234, outputTokens: 56, totalTokens: 1290, cacheReadInputTokens: 200 })
 * ```
 * @since 0.1.0
 */
import type { Usage } from "@am/core"

/** USD per million tokens. */
export interface Price {
  /** Uncached input tokens. */
  readonly input: number
  /** Output tokens (reasoning included). */
  readonly output: number
  /** Input tokens read from the provider's prompt cache. */
  readonly cachedInput: number
  /** Input tokens written to the provider's prompt cache. */
  readonly cacheWrite: number
}

/** A row of the price table: the price of one model of one provider kind, with where it came from. */
export interface PriceEntry extends Price {
  /** The provider kind (`openai`, `anthropic`, `gemini`, `openai-compatible`, or your own). */
  readonly kind: string
  /** The model name, without a dated-snapshot suffix. */
  readonly model: string
  /** Where the price comes from (a URL or a name). */
  readonly source: string
  /** The date the price is known to hold (`YYYY-MM-DD`). */
  readonly asOf: string
  /** Caveats (long-context bands, modalities, assumptions). */
  readonly note?: string
}

export const priceFields = ["input", "output", "cachedInput", "cacheWrite"] as const

/** The cost in USD of `usage` at `price` (see the module doc for the rule). */
export const costOf = (price: Price, usage: Usage): number => {
  const cacheRead = usage.cacheReadInputTokens ?? 0
  const cacheCreation = usage.cacheCreationInputTokens ?? 0
  // A provider that reports cache counts larger than the input is inconsistent; never bill a negative.
  const uncached = Math.max(0, usage.inputTokens - cacheRead - cacheCreation)
  // Sum in "USD per million" and divide once, so whole-cent-ish prices stay exact in binary floating point.
  const micro =
    uncached * price.input +
    cacheRead * price.cachedInput +
    cacheCreation * price.cacheWrite +
    usage.outputTokens * price.output
  return micro / 1_000_000
}
