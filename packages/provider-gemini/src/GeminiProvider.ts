/**
 * The Gemini adapter: a core `Provider` over the official `@google/genai` SDK. One SDK client per
 * API key (created on first use, reused after), the SDK's own retries off, one call = one HTTP
 * request, every failure a `ProviderFailure`.
 *
 * @example
 * ```ts
 * import { ApiKey } from "@am/core"
 * import { Effect, Redacted } from "effect"
 * import { make } from "@am/provider-gemini"
 *
 * const gemini = make({ id: "google", timeoutMs: 30_000 })
 * const key = ApiKey.make("g1", Redacted.make(process.env.GEMINI_API_KEY!))
 * const program = gemini.complete({
 *   request: { messages: [{ role: "user", content: "Say hi" }] },
 *   model: "gemini-2.5-flash",
 *   key
 * })
 * Effect.runPromise(program).then((c) => console.log(c.message.content, c.usage))
 * ```
 * @since 0.1.0
 */
import { Tracing } from "@am/core"
import type { Completion, CompletionChunk, Provider, ProviderCall, ProviderFailure } from "@am/core"
import {
  type AdapterConfig,
  abortOnClose,
  clientFactoryOf,
  fetchOf,
  firstHeader,
  makeClientCache,
  reportingSkippedEvents,
  timeoutCall,
  timeoutFor,
  timeoutStream
} from "@am/provider-utils"
import { type GenerateContentResponse, GoogleGenAI, type GoogleGenAIOptions, type HttpOptions } from "@google/genai"
import { Effect, Redacted, Stream } from "effect"
import { makeEmbed } from "./Embeddings.ts"
import { GEMINI_REQUEST_ID_HEADERS, type FailureContext, timeoutFailure, toProviderFailure } from "./Failures.ts"
import { makeResponseCapture, type ResponseCapture } from "./internal/ResponseCapture.ts"
import { type ThoughtSignatures, toGenerateContentParameters } from "./RequestTranslation.ts"
import { fromGenerateContentResponse } from "./ResponseTranslation.ts"
import { makeStreamTranslator, type StreamTranslator } from "./StreamTranslation.ts"
import { ThoughtSignatureStore } from "./ThoughtSignatureStore.ts"

export { type AdapterConfig, DEFAULT_TIMEOUT_MS } from "@am/provider-utils"

/** The Gemini adapter's config: the shared {@link AdapterConfig} plus what only Gemini needs. */
export interface GeminiConfig extends AdapterConfig<"gemini", GoogleGenAIOptions, GoogleGenAI> {
  /**
   * API version path segment. Default `v1beta`: JSON-schema output (`responseJsonSchema`) and
   * JSON-schema tool parameters (`parametersJsonSchema`) are served there.
   */
  readonly apiVersion?: string
  /**
   * Where function-call thought signatures wait for the follow-up turn (default: this process,
   * bounded). `ThoughtSignatureStore.redis` shares them between replicas.
   */
  readonly thoughtSignatures?: ThoughtSignatureStore
  /** @deprecated The old name of `clientFactory`; used when `clientFactory` is absent. */
  readonly createClient?: (options: GoogleGenAIOptions) => GoogleGenAI
}

/** The default API version the adapter talks to. */
export const DEFAULT_API_VERSION = "v1beta"

/**
 * Builds the Gemini `Provider`. SDK clients are cached by key id and fingerprint: a key whose
 * secret changes gets a new client, and the old one is dropped.
 *
 * @example
 * ```ts
 * import { make } from "@am/provider-gemini"
 * const google = make({ id: "google", timeoutMs: 30_000 })
 * const viaProxy = make({ id: "proxy", baseURL: "https://gemini-proxy.internal", apiVersion: "v1beta" })
 * ```
 */
/** The ids of the tool calls the conversation's assistant turns made (whose signatures go back). */
const toolCallIdsOf = (call: ProviderCall): ReadonlyArray<string> =>
  call.request.messages.flatMap((m) => (m.role === "assistant" ? (m.toolCalls ?? []).map((c) => c.id) : []))

/**
 * One call's view of the store for the translators: the signatures known when the call started,
 * and the new ones, remembered by `flush` once the answer is complete.
 */
const collector = (
  store: ThoughtSignatureStore,
  known: ReadonlyMap<string, string>
): ThoughtSignatures & {
  readonly use: (k: ReadonlyMap<string, string>) => void
  readonly flush: Effect.Effect<void>
} => {
  let found = known
  const fresh: Array<readonly [string, string]> = []
  return {
    get: (id: string) => found.get(id),
    set: (id: string, signature: string) => {
      fresh.push([id, signature])
    },
    use: (k: ReadonlyMap<string, string>) => {
      found = k
    },
    flush: Effect.suspend(() => (fresh.length === 0 ? Effect.void : store.remember(fresh.splice(0))))
  }
}

export const make = (config: GeminiConfig): Provider => {
  const store = config.thoughtSignatures ?? ThoughtSignatureStore.memory()
  const factory = clientFactoryOf(
    { clientFactory: config.clientFactory ?? config.createClient },
    (options: GoogleGenAIOptions) => new GoogleGenAI(options)
  )
  const fetch = fetchOf(config)

  const clients = makeClientCache((key) =>
    factory({
      // Never let GOOGLE_GENAI_USE_VERTEXAI in the environment switch the backend under us.
      vertexai: false,
      apiKey: Redacted.value(key.secret),
      apiVersion: config.apiVersion ?? DEFAULT_API_VERSION,
      // No `retryOptions`: the SDK then makes exactly one attempt (the engine owns retries).
      httpOptions: {
        ...(config.baseURL !== undefined ? { baseUrl: config.baseURL } : {}),
        ...(config.headers !== undefined ? { headers: { ...config.headers } } : {}),
        timeout: timeoutFor(undefined, config.timeoutMs)
      }
    })
  )

  // The fetch is per call: the capture remembers this call's response headers.
  const callHttpOptions = (timeoutMs: number, capture: ResponseCapture): HttpOptions => ({
    fetch: capture.fetch,
    timeout: timeoutMs
  })

  /** `stream` is set once a stream answered 200: failures are then stream failures. */
  const contextOf = (call: ProviderCall, capture: ResponseCapture, stream?: StreamTranslator): FailureContext => {
    const headers = capture.headers()
    return {
      providerId: config.id,
      model: call.model,
      key: call.key,
      responseBytesReceived: stream !== undefined ? stream.emitted() : headers !== undefined,
      ...(headers !== undefined ? { headers } : {}),
      ...(stream !== undefined ? { streaming: true } : {})
    }
  }

  const complete = Tracing.fn("GeminiProvider.complete")(function* (call: ProviderCall) {
    const capture = makeResponseCapture(fetch)
    const timeoutMs = timeoutFor(call.timeoutMs, config.timeoutMs)
    const client = clients.get(call.key)
    const signatures = collector(store, yield* store.lookup(toolCallIdsOf(call)))
    const params = toGenerateContentParameters(call.request, call.model, signatures)
    return yield* Effect.tryPromise({
      // The signal aborts the HTTP request when the fiber is interrupted (timeout, deadline, caller).
      try: (signal) =>
        client.models.generateContent({
          ...params,
          config: { ...params.config, abortSignal: signal, httpOptions: callHttpOptions(timeoutMs, capture) }
        }),
      catch: (error) => toProviderFailure(error, contextOf(call, capture))
    }).pipe(
      Effect.flatMap((response) =>
        Effect.try({
          try: (): Completion => {
            const requestId = firstHeader(capture.headers(), GEMINI_REQUEST_ID_HEADERS)
            return fromGenerateContentResponse(response, call.model, {
              signatures,
              ...(requestId !== undefined ? { requestId } : {})
            })
          },
          catch: (error) => toProviderFailure(error, contextOf(call, capture))
        })
      ),
      Effect.tap(() => signatures.flush),
      timeoutCall(timeoutMs, () => timeoutFailure(contextOf(call, capture), timeoutMs))
    )
  })

  const stream = (call: ProviderCall): Stream.Stream<CompletionChunk, ProviderFailure> =>
    Stream.suspend(() => {
      const capture = makeResponseCapture(fetch)
      const signatures = collector(store, new Map())
      const translator = makeStreamTranslator(call.model, signatures)
      const timeoutMs = timeoutFor(call.timeoutMs, config.timeoutMs)
      const body = Stream.unwrap(
        Effect.gen(function* () {
          const client = clients.get(call.key)
          signatures.use(yield* store.lookup(toolCallIdsOf(call)))
          const params = toGenerateContentParameters(call.request, call.model, signatures)
          const controller = yield* abortOnClose
          const chunks = yield* Effect.tryPromise({
            // Events the stream skips are counted for this call too (`call.onMalformedEvent`).
            try: () =>
              reportingSkippedEvents(call.onMalformedEvent, () =>
                client.models.generateContentStream({
                  ...params,
                  config: {
                    ...params.config,
                    abortSignal: controller.signal,
                    // 0: no SDK timer. @google/genai keeps its timer armed over the whole body, so it
                    // would cut a healthy stream; `timeoutStream` below bounds silences instead.
                    httpOptions: callHttpOptions(0, capture)
                  }
                })
              ),
            catch: (error) => toProviderFailure(error, contextOf(call, capture))
          })
          return Stream.fromAsyncIterable<GenerateContentResponse, ProviderFailure>(chunks, (error) =>
            toProviderFailure(error, contextOf(call, capture, translator))
          ).pipe(
            Stream.flatMap((response) => Stream.fromIterable(translator.push(response))),
            Stream.concat(
              Stream.suspend(() => {
                const finish = translator.finish()
                // Stored before the client sees the end, so its next turn finds them on any replica.
                return finish !== undefined
                  ? Stream.fromEffect(Effect.as(signatures.flush, finish))
                  : Stream.fail(
                      toProviderFailure(
                        new Error("stream ended without a finish reason"),
                        contextOf(call, capture, translator)
                      )
                    )
              })
            )
          )
        })
      )
      // A bound on silence (headers, first chunk, between chunks), never on the stream's length.
      return body.pipe(timeoutStream(timeoutMs, () => timeoutFailure(contextOf(call, capture, translator), timeoutMs)))
    })

  const embed = makeEmbed({ providerId: config.id, clients, fetch, timeoutMs: config.timeoutMs })
  return { id: config.id, kind: "gemini", complete, stream, embed }
}
