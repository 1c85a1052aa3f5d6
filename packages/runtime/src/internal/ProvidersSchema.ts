/**
 * `providers` of the config file, decoded to the engine's `ProviderSpec`s: keys with their
 * secrets resolved and fingerprinted, models by name — a model's `contextWindow`,
 * `capabilities`, `maxOutput`, `dimensions` and `price` only as written (no defaults here: the
 * router fills what is left out from its model catalogue, then the unknown-model defaults) — the timeout in milliseconds, breaker and key-selection defaults. A provider's
 * own rules (an `openai-compatible` provider needs a `baseURL`; no two keys share an id, no two
 * models a name) are checks on the provider, so they name the field.
 *
 * @internal
 */
import { ApiKey, ProviderKind } from "@am/core"
import { defaults } from "@am/engine"
import { CapabilitySchema, ModelRouterFieldsSchema } from "@am/router"
import { Effect, Schema, SchemaGetter } from "effect"
import { isUniqueBy, Millis, PositiveInt, PositiveMillis, Secret } from "./ConfigFields.ts"
import { embeddingsModelHasDimensions } from "./EmbeddingsSchema.ts"

const Weight = Schema.Finite.check(Schema.isGreaterThan(0))

/** A key as written (`{ id, secret, weight? }`), decoded to an `ApiKey` (with its fingerprint) and its weight. */
const Key = Schema.Struct({ id: Schema.NonEmptyString, secret: Secret, weight: Schema.optionalKey(Weight) }).pipe(
  Schema.decodeTo(
    Schema.Struct({
      id: Schema.String,
      secret: Schema.Redacted(Schema.String),
      fingerprint: Schema.String,
      weight: Schema.optionalKey(Schema.Number)
    }),
    {
      decode: SchemaGetter.transform(({ id, secret, weight }) => ({
        ...ApiKey.make(id, secret),
        ...(weight !== undefined ? { weight } : {})
      })),
      encode: SchemaGetter.transform(({ fingerprint: _, ...key }) => key)
    }
  )
)

/** Every capability the router's matrix knows (`@am/router`'s `Capability`). */
export const Capability = CapabilitySchema

const Model = Schema.Struct({
  name: Schema.NonEmptyString,
  contextWindow: Schema.optionalKey(PositiveInt),
  capabilities: Schema.optionalKey(
    Schema.Array(Capability).pipe(
      Schema.decodeTo(Schema.ReadonlySet(Capability), {
        decode: SchemaGetter.transform((list) => new Set(list)),
        encode: SchemaGetter.transform((set) => [...set])
      })
    )
  ),
  /** The most output tokens the model gives (a request asking for more skips it). */
  maxOutput: ModelRouterFieldsSchema.fields.maxOutput,
  /** An embeddings model's vector size (only for a model with the `embeddings` capability). */
  dimensions: ModelRouterFieldsSchema.fields.dimensions,
  /** USD per million tokens, `{ input, output }` (what the `cheapest` profile orders by). */
  price: ModelRouterFieldsSchema.fields.price
}).check(embeddingsModelHasDimensions)

/** The model list as written, decoded to a map by name. */
const Models = Schema.Array(Model)
  .check(isUniqueBy("name", "model"))
  .pipe(
    Schema.decodeTo(Schema.ReadonlyMap(Schema.String, Schema.toType(Model)), {
      decode: SchemaGetter.transform((models) => new Map(models.map((m) => [m.name, m] as const))),
      encode: SchemaGetter.transform((models) => [...models.values()])
    })
  )

const Breaker = Schema.Struct({
  consecutiveFailures: Schema.optionalKey(PositiveInt),
  failureRate: Schema.optionalKey(
    Schema.Struct({
      threshold: Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1, exclusiveMinimum: true })),
      minimumCalls: Schema.optionalKey(PositiveInt),
      /** How many of the most recent calls the rate is computed over. */
      window: Schema.optionalKey(PositiveInt)
    })
  ),
  openFor: Schema.optionalKey(Millis),
  maxOpenFor: Schema.optionalKey(Millis)
})

/** A provider's fields as decoded (`timeoutMs` is written `timeout`, `connectTimeoutMs` `connectTimeout`). */
const providerFields = {
  kind: ProviderKind,
  baseURL: Schema.optionalKey(Schema.NonEmptyString),
  keys: Schema.Array(Key).check(isUniqueBy("id", "key id")),
  models: Models,
  timeoutMs: Millis.pipe(Schema.withDecodingDefaultKey(Effect.succeed(defaults.providerTimeoutMs))),
  /** TCP + TLS handshake limit (written `connectTimeout`); the shared pool's 10 s when absent. */
  connectTimeoutMs: Schema.optionalKey(PositiveMillis),
  breaker: Breaker.pipe(Schema.withDecodingDefaultKey(Effect.succeed({}))),
  keySelection: Schema.Literals(["round-robin", "weighted", "least-penalized"]).pipe(
    Schema.withDecodingDefaultKey(Effect.succeed("round-robin" as const))
  ),
  headers: Schema.optionalKey(Schema.Record(Schema.String, Schema.String))
}

const Provider = Schema.Struct(providerFields)
  .check(
    Schema.makeFilter((p) =>
      p.kind !== "openai-compatible" || p.baseURL !== undefined
        ? undefined
        : { path: ["baseURL"], issue: `a provider of kind "openai-compatible" needs a baseURL` }
    )
  )
  .pipe(Schema.encodeKeys({ timeoutMs: "timeout", connectTimeoutMs: "connectTimeout" }))

/** A decoded provider with its id: the engine's `ProviderSpec`. */
const ProviderSpec = Schema.toType(Schema.Struct({ id: Schema.String, ...providerFields }))

/** `providers` as written (a record by id), decoded to a map of `ProviderSpec` by id. */
export const Providers = Schema.Record(Schema.NonEmptyString, Provider).pipe(
  Schema.decodeTo(Schema.ReadonlyMap(Schema.String, ProviderSpec), {
    decode: SchemaGetter.transform(
      (providers) => new Map(Object.entries(providers).map(([id, p]) => [id, { id, ...p }] as const))
    ),
    encode: SchemaGetter.transform((providers) =>
      Object.fromEntries([...providers].map(([id, { id: _, ...p }]) => [id, p] as const))
    )
  })
)
