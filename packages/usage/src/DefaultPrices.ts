/**
 * The built-in, dated price table: USD per million tokens per (provider kind, model), with the
 * source and the date of every price. Data only — `Pricing.ts` does the matching and the maths.
 *
 * These are public list prices (standard tier, short-context band, no batch discount). The table
 * was written without internet access: most prices are as recalled from the providers' pricing
 * pages (their `source` says so); a few Anthropic ones were checked against stored copies of the
 * model pages (their `source` says that). `asOf` is the date the price was last known to hold. Override any of them in config (`pricingLayer({ overrides })`) when the
 * provider's page says otherwise.
 *
 * @example
 * ```ts
 * import { defaultPriceTable } from "@am/usage"
 * defaultPriceTable.find((p) => p.kind === "openai" && p.model === "gpt-4o")?.input // 2.5
 * ```
 * @since 0.1.0
 */
import type { PriceEntry } from "./Price.ts"

const OPENAI = "https://openai.com/api/pricing (list price as recalled; not re-checked online)"
const ANTHROPIC = "https://www.anthropic.com/pricing#api (list price as recalled; not re-checked online)"
// Input/output checked against a stored copy of the model's page (crawl date unknown) found through
// a document search on 2026-11-22; cache prices follow Anthropic's standard 1.25× / 0.1× multipliers.
const anthropicPage = (slug: string) =>
  `https://platform.claude.com/docs/en/models/${slug}/overview (input/output checked on a stored copy, 2026-11-22; cache prices by the standard multipliers)`
const GEMINI = "https://ai.google.dev/gemini-api/docs/pricing (paid tier, as recalled; not re-checked online)"

// OpenAI: prompt caching is automatic and writing the cache costs nothing extra, so cache-write = input.
const openai = (model: string, input: number, cachedInput: number, output: number, asOf: string): PriceEntry => ({
  kind: "openai",
  model,
  input,
  output,
  cachedInput,
  cacheWrite: input,
  source: OPENAI,
  asOf
})

// Anthropic: a 5-minute cache write is 1.25× input, a cache read 0.1× input.
const anthropic = (
  model: string,
  input: number,
  output: number,
  asOf: string,
  note?: string,
  source: string = ANTHROPIC
): PriceEntry => ({
  kind: "anthropic",
  model,
  input,
  output,
  cachedInput: round(input * 0.1),
  cacheWrite: round(input * 1.25),
  source,
  asOf,
  ...(note !== undefined ? { note } : {})
})

// Gemini: cached tokens are billed at the context-caching rate; cache storage is billed per hour
// (not per token written), so cache-write = input. Prices are the ≤200k-token prompt band.
const gemini = (
  model: string,
  input: number,
  cachedInput: number,
  output: number,
  asOf: string,
  note?: string
): PriceEntry => ({
  kind: "gemini",
  model,
  input,
  output,
  cachedInput,
  cacheWrite: input,
  source: GEMINI,
  asOf,
  ...(note !== undefined ? { note } : {})
})

const round = (n: number): number => Math.round(n * 1e6) / 1e6

/** The default table. Order is irrelevant; (kind, model) pairs are unique. */
export const defaultPriceTable: ReadonlyArray<PriceEntry> = [
  openai("gpt-4o", 2.5, 1.25, 10, "2025-10-01"),
  openai("gpt-4o-mini", 0.15, 0.075, 0.6, "2025-10-01"),
  openai("gpt-4.1", 2, 0.5, 8, "2025-10-01"),
  openai("gpt-4.1-mini", 0.4, 0.1, 1.6, "2025-10-01"),
  openai("gpt-4.1-nano", 0.1, 0.025, 0.4, "2025-10-01"),
  openai("o3-mini", 1.1, 0.55, 4.4, "2025-10-01"),
  openai("o4-mini", 1.1, 0.275, 4.4, "2025-10-01"),
  openai("o3", 2, 0.5, 8, "2025-10-01"),
  openai("gpt-5", 1.25, 0.125, 10, "2025-10-01"),
  openai("gpt-5-mini", 0.25, 0.025, 2, "2025-10-01"),
  openai("gpt-5-nano", 0.05, 0.005, 0.4, "2025-10-01"),
  // Embeddings bill input tokens only (no cache discount): cached input = input, output 0.
  openai("text-embedding-3-small", 0.02, 0.02, 0, "2025-10-01"),
  openai("text-embedding-3-large", 0.13, 0.13, 0, "2025-10-01"),
  openai("text-embedding-ada-002", 0.1, 0.1, 0, "2025-10-01"),
  anthropic(
    "claude-sonnet-4-5",
    3,
    15,
    "2026-11-22",
    "deprecated, retires 2026-11-30; prompts over 200k tokens (1M-context beta) bill at 6 / 22.50",
    anthropicPage("sonnet-4-5")
  ),
  anthropic("claude-sonnet-4-6", 3, 15, "2026-11-22", "released 2026-02-17", anthropicPage("sonnet-4-6")),
  anthropic("claude-sonnet-4", 3, 15, "2025-10-01", "the alias claude-sonnet-4-0 is listed too"),
  anthropic("claude-sonnet-4-0", 3, 15, "2025-10-01", "alias of claude-sonnet-4"),
  anthropic("claude-opus-4-1", 15, 75, "2025-10-01"),
  anthropic("claude-opus-4-5", 5, 25, "2026-11-22", "released 2025-11-24", anthropicPage("opus-4-5")),
  anthropic("claude-haiku-4-5", 1, 5, "2026-11-22", undefined, anthropicPage("haiku-4-5")),
  anthropic("claude-3-5-haiku", 0.8, 4, "2025-10-01"),
  gemini("gemini-2.5-pro", 1.25, 0.125, 10, "2025-10-01", "prompts over 200k tokens bill at 2.50 in / 15 out"),
  gemini("gemini-2.5-flash", 0.3, 0.03, 2.5, "2025-10-01", "text/image/video input; audio input bills at 1.00"),
  gemini("gemini-2.5-flash-lite", 0.1, 0.01, 0.4, "2025-10-01", "text/image/video input; audio input bills at 0.30"),
  gemini("gemini-embedding-001", 0.15, 0.15, 0, "2025-10-01", "embeddings: input tokens only")
]
