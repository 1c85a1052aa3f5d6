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
import {
  type ApiKey,
  type Completion,
  type CompletionChunk,
  type Provider,
  type ProviderCall,
  ProviderFailure
} from "@am/core"
import { sharedFetch } from "@am/transport"
import { type GenerateContentResponse, GoogleGenAI, type GoogleGenAIOptions, type HttpOptions } from "@google/genai"
import { Duration, Effect, Redacted, Stream } from "effect"
import { makeResponseCapture, type ResponseCapture } from "./internal/ResponseCapture.ts"
import { type FailureContext, toProviderFailure } from "./ToProviderFailure.ts"
import {
  chunkDeltas,
  finishChunk,
  fromGenerateContentResponse,
  makeStreamState,
  makeThoughtSignatures,
  PROVIDER_KIND,
  type StreamState,
  type ThoughtSignatures,
  toGenerateContentParameters
} from "./Translate.ts"

/** The adapter contract shared by the provider packages. */
export interface AdapterConfig {
  /** The configured provider id, e.g. `"primary"`. */
  readonly id: string
  /** Base URL of the Gemini API (a proxy or a test upstream); the SDK's default otherwise. */
  readonly baseURL?: string
  /** Default per-call timeout when `ProviderCall.timeoutMs` is absent. */
  readonly timeoutMs?: number
  /** Extra headers sent on every request. */
  readonly headers?: Readonly<Record<string, string>>
  /**
   * The HTTP client the SDK uses (`httpOptions.fetch`). Default: `@am/transport`'s `sharedFetch`
   * (undici keep-alive pools shared by every adapter in the process); `globalThis.fetch` opts out.
   */
  readonly fetch?: typeof globalThis.fetch
}

/** Gemini-specific options on top of the shared contract. */
export interface GeminiConfig extends AdapterConfig {
  /**
   * API version path segment. Default `v1beta`: JSON-schema output (`responseJsonSchema`) and
   * JSON-schema tool parameters (`parametersJsonSchema`) are served there.
   */
  readonly apiVersion?: string
  /**
   * Builds the SDK client for one key. Defaults to `new GoogleGenAI(options)`; a hook for
   * instrumentation and for tests that count client constructions.
   */
  readonly createClient?: (options: GoogleGenAIOptions) => GoogleGenAI
}

/** The default API version the adapter talks to. */
export const DEFAULT_API_VERSION = "v1beta"

/**
 * The call's own timeout fired. A stream whose headers had arrived stalled: a `stream` failure,
 * marked as having sent output if any delta had gone downstream.
 */
const timeoutFailure = (
  call: ProviderCall,
  providerId: string,
  timeoutMs: number,
  capture: ResponseCapture,
  stream?: StreamState
) => {
  const stalled = stream !== undefined && capture.headers() !== undefined
  return new ProviderFailure({
    provider: PROVIDER_KIND,
    providerId,
    model: call.model,
    keyId: call.key.id,
    keyFingerprint: call.key.fingerprint,
    kind: stalled ? "stream" : "timeout",
    message: stalled ? `stream did not finish within ${timeoutMs} ms` : `no answer within ${timeoutMs} ms`,
    errorType: "timeout",
    responseBytesReceived: stream !== undefined ? stream.emitted : capture.headers() !== undefined
  })
}

/**
 * Builds the Gemini `Provider`. SDK clients are cached by key id and fingerprint: a key whose
 * secret changes gets a new client, and the old one is dropped.
 */
export const make = (config: GeminiConfig): Provider => {
  const clients = new Map<string, { readonly fingerprint: string; readonly client: GoogleGenAI }>()
  const signatures: ThoughtSignatures = makeThoughtSignatures()
  const createClient = config.createClient ?? ((options: GoogleGenAIOptions) => new GoogleGenAI(options))
  const fetch = config.fetch ?? sharedFetch

  const clientFor = (key: ApiKey): GoogleGenAI => {
    const cached = clients.get(key.id)
    if (cached !== undefined && cached.fingerprint === key.fingerprint) return cached.client
    const client = createClient({
      // Never let GOOGLE_GENAI_USE_VERTEXAI in the environment switch the backend under us.
      vertexai: false,
      apiKey: Redacted.value(key.secret),
      apiVersion: config.apiVersion ?? DEFAULT_API_VERSION,
      // No `retryOptions`: the SDK then makes exactly one attempt (the engine owns retries).
      httpOptions: {
        ...(config.baseURL !== undefined ? { baseUrl: config.baseURL } : {}),
        ...(config.headers !== undefined ? { headers: { ...config.headers } } : {}),
        ...(config.timeoutMs !== undefined ? { timeout: config.timeoutMs } : {})
      }
    })
    clients.set(key.id, { fingerprint: key.fingerprint, client })
    return client
  }

  const callHttpOptions = (timeoutMs: number | undefined, capture: ResponseCapture): HttpOptions => ({
    fetch: capture.fetch,
    ...(timeoutMs !== undefined ? { timeout: timeoutMs } : {})
  })

  /** `stream` is set once a stream answered 200: failures are then stream failures. */
  const contextOf = (call: ProviderCall, capture: ResponseCapture, stream?: StreamState): FailureContext => {
    const headers = capture.headers()
    return {
      providerId: config.id,
      model: call.model,
      key: call.key,
      responseBytesReceived: stream !== undefined ? stream.emitted : headers !== undefined,
      ...(headers !== undefined ? { headers } : {}),
      ...(stream !== undefined ? { streaming: true } : {})
    }
  }

  const complete = (call: ProviderCall): Effect.Effect<Completion, ProviderFailure> =>
    Effect.suspend(() => {
      const capture = makeResponseCapture(fetch)
      const timeoutMs = call.timeoutMs ?? config.timeoutMs
      const client = clientFor(call.key)
      const params = toGenerateContentParameters(call.request, call.model, signatures)
      const attempt = Effect.tryPromise({
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
            try: () =>
              fromGenerateContentResponse(response, call.model, {
                signatures,
                ...(requestIdOf(capture) !== undefined ? { requestId: requestIdOf(capture)! } : {})
              }),
            catch: (error) => toProviderFailure(error, contextOf(call, capture))
          })
        )
      )
      return timeoutMs === undefined
        ? attempt
        : Effect.timeoutOrElse(attempt, {
            duration: Duration.millis(timeoutMs),
            orElse: () => Effect.fail(timeoutFailure(call, config.id, timeoutMs, capture))
          })
    })

  const stream = (call: ProviderCall): Stream.Stream<CompletionChunk, ProviderFailure> =>
    Stream.suspend(() => {
      const capture = makeResponseCapture(fetch)
      const state = makeStreamState()
      const timeoutMs = call.timeoutMs ?? config.timeoutMs
      const body = Stream.unwrap(
        Effect.gen(function* () {
          const client = clientFor(call.key)
          const params = toGenerateContentParameters(call.request, call.model, signatures)
          // Closing the stream (end, failure, interruption) aborts the HTTP request.
          const controller = yield* Effect.acquireRelease(
            Effect.sync(() => new AbortController()),
            (c) => Effect.sync(() => c.abort())
          )
          const chunks = yield* Effect.tryPromise({
            try: () =>
              client.models.generateContentStream({
                ...params,
                config: {
                  ...params.config,
                  abortSignal: controller.signal,
                  httpOptions: callHttpOptions(timeoutMs, capture)
                }
              }),
            catch: (error) => toProviderFailure(error, contextOf(call, capture))
          })
          return Stream.fromAsyncIterable<GenerateContentResponse, ProviderFailure>(chunks, (error) =>
            toProviderFailure(error, contextOf(call, capture, state))
          ).pipe(
            Stream.flatMap((response) => Stream.fromIterable(chunkDeltas(state, response, signatures))),
            Stream.concat(
              Stream.suspend(() => {
                const finish = finishChunk(state, call.model)
                return finish !== undefined
                  ? Stream.make(finish)
                  : Stream.fail(
                      toProviderFailure(
                        new Error("stream ended without a finish reason"),
                        contextOf(call, capture, state)
                      )
                    )
              })
            )
          )
        })
      )
      return timeoutMs === undefined
        ? body
        : body.pipe(
            Stream.interruptWhen(
              Effect.sleep(Duration.millis(timeoutMs)).pipe(
                Effect.andThen(Effect.failSync(() => timeoutFailure(call, config.id, timeoutMs, capture, state)))
              )
            )
          )
    })

  return { id: config.id, kind: "gemini", complete, stream }
}

const requestIdOf = (capture: ResponseCapture): string | undefined => {
  const headers = capture.headers()
  return headers?.get("x-request-id") ?? headers?.get("request-id") ?? headers?.get("x-goog-request-id") ?? undefined
}
