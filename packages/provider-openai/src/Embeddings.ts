/**
 * Embeddings over the official `openai` SDK: `client.embeddings.create` against OpenAI's (or an
 * OpenAI-compatible server's) `/embeddings`, one call per request (`maxRetries: 0`), the answer
 * normalised to core `Embeddings` (vectors in input order, `usage.prompt_tokens` as input tokens)
 * and every failure to a `ProviderFailure`, exactly as chat does.
 *
 * Against OpenAI the SDK's default wire encoding is used (base64 of float32, decoded by the SDK:
 * a quarter of the bytes of JSON floats). OpenAI-compatible servers are asked for `float`, which
 * every one of them speaks.
 *
 * @example
 * ```ts
 * import { make } from "@am/provider-openai"
 * import { ApiKey } from "@am/core"
 * import { Effect, Redacted } from "effect"
 * const provider = make({ id: "primary" })
 * const vectors = provider.embed!({
 *   request: { input: ["hello", "world"], dimensions: 256 },
 *   model: "text-embedding-3-small",
 *   key: ApiKey.make("k1", Redacted.make(process.env.OPENAI_API_KEY!))
 * })
 * Effect.runPromise(vectors).then((e) => console.log(e.vectors.length, e.usage.inputTokens))
 * ```
 * @since 0.1.0
 */
import { type EmbeddingCall, type Embeddings, makeUsage } from "@am/core"
import {
  type ClientCache,
  firstHeader,
  REQUEST_ID_HEADERS,
  spliceTopLevel,
  timeoutCall,
  timeoutFor
} from "@am/provider-utils"
import { Effect, Redacted } from "effect"
import type OpenAI from "openai"
import { decodeFailure, type FailureContext, timeoutFailure, toProviderFailure } from "./Failures.ts"
import type { OpenAIKind } from "./RequestTranslation.ts"

/** What the embeddings call shares with the adapter it belongs to. */
export interface EmbeddingsOptions {
  readonly providerId: string
  readonly kind: OpenAIKind
  readonly clients: ClientCache<OpenAI>
  readonly timeoutMs?: number | undefined
}

/** The answer of `/embeddings`, read into core `Embeddings`; a failure reason when it is not one. */
export const fromCreateEmbeddingResponse = (
  response: OpenAI.CreateEmbeddingResponse,
  options: { readonly kind: OpenAIKind; readonly model: string; readonly requestId?: string | undefined }
): Embeddings | string => {
  if (!Array.isArray(response?.data)) return "response has no data"
  const vectors: Array<ReadonlyArray<number>> = []
  for (const item of response.data) {
    if (!Array.isArray(item?.embedding) || typeof item.index !== "number") return "an embedding is not a float array"
    vectors[item.index] = item.embedding
  }
  if (vectors.length !== response.data.length || vectors.includes(undefined as never)) {
    return "embedding indices are not 0..n-1"
  }
  const input = response.usage?.prompt_tokens ?? 0
  return {
    vectors,
    usage: makeUsage({ inputTokens: input, outputTokens: 0, totalTokens: response.usage?.total_tokens ?? input }),
    provider: options.kind,
    model: typeof response.model === "string" && response.model.length > 0 ? response.model : options.model,
    ...(options.requestId !== undefined ? { providerRequestId: options.requestId } : {})
  }
}

/** The request body for one call (`encoding_format` left to the SDK for OpenAI itself). */
export const toEmbeddingCreateParams = (call: EmbeddingCall, kind: OpenAIKind): OpenAI.EmbeddingCreateParams => ({
  model: call.model,
  input: [...call.request.input],
  ...(call.request.dimensions !== undefined ? { dimensions: call.request.dimensions } : {}),
  ...(call.request.user !== undefined ? { user: call.request.user } : {}),
  ...(kind === "openai-compatible" ? { encoding_format: "float" as const } : {})
})

/**
 * The body of a same-wire call: the client's own `/embeddings` JSON with the model spliced in
 * (unknown fields kept), or `undefined` when the request carries none. When the request's input
 * changed since the body was received, the request's texts are sent instead of the body's.
 */
export const sameWireEmbeddingsBody = (call: EmbeddingCall): string | undefined => {
  const carrier = call.request.passthrough
  if (carrier === undefined || carrier.wire !== "openai.embeddings") return undefined
  let body = spliceTopLevel(Redacted.value(carrier.body), "model", call.model)
  const same =
    carrier.input !== undefined &&
    carrier.input.length === call.request.input.length &&
    carrier.input.every((text, i) => text === call.request.input[i])
  if (!same) body = spliceTopLevel(body, "input", [...call.request.input])
  return body
}

/** A base64 embedding (little-endian float32, what `encoding_format: "base64"` answers) as numbers. */
const fromBase64 = (text: string): Array<number> => {
  const bytes = Buffer.from(text, "base64")
  const floats = new Float32Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.byteLength / 4))
  return Array.from(floats)
}

/** A raw `/embeddings` answer with base64 vectors decoded (the SDK decodes them only in `create`). */
const decodedVectors = (response: OpenAI.CreateEmbeddingResponse): OpenAI.CreateEmbeddingResponse =>
  Array.isArray(response?.data) && response.data.some((d) => typeof d?.embedding === "string")
    ? {
        ...response,
        data: response.data.map((d) =>
          typeof d.embedding === "string" ? { ...d, embedding: fromBase64(d.embedding) } : d
        )
      }
    : response

/** With this header the SDK sends a string body verbatim (no re-serialisation). */
const JSON_BODY = { "content-type": "application/json" } as const

/** The adapter's `embed`. */
export const makeEmbed = (options: EmbeddingsOptions) =>
  Effect.fn("OpenAIProvider.embed")(function* (call: EmbeddingCall) {
    const client = options.clients.get(call.key)
    const timeoutMs = timeoutFor(call.timeoutMs, options.timeoutMs)
    const seen: { headers: Headers | undefined } = { headers: undefined }
    const context = (): FailureContext => ({
      providerId: options.providerId,
      model: call.model,
      key: call.key,
      provider: options.kind,
      responseBytesReceived: seen.headers !== undefined,
      headers: seen.headers
    })
    // Same wire: the client's own JSON (unknown fields kept); otherwise the SDK's translation.
    const raw = sameWireEmbeddingsBody(call)
    const data = yield* Effect.tryPromise({
      try: (signal) => {
        const requestOptions = { signal, timeout: timeoutMs, maxRetries: 0 }
        const pending =
          raw === undefined
            ? client.embeddings.create(toEmbeddingCreateParams(call, options.kind), requestOptions)
            : client.post<OpenAI.CreateEmbeddingResponse>("/embeddings", {
                ...requestOptions,
                body: raw,
                headers: JSON_BODY
              })
        pending.asResponse().then(
          (response) => {
            seen.headers = response.headers
          },
          () => undefined
        )
        return pending
      },
      catch: (error) => toProviderFailure(error, context())
    }).pipe(timeoutCall(timeoutMs, () => timeoutFailure(context(), timeoutMs)))
    const answer = fromCreateEmbeddingResponse(raw === undefined ? data : decodedVectors(data), {
      kind: options.kind,
      model: call.model,
      requestId: firstHeader(seen.headers, REQUEST_ID_HEADERS)
    })
    return typeof answer === "string" ? yield* Effect.fail(decodeFailure(context(), answer)) : answer
  })
