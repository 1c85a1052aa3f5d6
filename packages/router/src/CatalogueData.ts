/**
 * The built-in model catalogue — data only (`Catalogue.ts` does the lookup and the overrides).
 *
 * As of 2026-12-03. Written without live internet access, from stored copies of:
 * - LiteLLM's community model table (`model_prices_and_context_window.json`, as synced on
 *   2026-07-24 by the public mirror Wei-Shaw/model-price-repo): context window (`max_input_tokens`),
 *   max output, vision, function calling, response schema, reasoning, audio and PDF input,
 *   assistant prefill, embedding vector size, list prices;
 * - OpenAI's model pages (developers.openai.com/api/docs/models/…) for the embedding models;
 * - Anthropic's models overview (platform.claude.com/docs/en/models/overview) for the Claude line.
 * Prices are standard-tier list prices in USD per million tokens, short-context band, and agree
 * with `@am/usage`'s table where both list a model. Check a provider's page before relying on a
 * figure, and override it in config (`Catalogue.make(overrides)`) when it says otherwise.
 *
 * Conventions: `files` = PDF/document input; `prefill` = the API continues a trailing assistant
 * message (OpenAI chat completions does not; Gemini is left off until checked; Anthropic's newer
 * models refuse it); `streaming` everywhere below (every listed chat model streams).
 *
 * @internal
 */
import type { Capability } from "./Capability.ts"
import type { CatalogueEntryInput } from "./Catalogue.ts"

export const CATALOGUE_AS_OF = "2026-12-03"

const LITELLM = "LiteLLM model table (synced 2026-07-24, stored copy)"
const OPENAI_DOCS = "developers.openai.com/api/docs/models (stored copy)"
const ANTHROPIC_DOCS = "platform.claude.com/docs/en/models/overview and LiteLLM model table (stored copies)"
const ASOF_TABLE = "2026-07-24"

type Caps = ReadonlyArray<Capability>

// Capability sets shared by a family.
const OPENAI_CHAT: Caps = ["tools", "json", "vision", "files", "streaming"]
const OPENAI_REASONING: Caps = [...OPENAI_CHAT, "reasoning"]
const CLAUDE: Caps = ["tools", "json", "vision", "files", "streaming", "reasoning"]
const CLAUDE_PREFILL: Caps = [...CLAUDE, "prefill"]
const GEMINI: Caps = ["tools", "json", "vision", "audio", "files", "streaming", "reasoning"]

const chat =
  (kind: CatalogueEntryInput["kind"], source: string) =>
  (
    model: string,
    contextWindow: number,
    maxOutput: number,
    input: number,
    output: number,
    capabilities: Caps
  ): CatalogueEntryInput => ({
    kind,
    model,
    contextWindow,
    maxOutput,
    capabilities,
    price: { input, output },
    source,
    asOf: ASOF_TABLE
  })

const openai = chat("openai", LITELLM)
const anthropic = chat("anthropic", ANTHROPIC_DOCS)
const gemini = chat("gemini", LITELLM)

const embedding = (
  kind: CatalogueEntryInput["kind"],
  model: string,
  contextWindow: number,
  dimensions: number,
  input: number,
  source: string
): CatalogueEntryInput => ({
  kind,
  model,
  contextWindow,
  dimensions,
  capabilities: ["embeddings"],
  price: { input, output: 0 },
  source,
  asOf: ASOF_TABLE
})

export const builtinEntries: ReadonlyArray<CatalogueEntryInput> = [
  // OpenAI — chat completions. No prefill: a trailing assistant message is not continued.
  openai("gpt-4o", 128_000, 16_384, 2.5, 10, OPENAI_CHAT),
  openai("gpt-4o-mini", 128_000, 16_384, 0.15, 0.6, OPENAI_CHAT),
  openai("gpt-4.1", 1_047_576, 32_768, 2, 8, OPENAI_CHAT),
  openai("gpt-4.1-mini", 1_047_576, 32_768, 0.4, 1.6, OPENAI_CHAT),
  openai("gpt-4.1-nano", 1_047_576, 32_768, 0.1, 0.4, OPENAI_CHAT),
  openai("o3", 200_000, 100_000, 2, 8, OPENAI_REASONING),
  openai("o3-mini", 200_000, 100_000, 1.1, 4.4, ["tools", "json", "streaming", "reasoning"]),
  openai("o4-mini", 200_000, 100_000, 1.1, 4.4, OPENAI_REASONING),
  openai("gpt-5", 272_000, 128_000, 1.25, 10, OPENAI_REASONING),
  openai("gpt-5-mini", 272_000, 128_000, 0.25, 2, OPENAI_REASONING),
  openai("gpt-5-nano", 272_000, 128_000, 0.05, 0.4, OPENAI_REASONING),
  openai("gpt-5.1", 272_000, 128_000, 1.25, 10, OPENAI_REASONING),
  openai("gpt-5.2", 272_000, 128_000, 1.75, 14, OPENAI_REASONING),
  openai("gpt-5.4", 1_050_000, 128_000, 2.5, 15, OPENAI_REASONING),
  openai("gpt-5.4-mini", 400_000, 128_000, 0.75, 4.5, OPENAI_REASONING),
  openai("gpt-5.4-nano", 400_000, 128_000, 0.2, 1.25, OPENAI_REASONING),
  openai("gpt-5.5", 1_050_000, 128_000, 5, 30, OPENAI_REASONING),
  openai("gpt-5.6", 1_050_000, 128_000, 5, 30, OPENAI_REASONING),
  // Audio in and out over chat completions; no image input.
  openai("gpt-audio", 128_000, 16_384, 2.5, 10, ["tools", "audio", "streaming"]),
  openai("gpt-audio-mini", 128_000, 16_384, 0.6, 2.4, ["tools", "audio", "streaming"]),
  embedding("openai", "text-embedding-3-small", 8_191, 1536, 0.02, OPENAI_DOCS),
  embedding("openai", "text-embedding-3-large", 8_191, 3072, 0.13, OPENAI_DOCS),
  embedding("openai", "text-embedding-ada-002", 8_191, 1536, 0.1, OPENAI_DOCS),

  // Anthropic — every current model takes images and PDFs, tools and extended/adaptive thinking;
  // no audio, no embeddings. Prefill accepted up to the 4.5/4.6-Sonnet generation.
  anthropic("claude-sonnet-4", 200_000, 64_000, 3, 15, CLAUDE_PREFILL),
  anthropic("claude-sonnet-4-5", 200_000, 64_000, 3, 15, CLAUDE_PREFILL),
  anthropic("claude-sonnet-4-6", 1_000_000, 64_000, 3, 15, CLAUDE_PREFILL),
  anthropic("claude-sonnet-5", 1_000_000, 128_000, 2, 10, CLAUDE),
  anthropic("claude-haiku-4-5", 200_000, 64_000, 1, 5, CLAUDE_PREFILL),
  anthropic("claude-opus-4-1", 200_000, 32_000, 15, 75, CLAUDE_PREFILL),
  anthropic("claude-opus-4-5", 200_000, 64_000, 5, 25, CLAUDE_PREFILL),
  anthropic("claude-opus-4-6", 1_000_000, 128_000, 5, 25, CLAUDE),
  anthropic("claude-opus-4-7", 1_000_000, 128_000, 5, 25, CLAUDE),
  anthropic("claude-opus-5", 1_000_000, 128_000, 5, 25, CLAUDE),

  // Gemini — text, image, audio, video and PDF input; thinking on every 2.5+ model.
  gemini("gemini-2.5-pro", 1_048_576, 65_535, 1.25, 10, GEMINI),
  gemini("gemini-2.5-flash", 1_048_576, 65_535, 0.3, 2.5, GEMINI),
  gemini("gemini-2.5-flash-lite", 1_048_576, 65_535, 0.1, 0.4, GEMINI),
  gemini("gemini-3-pro-preview", 1_048_576, 65_535, 2, 12, GEMINI),
  gemini("gemini-3-flash", 1_048_576, 65_535, 0.5, 3, GEMINI),
  gemini("gemini-3-flash-preview", 1_048_576, 65_535, 0.5, 3, GEMINI),
  gemini("gemini-3.1-pro-preview", 1_048_576, 65_536, 2, 12, GEMINI),
  gemini("gemini-3.1-flash-lite", 1_048_576, 65_536, 0.25, 1.5, GEMINI),
  gemini("gemini-3.5-flash", 1_048_576, 65_535, 1.5, 9, GEMINI),
  gemini("gemini-3.5-flash-lite", 1_048_576, 65_536, 0.3, 2.5, GEMINI),
  embedding("gemini", "gemini-embedding-001", 2_048, 3072, 0.15, LITELLM),
  embedding("gemini", "gemini-embedding-2", 8_192, 3072, 0.2, LITELLM)
]
