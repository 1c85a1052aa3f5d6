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
import { type ClientCache, firstHeader, REQUEST_ID_HEADERS, timeoutCall, timeoutFor } from "@am/provider-utils"
import { Effect } from "effect"
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
    const body = toEmbeddingCreateParams(call, options.kind)
    const data = yield* Effect.tryPromise({
      try: (signal) => {
        const pending = client.embeddings.create(body, { signal, timeout: timeoutMs, maxRetries: 0 })
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
    const answer = fromCreateEmbeddingResponse(data, {
      kind: options.kind,
      model: call.model,
      requestId: firstHeader(seen.headers, REQUEST_ID_HEADERS)
    })
    return typeof answer === "string" ? yield* Effect.fail(decodeFailure(context(), answer)) : answer
  })
