/**
 * Embeddings over the official `@google/genai` SDK: `models.embedContent`, which the Gemini
 * Developer API serves as `models/{model}:batchEmbedContents` (one request per input text, one
 * HTTP call), with `dimensions` as `outputDimensionality`. One call per request (no SDK retries),
 * the answer normalised to core `Embeddings` and every failure to a `ProviderFailure`, as chat.
 *
 * Usage: `usageMetadata.promptTokenCount` when the API reports it; otherwise an estimate of
 * ~4 characters per token, flagged `usageEstimated`, so the ledger still prices the call.
 *
 * @example
 * ```ts
 * import { make } from "@am/provider-gemini"
 * import { ApiKey } from "@am/core"
 * import { Effect, Redacted } from "effect"
 * const google = make({ id: "google" })
 * const vectors = google.embed!({
 *   request: { input: ["hello", "world"], dimensions: 768 },
 *   model: "gemini-embedding-001",
 *   key: ApiKey.make("g1", Redacted.make(process.env.GEMINI_API_KEY!))
 * })
 * Effect.runPromise(vectors).then((e) => console.log(e.vectors[0]!.length))
 * ```
 * @since 0.1.0
 */
import { type EmbeddingCall, type Embeddings, makeUsage } from "@am/core"
import { type ClientCache, firstHeader, timeoutCall, timeoutFor } from "@am/provider-utils"
import type { EmbedContentResponse, GoogleGenAI } from "@google/genai"
import { Effect } from "effect"
import { type FailureContext, GEMINI_REQUEST_ID_HEADERS, timeoutFailure, toProviderFailure } from "./Failures.ts"
import { makeResponseCapture, type ResponseCapture } from "./internal/ResponseCapture.ts"

/** What the embeddings call shares with the adapter it belongs to. */
export interface EmbeddingsOptions {
  readonly providerId: string
  readonly clients: ClientCache<GoogleGenAI>
  readonly fetch: typeof globalThis.fetch
  readonly timeoutMs?: number | undefined
}

/** The answer of `batchEmbedContents`, read into core `Embeddings`; a failure reason when it is not one. */
export const fromEmbedContentResponse = (
  response: EmbedContentResponse,
  call: EmbeddingCall,
  requestId?: string
): Embeddings | string => {
  const embeddings = response?.embeddings
  if (!Array.isArray(embeddings)) return "response has no embeddings"
  const vectors: Array<ReadonlyArray<number>> = []
  for (const e of embeddings) {
    if (!Array.isArray(e?.values)) return "an embedding has no values"
    vectors.push(e.values)
  }
  const reported = response.usageMetadata?.promptTokenCount
  const inputTokens = reported ?? Math.ceil(call.request.input.reduce((n, text) => n + text.length, 0) / 4)
  return {
    vectors,
    usage: makeUsage({
      inputTokens,
      outputTokens: 0,
      totalTokens: response.usageMetadata?.totalTokenCount ?? inputTokens
    }),
    provider: "gemini",
    model: call.model,
    ...(reported === undefined ? { usageEstimated: true } : {}),
    ...(requestId !== undefined ? { providerRequestId: requestId } : {})
  }
}

const contextOf = (options: EmbeddingsOptions, call: EmbeddingCall, capture: ResponseCapture): FailureContext => {
  const headers = capture.headers()
  return {
    providerId: options.providerId,
    model: call.model,
    key: call.key,
    responseBytesReceived: headers !== undefined,
    ...(headers !== undefined ? { headers } : {})
  }
}

/** The adapter's `embed`. */
export const makeEmbed = (options: EmbeddingsOptions) =>
  Effect.fn("GeminiProvider.embed")(function* (call: EmbeddingCall) {
    const capture = makeResponseCapture(options.fetch)
    const timeoutMs = timeoutFor(call.timeoutMs, options.timeoutMs)
    const client = options.clients.get(call.key)
    const response = yield* Effect.tryPromise({
      // The signal aborts the HTTP request when the fiber is interrupted (timeout, deadline, caller).
      try: (signal) =>
        client.models.embedContent({
          model: call.model,
          contents: [...call.request.input],
          config: {
            ...(call.request.dimensions !== undefined ? { outputDimensionality: call.request.dimensions } : {}),
            abortSignal: signal,
            httpOptions: { fetch: capture.fetch, timeout: timeoutMs }
          }
        }),
      catch: (error) => toProviderFailure(error, contextOf(options, call, capture))
    }).pipe(timeoutCall(timeoutMs, () => timeoutFailure(contextOf(options, call, capture), timeoutMs)))
    const answer = fromEmbedContentResponse(response, call, firstHeader(capture.headers(), GEMINI_REQUEST_ID_HEADERS))
    return typeof answer === "string"
      ? yield* Effect.fail(toProviderFailure(new SyntaxError(answer), contextOf(options, call, capture)))
      : answer
  })
