/**
 * The `@am/core` `Pricing` service over a dated price table, overridable in config.
 *
 * Model matching, in order (kind and model compared case-insensitively, a leading `models/` on
 * the model ignored):
 * 1. the exact `kind/model`;
 * 2. the model with its snapshot suffix stripped: `-YYYY-MM-DD` (OpenAI `gpt-4o-2024-08-06`),
 *    `-YYYYMMDD` or `@YYYYMMDD` (Anthropic `claude-haiku-4-5-20251001`, Vertex
 *    `claude-sonnet-4-5@20250929`), `-latest` (Anthropic aliases), `-NNN` (Gemini `gemini-2.5-flash-001`).
 *
 * Anything else has no price: `cost` returns `undefined`, never 0, so an unpriced model is
 * visible as such in the ledger and reports.
 *
 * @example
 * ```ts
 * import { Pricing } from "@am/core"
 * import { pricingLayer } from "@am/usage"
 * import { Effect } from "effect"
 * const usd = Effect.map(Pricing, (p) =>
 *   p.cost("openai", "gpt-4o-2024-08-06", { inputTokens: 1000, outputTokens: 100, totalTokens: 1100 })
 * ).pipe(Effect.provide(pricingLayer({ overrides: { "openai/gpt-4o": { input: 2 } } })))
 * ```
 * @since 0.1.0
 */
import { Pricing, type PricingShape, type Usage } from "@am/core"
import { Effect, Layer, Result, Schema } from "effect"
import { defaultPriceTable } from "./DefaultPrices.ts"
import { costOf, type Price, type PriceEntry, priceFields } from "./Price.ts"

/** A price override: any of the four prices, and optionally where it comes from. */
export type PriceOverride = Partial<Price> & {
  readonly source?: string
  readonly asOf?: string
  readonly note?: string
}

export interface PricingConfig {
  /** Replaces the built-in table (`defaultPriceTable`) entirely. */
  readonly table?: ReadonlyArray<PriceEntry>
  /**
   * Per `"kind/model"`: merged over the table's entry. A model not in the table needs at least
   * `input` and `output`; its cached-input and cache-write prices then default to `input`.
   */
  readonly overrides?: Readonly<Record<string, PriceOverride>>
}

/** The pricing configuration is invalid; `path` names the first bad field, `issues` lists them all. */
export class PricingConfigError extends Schema.TaggedError<PricingConfigError>()("PricingConfigError", {
  path: Schema.String,
  message: Schema.String,
  issues: Schema.Array(Schema.String)
}) {}

/** The `Pricing` service plus the resolved table, for reports and docs. */
export interface PricingTable extends PricingShape {
  /** The price used for (kind, model) after matching, or `undefined`. */
  readonly lookup: (providerKind: string, model: string) => PriceEntry | undefined
  /** Every entry after overrides, sorted by kind then model. */
  readonly entries: ReadonlyArray<PriceEntry>
}

const isPrice = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0

const describe = (v: unknown): string => (typeof v === "string" ? JSON.stringify(v) : String(v))

/**
 * Every problem with a pricing configuration, as `path: message` lines (empty when valid).
 *
 * @example
 * ```ts
 * validatePricingConfig({ overrides: { "openai/gpt-4o": { input: -1 } } })
 * // ['overrides["openai/gpt-4o"].input: must be a finite number >= 0 (USD per million tokens) (got -1)']
 * ```
 */
export const validatePricingConfig = (config: PricingConfig): Array<string> => {
  const issues: Array<string> = []
  const checkPrices = (path: string, p: Partial<Record<string, unknown>>, required: boolean) => {
    for (const field of priceFields) {
      const v = p[field]
      if (v === undefined && !required) continue
      if (!isPrice(v))
        issues.push(`${path}.${field}: must be a finite number >= 0 (USD per million tokens) (got ${describe(v)})`)
    }
  }
  const seen = new Map<string, number>()
  const table = config.table ?? defaultPriceTable
  table.forEach((e, i) => {
    const path = `table[${i}]`
    if (typeof e.kind !== "string" || e.kind === "") issues.push(`${path}.kind: must be a non-empty string`)
    if (typeof e.model !== "string" || e.model === "") issues.push(`${path}.model: must be a non-empty string`)
    if (typeof e.source !== "string" || e.source === "")
      issues.push(`${path}.source: must say where the price comes from`)
    if (typeof e.asOf !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(e.asOf))
      issues.push(`${path}.asOf: must be a date YYYY-MM-DD (got ${describe(e.asOf)})`)
    checkPrices(path, e as unknown as Record<string, unknown>, true)
    const key = keyOf(e.kind, e.model)
    const first = seen.get(key)
    if (first !== undefined) issues.push(`${path}: duplicates table[${first}] (${key})`)
    else seen.set(key, i)
  })
  for (const [key, o] of Object.entries(config.overrides ?? {})) {
    const path = `overrides[${JSON.stringify(key)}]`
    const slash = key.indexOf("/")
    if (slash <= 0 || slash === key.length - 1) {
      issues.push(`${path}: the key must be "kind/model" (for example "openai/gpt-4o")`)
      continue
    }
    checkPrices(path, o as Record<string, unknown>, false)
    if (o.asOf !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(o.asOf))
      issues.push(`${path}.asOf: must be a date YYYY-MM-DD (got ${describe(o.asOf)})`)
    if (!seen.has(key.toLowerCase()) && (o.input === undefined || o.output === undefined))
      issues.push(`${path}: ${key} is not in the table, so the override must set at least input and output`)
  }
  return issues
}

const keyOf = (kind: string, model: string): string => `${kind}/${model}`.toLowerCase()

const snapshotSuffixes: ReadonlyArray<RegExp> = [/-\d{4}-\d{2}-\d{2}$/, /[-@]\d{8}$/, /-latest$/, /-\d{3}$/]

/**
 * The model name with a dated-snapshot or version suffix removed (`undefined` when there is none).
 *
 * @example
 * ```ts
 * stripSnapshotSuffix("gpt-4o-2024-08-06") // "gpt-4o"
 * stripSnapshotSuffix("claude-haiku-4-5-20251001") // "claude-haiku-4-5"
 * ```
 */
export const stripSnapshotSuffix = (model: string): string | undefined => {
  for (const re of snapshotSuffixes) if (re.test(model)) return model.replace(re, "")
  return undefined
}

/**
 * Builds the pricing table from config, synchronously (for the CLI): the table with overrides
 * applied, or the validation error.
 */
export const pricingTable = (config: PricingConfig = {}): Result.Result<PricingTable, PricingConfigError> => {
  const issues = validatePricingConfig(config)
  if (issues.length > 0) {
    const first = issues[0] ?? ""
    return Result.fail(
      new PricingConfigError({
        path: first.slice(0, first.indexOf(":")),
        message: `invalid pricing config: ${issues.join("; ")}`,
        issues
      })
    )
  }
  const byKey = new Map<string, PriceEntry>()
  for (const e of config.table ?? defaultPriceTable) byKey.set(keyOf(e.kind, e.model), e)
  for (const [key, o] of Object.entries(config.overrides ?? {})) {
    const slash = key.indexOf("/")
    const base = byKey.get(key.toLowerCase())
    const input = o.input ?? base?.input ?? 0
    const note = o.note ?? base?.note
    byKey.set(key.toLowerCase(), {
      kind: base?.kind ?? key.slice(0, slash),
      model: base?.model ?? key.slice(slash + 1),
      input,
      output: o.output ?? base?.output ?? 0,
      cachedInput: o.cachedInput ?? base?.cachedInput ?? input,
      cacheWrite: o.cacheWrite ?? base?.cacheWrite ?? input,
      source: o.source ?? "config override",
      asOf: o.asOf ?? base?.asOf ?? "",
      ...(note !== undefined ? { note } : {})
    })
  }
  const lookup = (providerKind: string, model: string): PriceEntry | undefined => {
    const name = model.replace(/^models\//, "")
    const exact = byKey.get(keyOf(providerKind, name))
    if (exact !== undefined) return exact
    const stripped = stripSnapshotSuffix(name)
    return stripped === undefined ? undefined : byKey.get(keyOf(providerKind, stripped))
  }
  const entries = [...byKey.values()].sort((a, b) =>
    a.kind === b.kind ? a.model.localeCompare(b.model) : a.kind.localeCompare(b.kind)
  )
  return Result.succeed({
    lookup,
    entries,
    cost: (providerKind: string, model: string, usage: Usage) => {
      const price = lookup(providerKind, model)
      return price === undefined ? undefined : costOf(price, usage)
    }
  })
}

/** Builds the pricing table as an Effect, failing with `PricingConfigError`. */
export const makePricing = (config: PricingConfig = {}): Effect.Effect<PricingTable, PricingConfigError> =>
  Effect.suspend(() => Effect.fromResult(pricingTable(config)))

/**
 * Provides `@am/core` `Pricing` from the built-in table (or `config.table`) and `config.overrides`.
 * Fails to build with `PricingConfigError` (naming the bad path) on an invalid config.
 */
export const pricingLayer = (config: PricingConfig = {}): Layer.Layer<Pricing, PricingConfigError> =>
  Layer.effect(Pricing, makePricing(config))

/** `pricingLayer()` with the built-in table and no overrides. */
export const PricingDefault: Layer.Layer<Pricing> = Layer.effect(Pricing, Effect.orDie(makePricing()))
