/**
 * The Anthropic adapter: a core `Provider` over `@anthropic-ai/sdk`'s Messages API.
 *
 * @example
 * ```ts
 * import { make } from "@am/provider-anthropic"
 * import { ApiKey } from "@am/core"
 * import { Effect, Redacted } from "effect"
 *
 * const provider = make({ id: "secondary", timeoutMs: 30_000 })
 * const key = ApiKey.make("anthropic-1", Redacted.make(process.env.ANTHROPIC_API_KEY ?? ""))
 * const program = provider.complete({
 *   request: { messages: [{ role: "user", content: "Say hi" }] },
 *   model: "claude-haiku-4-5",
 *   key
 * })
 * // Effect<Completion, ProviderFailure>
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
  makeClientCache,
  reportingSkippedEvents,
  timeoutCall,
  timeoutFor,
  timeoutStream
} from "@am/provider-utils"
import Anthropic, { type ClientOptions } from "@anthropic-ai/sdk"
import type { Message, RawMessageStreamEvent } from "@anthropic-ai/sdk/resources/messages"
import { Effect, Predicate, Redacted, Stream } from "effect"
import { decodeFailure, type FailureContext, streamCutFailure, timeoutFailure, toProviderFailure } from "./Failures.ts"
import type { RequestTranslationOptions } from "./RequestTranslation.ts"
import { fromMessage } from "./ResponseTranslation.ts"
import { createMessage, createMessageStream } from "./SameWire.ts"
import { makeStreamTranslator } from "./StreamTranslation.ts"

export { type AdapterConfig, DEFAULT_TIMEOUT_MS } from "@am/provider-utils"

/** The Anthropic adapter's config: the shared {@link AdapterConfig} plus what only Anthropic needs. */
export interface AnthropicConfig extends AdapterConfig<"anthropic", ClientOptions, Anthropic> {
  /** `max_tokens` when a request names none (Anthropic requires it); default `DEFAULT_MAX_TOKENS` (1024). */
  readonly defaultMaxTokens?: number
  /** @deprecated The old name of `clientFactory`; used when `clientFactory` is absent. */
  readonly createClient?: (options: ClientOptions) => Anthropic
}

/** @deprecated The old name of {@link AnthropicConfig}; kept so existing imports compile. */
export type AnthropicAdapterConfig = AnthropicConfig

/** The request's `upstreamHeaders.anthropic` (a client's `anthropic-beta` / `anthropic-version`) as SDK request options. */
const upstreamHeaders = (call: ProviderCall): { headers?: Record<string, string> } => {
  const headers = call.request.upstreamHeaders?.anthropic
  return headers !== undefined && Object.keys(headers).length > 0 ? { headers: { ...headers } } : {}
}

const isMessage = (data: unknown): data is Message =>
  Predicate.isObject(data) && (data as { type?: unknown }).type === "message" && Array.isArray(data["content"])

/**
 * Builds the Anthropic `Provider`. One SDK client per API key, created on first use and reused
 * (cached by key id; a new fingerprint under the same id replaces the client), always with
 * `maxRetries: 0` — the engine owns every retry.
 *
 * @example
 * ```ts
 * import { make } from "@am/provider-anthropic"
 * const secondary = make({ id: "secondary", timeoutMs: 30_000 })
 * const viaProxy = make({ id: "proxy", baseURL: "https://llm-proxy.internal", headers: { "x-team": "a" } })
 * ```
 */
export const make = (config: AnthropicConfig): Provider => {
  const factory = clientFactoryOf(
    { clientFactory: config.clientFactory ?? config.createClient },
    (options: ClientOptions) => new Anthropic(options)
  )
  const fetch = fetchOf(config)

  const clients = makeClientCache((key) =>
    factory({
      // The only place a secret is unwrapped.
      apiKey: Redacted.value(key.secret),
      maxRetries: 0,
      timeout: timeoutFor(undefined, config.timeoutMs),
      logLevel: "off",
      fetch,
      ...(config.baseURL !== undefined ? { baseURL: config.baseURL } : {}),
      ...(config.headers !== undefined ? { defaultHeaders: { ...config.headers } } : {})
    })
  )

  const contextOf = (call: ProviderCall): FailureContext => ({
    providerId: config.id,
    model: call.model,
    key: call.key
  })

  const acquireClient = (call: ProviderCall, ctx: FailureContext) =>
    Effect.try({ try: () => clients.get(call.key), catch: (e) => toProviderFailure(e, ctx) })

  const translateOptions: RequestTranslationOptions =
    config.defaultMaxTokens !== undefined ? { defaultMaxTokens: config.defaultMaxTokens } : {}

  const complete = Tracing.fn("AnthropicProvider.complete")(function* (call: ProviderCall) {
    const ctx = contextOf(call)
    const timeoutMs = timeoutFor(call.timeoutMs, config.timeoutMs)
    const client = yield* acquireClient(call, ctx)
    // Set once the status line and headers are in: a later failure may have consumed output.
    let headersReceived = false
    const { data, requestId } = yield* Effect.tryPromise({
      try: async (signal) => {
        // Same wire: the client's own JSON (unknown fields kept); otherwise the SDK's translation.
        const promise = createMessage(client, call.request, call.model, translateOptions, {
          signal,
          timeout: timeoutMs,
          ...upstreamHeaders(call)
        })
        const response = await promise.asResponse()
        headersReceived = true
        const data: unknown = await promise
        return { data, requestId: response.headers.get("request-id") }
      },
      catch: (e) => toProviderFailure(e, { ...ctx, responseBytesReceived: headersReceived, now: Date.now() })
    }).pipe(timeoutCall(timeoutMs, () => timeoutFailure({ ...ctx, responseBytesReceived: headersReceived }, timeoutMs)))
    if (!isMessage(data)) {
      return yield* decodeFailure(
        ctx,
        `Expected a Messages API message, got ${typeof data === "string" ? "a non-JSON body" : typeof data}.`,
        requestId
      )
    }
    return fromMessage(data, requestId)
  })

  // Suspended so that each run of the returned stream has its own state.
  const stream = (call: ProviderCall): Stream.Stream<CompletionChunk, ProviderFailure> =>
    Stream.suspend(() => streamOnce(call))

  const streamOnce = (call: ProviderCall): Stream.Stream<CompletionChunk, ProviderFailure> => {
    const ctx: FailureContext = { ...contextOf(call), streaming: true }
    const timeoutMs = timeoutFor(call.timeoutMs, config.timeoutMs)
    const translator = makeStreamTranslator(call.model)
    // What a failure reports as responseBytesReceived: whether content already went downstream.
    const now = (): FailureContext => ({ ...ctx, responseBytesReceived: translator.emitted(), now: Date.now() })
    let requestId: string | null = null
    const body = Stream.unwrap(
      Effect.gen(function* () {
        const client = yield* acquireClient(call, ctx)
        const controller = yield* abortOnClose
        const { data, response } = yield* Effect.tryPromise({
          // Events the stream skips are counted for this call too (`call.onMalformedEvent`).
          try: () =>
            reportingSkippedEvents(call.onMalformedEvent, () =>
              createMessageStream(client, call.request, call.model, translateOptions, {
                signal: controller.signal,
                timeout: timeoutMs,
                ...upstreamHeaders(call)
              }).withResponse()
            ),
          catch: (e) => toProviderFailure(e, now())
        })
        requestId = response.headers.get("request-id")
        return Stream.fromAsyncIterable(data as AsyncIterable<RawMessageStreamEvent>, (e) =>
          toProviderFailure(e, now())
        ).pipe(
          Stream.map(translator.push),
          Stream.flattenIterable,
          Stream.takeUntil((chunk) => chunk._tag === "Finish"),
          Stream.concat(
            Stream.suspend(() =>
              translator.finished() ? Stream.empty : Stream.fail(streamCutFailure(now(), requestId))
            )
          )
        )
      })
    )
    // A bound on silence (headers, first chunk, between chunks), never on the stream's length.
    return body.pipe(timeoutStream(timeoutMs, () => timeoutFailure(now(), timeoutMs, requestId)))
  }

  return {
    id: config.id,
    kind: "anthropic",
    complete: (call): Effect.Effect<Completion, ProviderFailure> => complete(call),
    stream
  }
}
