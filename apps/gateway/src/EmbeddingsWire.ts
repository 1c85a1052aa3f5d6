/**
 * OpenAI's embeddings wire format at the gateway's edge: the body of `POST /v1/embeddings` as a
 * Schema (a bad field is named in the 400), its translation into the engine's
 * `EmbeddingRequest`, and the answer back as OpenAI's `list` of `embedding` objects — floats, or
 * with `encoding_format: "base64"` the little-endian float32 bytes in base64 (what the `openai`
 * SDKs ask for by default and decode).
 *
 * Token-array input (`[[1, 2, 3]]`) is refused with a 400 naming `input`: the route may fail
 * over to a provider with another tokenizer, where those ids mean other words.
 *
 * @example
 * ```ts
 * import { decodeEmbeddingsBody, toEmbeddingRequest } from "@am/gateway"
 * ```
 * @since 0.1.0
 */
import { type EmbeddingRequest, MAX_EMBEDDING_INPUTS, schemaIssuePath } from "@am/core"
import type { EngineEmbeddings } from "@am/engine"
import { Effect, Schema } from "effect"
import { GatewayError } from "./GatewayError.ts"

const TokenIds = Schema.Array(Schema.Int)

/** The request body of `POST /v1/embeddings` (fields we don't use are ignored, as OpenAI does). */
export const EmbeddingsBody = Schema.Struct({
  model: Schema.NonEmptyString,
  input: Schema.Union([Schema.String, Schema.Array(Schema.String), TokenIds, Schema.Array(TokenIds)]),
  encoding_format: Schema.optionalKey(Schema.NullOr(Schema.Literals(["float", "base64"]))),
  dimensions: Schema.optionalKey(Schema.NullOr(Schema.Int.check(Schema.isGreaterThan(0)))),
  user: Schema.optionalKey(Schema.NullOr(Schema.String))
})
export type EmbeddingsBody = typeof EmbeddingsBody.Type

const decodeBody = Schema.decodeUnknownEffect(EmbeddingsBody)

/** Decodes a JSON body, failing with a `GatewayError` that names the bad field. */
export const decodeEmbeddingsBody = (json: unknown): Effect.Effect<EmbeddingsBody, GatewayError> =>
  typeof json !== "object" || json === null || Array.isArray(json)
    ? Effect.fail(GatewayError.invalid("the request body must be a JSON object"))
    : decodeBody(json, { errors: "first" }).pipe(
        Effect.mapError((e) => {
          const param = schemaIssuePath(e)
          const first = e.message.split("\n")[0] ?? e.message
          return param !== undefined
            ? GatewayError.invalid(`invalid field ${param}: ${first}`, param)
            : GatewayError.invalid(`invalid request body: ${first}`)
        })
      )

/** Who is calling and how: what the gateway adds to the body. */
export interface EmbeddingsCaller {
  readonly workspaceId: string
  readonly idempotencyKey?: string | undefined
  readonly deadlineMs?: number | undefined
}

/** The texts of `input`, or the 400 for input the gateway cannot route. */
export const inputTexts = (input: EmbeddingsBody["input"]): Effect.Effect<ReadonlyArray<string>, GatewayError> => {
  const texts = typeof input === "string" ? [input] : input
  if (texts.length === 0) return Effect.fail(GatewayError.invalid("input must not be empty", "input"))
  if (texts.length > MAX_EMBEDDING_INPUTS) {
    return Effect.fail(GatewayError.invalid(`input has more than ${MAX_EMBEDDING_INPUTS} items`, "input"))
  }
  for (const [i, t] of texts.entries()) {
    if (typeof t !== "string") {
      return Effect.fail(
        GatewayError.invalid(
          "token-array input is not supported: send text (a failover may reach a provider with another tokenizer)",
          "input"
        )
      )
    }
    if (t.length === 0) {
      return Effect.fail(GatewayError.invalid(`input[${i}] must not be an empty string`, `input.${i}`))
    }
  }
  return Effect.succeed(texts as ReadonlyArray<string>)
}

/** The engine's request for a decoded body (decoded again by the engine: it names any bad field). */
export const toEmbeddingRequest = (
  body: EmbeddingsBody,
  texts: ReadonlyArray<string>,
  caller: EmbeddingsCaller
): unknown =>
  ({
    model: body.model,
    input: texts,
    ...(body.dimensions !== undefined && body.dimensions !== null ? { dimensions: body.dimensions } : {}),
    ...(body.user !== undefined && body.user !== null ? { user: body.user } : {}),
    metadata: { workspaceId: caller.workspaceId },
    ...(caller.idempotencyKey !== undefined ? { idempotencyKey: caller.idempotencyKey } : {}),
    ...(caller.deadlineMs !== undefined ? { deadlineMs: caller.deadlineMs } : {})
  }) satisfies Partial<Record<keyof EmbeddingRequest, unknown>>

/** A vector as OpenAI's base64: its float32 values, little-endian, in base64. */
export const toBase64Floats = (vector: ReadonlyArray<number>): string => {
  const bytes = new DataView(new ArrayBuffer(vector.length * 4))
  for (const [i, x] of vector.entries()) bytes.setFloat32(i * 4, x, true)
  return Buffer.from(bytes.buffer).toString("base64")
}

/** The answer as OpenAI's embeddings response. */
export const toEmbeddingsResponse = (answer: EngineEmbeddings, format: "float" | "base64") => ({
  object: "list" as const,
  data: answer.vectors.map((vector, index) => ({
    object: "embedding" as const,
    index,
    embedding: format === "base64" ? toBase64Floats(vector) : vector
  })),
  model: answer.model,
  usage: { prompt_tokens: answer.usage.inputTokens, total_tokens: answer.usage.totalTokens }
})
