/**
 * Embeddings, normalised across providers: the request (texts to embed, an optional reduced
 * dimension count), one call to one model, and the vectors with the usage they billed. Vectors
 * are plain numbers in input order; how they travel on a wire (float arrays, base64 of
 * little-endian float32) is the edge's business.
 *
 * @example
 * ```ts
 * import { EmbeddingRequest } from "@am/core"
 * import { Schema } from "effect"
 * const request = Schema.decodeUnknownSync(EmbeddingRequest)({
 *   route: "embeddings",
 *   input: ["first document", "second document"],
 *   dimensions: 256
 * })
 * ```
 * @since 0.1.0
 */
import { Schema } from "effect"
import type { ApiKey } from "./ApiKey.ts"
import { RequestMetadata } from "./CompletionRequest.ts"
import { Usage } from "./Usage.ts"

/** At most this many texts per request (OpenAI's limit for one `/embeddings` call). */
export const MAX_EMBEDDING_INPUTS = 2048

const PositiveInt = Schema.Int.check(Schema.isGreaterThan(0))

/**
 * The client's own `/embeddings` JSON, for an adapter that speaks OpenAI's embeddings wire: it
 * sends `body` with only the model substituted, so fields the gateway does not know survive.
 * `input` is what the body's input became in the request; when the request's `input` no longer
 * equals it, the adapter sends the request's texts instead. `Redacted`: never logged or stored.
 *
 * @example
 * ```ts
 * import type { EmbeddingPassthrough } from "@am/core"
 * import { Redacted } from "effect"
 * const carrier: EmbeddingPassthrough = { wire: "openai.embeddings", body: Redacted.make('{"model":"e","input":"hi"}'), input: ["hi"] }
 * ```
 */
export const EmbeddingPassthrough = Schema.Struct({
  wire: Schema.Literal("openai.embeddings"),
  body: Schema.Redacted(Schema.String, { disallowJsonEncode: true }),
  input: Schema.optionalKey(Schema.Array(Schema.String))
})
export type EmbeddingPassthrough = typeof EmbeddingPassthrough.Type

export const EmbeddingRequest = Schema.Struct({
  /** A configured route name; `default` when neither route nor model is given. */
  route: Schema.optionalKey(Schema.NonEmptyString),
  /** A concrete model name (or a route name, as the gateway's `model` field allows). */
  model: Schema.optionalKey(Schema.NonEmptyString),
  /** The texts to embed, in order; each non-empty. */
  input: Schema.NonEmptyArray(Schema.NonEmptyString).check(Schema.isMaxLength(MAX_EMBEDDING_INPUTS)),
  /** Reduced output size (OpenAI `dimensions`, Gemini `outputDimensionality`); the model's own size otherwise. */
  dimensions: Schema.optionalKey(PositiveInt),
  /** The end user, forwarded where the provider has a field for it (OpenAI `user`). */
  user: Schema.optionalKey(Schema.String),
  metadata: Schema.optionalKey(RequestMetadata),
  idempotencyKey: Schema.optionalKey(Schema.NonEmptyString.check(Schema.isMaxLength(256))),
  /** The whole request's time budget in milliseconds (all attempts and backoff included). */
  deadlineMs: Schema.optionalKey(PositiveInt),
  /** The client's own request body, for adapters that speak its wire (see {@link EmbeddingPassthrough}). */
  passthrough: Schema.optionalKey(EmbeddingPassthrough)
})
export type EmbeddingRequest = typeof EmbeddingRequest.Type

/** The vectors of one embeddings call, one per input in input order, with the usage billed. */
export const Embeddings = Schema.Struct({
  vectors: Schema.Array(Schema.Array(Schema.Number)),
  /** `inputTokens` = `totalTokens`; embeddings produce no output tokens. */
  usage: Usage,
  /** Provider kind that answered (`openai`, `gemini`, `openai-compatible`). */
  provider: Schema.String,
  /** The model that answered, as the provider reported it. */
  model: Schema.String,
  /** Whether `usage` is the adapter's estimate because the provider reported none. */
  usageEstimated: Schema.optionalKey(Schema.Boolean),
  /** The provider's request id header (`x-request-id`, …). */
  providerRequestId: Schema.optionalKey(Schema.String)
})
export type Embeddings = typeof Embeddings.Type

/** One embeddings call to one model with one key. */
export interface EmbeddingCall {
  readonly request: EmbeddingRequest
  /** The concrete model to call (the engine resolved routes and aliases). */
  readonly model: string
  readonly key: ApiKey
  /** Time allowed for this attempt; the adapter fails with `kind: "timeout"` after it. */
  readonly timeoutMs?: number
}
