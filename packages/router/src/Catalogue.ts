/**
 * The model catalogue: what each known model can do (context window, max output, capabilities,
 * embedding dimensions) and what it costs per million tokens — so a config that names a model and
 * says nothing else gets that model's real capabilities (a default config serves an image to a
 * vision model). The built-in data is `CatalogueData.ts`; `Catalogue.make` layers config overrides
 * on top; unknown models get `UNKNOWN_MODEL`.
 *
 * Lookup is by provider kind and model name, ignoring a dated snapshot suffix
 * (`claude-haiku-4-5-20251001`, `gpt-4o-2024-08-06`) and Gemini's `models/` prefix. An
 * `openai-compatible` provider (Azure, Groq, vLLM, Ollama …) borrows an OpenAI entry's
 * capabilities when it serves a model of that name, but never its prices (that host bills its own).
 *
 * @example
 * ```ts
 * import { Catalogue } from "@am/router"
 * const catalogue = Catalogue.make([{ kind: "openai-compatible", model: "llama3.1", contextWindow: 131072, capabilities: ["tools", "streaming"] }])
 * Catalogue.lookup(catalogue, "anthropic", "claude-haiku-4-5-20251001")?.capabilities.has("vision") // true
 * ```
 * @since 0.1.0
 */
import type { ProviderKind } from "@am/core"
import type { Capability } from "./Capability.ts"
import { builtinEntries, CATALOGUE_AS_OF } from "./CatalogueData.ts"

/** USD per million tokens. */
export interface Price {
  readonly input: number
  readonly output: number
}

/** One model's entry, as written (data file or config override). */
export interface CatalogueEntryInput {
  readonly kind: ProviderKind
  readonly model: string
  readonly contextWindow?: number
  readonly maxOutput?: number
  readonly capabilities?: ReadonlyArray<Capability>
  /** Embedding models: the vector size. */
  readonly dimensions?: number
  readonly price?: Price
  /** Where the figures come from, and when they were last known to hold. */
  readonly source?: string
  readonly asOf?: string
}

/** A resolved entry. */
export interface CatalogueEntry {
  readonly kind: ProviderKind
  readonly model: string
  readonly contextWindow: number
  /** Unknown → the router does not filter on it. */
  readonly maxOutput?: number
  readonly capabilities: ReadonlySet<Capability>
  readonly dimensions?: number
  readonly price?: Price
  readonly source?: string
  readonly asOf?: string
}

/** Entries by `kind/model`. */
export type Catalogue = ReadonlyMap<string, CatalogueEntry>

/**
 * What a model nobody described gets: the engine's defaults of today — `tools`, `json`,
 * `streaming`, a 128,000-token window — and nothing it might not have (no vision, audio,
 * files, reasoning, embeddings or prefill), no max-output check (unknown), no price (it sorts
 * last under `cheapest`).
 */
export const UNKNOWN_MODEL = {
  contextWindow: 128_000,
  capabilities: ["tools", "json", "streaming"] as ReadonlyArray<Capability>
} as const

/** The dated snapshot suffix and Gemini's resource prefix, which name the same model. */
export const canonicalName = (model: string): string =>
  model
    .replace(/^models\//, "")
    .replace(/-(\d{8}|\d{4}-\d{2}-\d{2})$/, "")
    .toLowerCase()

const keyOf = (kind: ProviderKind, model: string) => `${kind}/${canonicalName(model)}`

const resolve = (e: CatalogueEntryInput, base?: CatalogueEntry): CatalogueEntry => {
  const maxOutput = e.maxOutput ?? base?.maxOutput
  const dimensions = e.dimensions ?? base?.dimensions
  const price = e.price ?? base?.price
  const source = e.source ?? base?.source
  const asOf = e.asOf ?? base?.asOf
  return {
    kind: e.kind,
    model: canonicalName(e.model),
    contextWindow: e.contextWindow ?? base?.contextWindow ?? UNKNOWN_MODEL.contextWindow,
    capabilities: new Set(e.capabilities ?? base?.capabilities ?? UNKNOWN_MODEL.capabilities),
    ...(maxOutput !== undefined ? { maxOutput } : {}),
    ...(dimensions !== undefined ? { dimensions } : {}),
    ...(price !== undefined ? { price } : {}),
    ...(source !== undefined ? { source } : {}),
    ...(asOf !== undefined ? { asOf } : {})
  }
}

/**
 * A catalogue: the built-in entries (unless `builtin: false`), then `overrides` — an override
 * of a known model replaces only the fields it gives.
 */
export const make = (
  overrides: ReadonlyArray<CatalogueEntryInput> = [],
  options?: { readonly builtin?: boolean }
): Catalogue => {
  const map = new Map<string, CatalogueEntry>()
  const add = (e: CatalogueEntryInput) => {
    const key = keyOf(e.kind, e.model)
    map.set(key, resolve(e, map.get(key)))
  }
  if (options?.builtin !== false) builtinEntries.forEach(add)
  overrides.forEach(add)
  return map
}

/** The built-in catalogue. */
export const builtin: Catalogue = make()

/** The built-in data's as-of date. */
export const asOf = CATALOGUE_AS_OF

/** The entry for `model` served by a provider of `kind`, if the catalogue knows it. */
export const lookup = (catalogue: Catalogue, kind: ProviderKind, model: string): CatalogueEntry | undefined => {
  const own = catalogue.get(keyOf(kind, model))
  if (own !== undefined || kind !== "openai-compatible") return own
  const openai = catalogue.get(keyOf("openai", model))
  if (openai === undefined) return undefined
  const { price: _, ...capabilities } = openai
  return { ...capabilities, kind }
}
