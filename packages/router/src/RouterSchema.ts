/**
 * The router's config fields as Schemas, for a config file to decode with (the runtime owns the
 * file; these are its pieces): a route as written — today's list of steps, or
 * `{ steps, profile, overrides }` with step weights — a model's router fields (`maxOutput`,
 * `price`, `dimensions`, `capabilities` with every router capability), and catalogue overrides.
 * Each rule is a check on the value it belongs to, so a bad field is reported with its path.
 *
 * @example
 * ```ts
 * import { RouteSchema } from "@am/router"
 * import { Schema } from "effect"
 * const route = Schema.decodeUnknownSync(RouteSchema)({
 *   profile: "cheapest",
 *   steps: [{ provider: "primary", models: ["gpt-4o", "gpt-4o-mini"], weight: { "gpt-4o": 3, "gpt-4o-mini": 1 } }]
 * })
 * ```
 * @since 0.1.0
 */
import { Schema } from "effect"
import { CAPABILITIES } from "./Capability.ts"

export const CapabilitySchema = Schema.Literals(CAPABILITIES)

export const ProfileSchema = Schema.Literals(["priority", "cheapest", "fastest"])

const Weight = Schema.Finite.check(Schema.isGreaterThan(0))
const PositiveInt = Schema.Int.check(Schema.isGreaterThan(0))
const Usd = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))

/** USD per million tokens. */
export const PriceSchema = Schema.Struct({ input: Usd, output: Usd })

/** One step: a provider, its models in order, and an optional balancing weight (one, or per model of the step). */
export const RouteStepSchema = Schema.Struct({
  provider: Schema.NonEmptyString,
  models: Schema.NonEmptyArray(Schema.NonEmptyString),
  weight: Schema.optionalKey(Schema.Union([Weight, Schema.Record(Schema.String, Weight)]))
}).check(
  Schema.makeFilter((step) => {
    if (typeof step.weight !== "object") return undefined
    const stray = Object.keys(step.weight).find((m) => !step.models.includes(m))
    return stray === undefined
      ? undefined
      : { path: ["weight", stray], issue: `"${stray}" is not a model of this step` }
  })
)

const Steps = Schema.NonEmptyArray(RouteStepSchema)

/** What a request may override: the profiles it may ask for, whether it may pin a provider/model. */
export const RouteOverridesSchema = Schema.Union([
  Schema.Literal(false),
  Schema.Struct({ profiles: Schema.optionalKey(Schema.Array(ProfileSchema)), pin: Schema.optionalKey(Schema.Boolean) })
])

/** A route as written: a list of steps (today's shape), or a route object. */
export const RouteSchema = Schema.Union([
  Steps,
  Schema.Struct({
    steps: Steps,
    profile: Schema.optionalKey(ProfileSchema),
    overrides: Schema.optionalKey(RouteOverridesSchema)
  })
])

/** The router's fields of a model entry (besides `name` and `contextWindow`, which exist today). */
export const ModelRouterFieldsSchema = Schema.Struct({
  capabilities: Schema.optionalKey(Schema.Array(CapabilitySchema)),
  maxOutput: Schema.optionalKey(PositiveInt),
  dimensions: Schema.optionalKey(PositiveInt),
  price: Schema.optionalKey(PriceSchema)
})

/** A catalogue override (`Catalogue.make(overrides)`): a provider kind and model, and the fields to replace. */
export const CatalogueEntrySchema = Schema.Struct({
  kind: Schema.Literals(["openai", "anthropic", "gemini", "openai-compatible"]),
  model: Schema.NonEmptyString,
  contextWindow: Schema.optionalKey(PositiveInt),
  ...ModelRouterFieldsSchema.fields,
  source: Schema.optionalKey(Schema.String),
  asOf: Schema.optionalKey(Schema.String)
})
