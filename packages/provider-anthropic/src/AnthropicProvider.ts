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
import type { ApiKey, Completion, CompletionChunk, Provider, ProviderCall, ProviderFailure } from "@am/core"
import Anthropic, { type ClientOptions } from "@anthropic-ai/sdk"
import type { Message, RawMessageStreamEvent } from "@anthropic-ai/sdk/resources/messages"
import { sharedFetch } from "@am/transport"
import { Effect, Predicate, Redacted, Stream } from "effect"
import { decodeFailure, type FailureContext, streamCutFailure, timeoutFailure, toProviderFailure } from "./Failures.ts"
import { makeStreamTranslator } from "./StreamTranslator.ts"
import { fromMessage, toMessageParams } from "./Translate.ts"

/** The adapter contract shared by the three provider packages. */
export interface AdapterConfig {
  /** The configured provider id, e.g. `"secondary"`. */
  readonly id: string
  readonly baseURL?: string
  /** Per-call timeout when `ProviderCall.timeoutMs` is absent. */
  readonly timeoutMs?: number
  /** Extra headers sent with every request. */
  readonly headers?: Readonly<Record<string, string>>
  /**
   * The HTTP client the SDK uses. Default: `@am/transport`'s `sharedFetch` (undici keep-alive
   * pools shared by every adapter in the process); `globalThis.fetch` opts out.
   */
  readonly fetch?: typeof globalThis.fetch
}

/** Anthropic-specific options on top of {@link AdapterConfig}. */
export interface AnthropicAdapterConfig extends AdapterConfig {
  /** `max_tokens` when a request names none (Anthropic requires it); default `DEFAULT_MAX_TOKENS` (1024). */
  readonly defaultMaxTokens?: number
  /**
   * Builds the SDK client for one key (default `new Anthropic(options)`; `options.fetch` is the
   * configured fetch). A seam for tests (count constructions); keep `options.maxRetries` at 0.
   */
  readonly createClient?: (options: ClientOptions) => Anthropic
}

/** The SDK's default request timeout (10 minutes), used when neither call nor config sets one. */
const SDK_DEFAULT_TIMEOUT_MS = 600_000

/** The SDK validates `timeout` as a positive integer; the engine may hand over a fractional "time left". */
const sdkTimeout = (ms: number | undefined): number =>
  ms === undefined ? SDK_DEFAULT_TIMEOUT_MS : Math.max(1, Math.ceil(ms))

const isMessage = (data: unknown): data is Message =>
  Predicate.isObject(data) && (data as { type?: unknown }).type === "message" && Array.isArray(data["content"])

/**
 * Builds the Anthropic `Provider`. One SDK client per API key, created on first use and reused
 * (cached by key id; a new fingerprint under the same id replaces the client), always with
 * `maxRetries: 0` — the engine owns every retry.
 */
export const make = (config: AnthropicAdapterConfig): Provider => {
  const clients = new Map<string, { readonly fingerprint: string; readonly client: Anthropic }>()
  const createClient = config.createClient ?? ((options: ClientOptions) => new Anthropic(options))
  const fetch = config.fetch ?? sharedFetch

  const clientFor = (key: ApiKey): Anthropic => {
    const cached = clients.get(key.id)
    if (cached !== undefined && cached.fingerprint === key.fingerprint) return cached.client
    const client = createClient({
      // The only place a secret is unwrapped.
      apiKey: Redacted.value(key.secret),
      maxRetries: 0,
      timeout: sdkTimeout(config.timeoutMs),
      logLevel: "off",
      fetch,
      ...(config.baseURL !== undefined ? { baseURL: config.baseURL } : {}),
      ...(config.headers !== undefined ? { defaultHeaders: { ...config.headers } } : {})
    })
    clients.set(key.id, { fingerprint: key.fingerprint, client })
    return client
  }

  const contextOf = (call: ProviderCall): FailureContext => ({
    providerId: config.id,
    model: call.model,
    key: call.key
  })

  const acquireClient = (call: ProviderCall, ctx: FailureContext) =>
    Effect.try({ try: () => clientFor(call.key), catch: (e) => toProviderFailure(e, ctx) })

  const translateOptions = config.defaultMaxTokens !== undefined ? { defaultMaxTokens: config.defaultMaxTokens } : {}

  const complete = Effect.fn("AnthropicProvider.complete")(function* (call: ProviderCall) {
    const ctx = contextOf(call)
    const timeoutMs = call.timeoutMs ?? config.timeoutMs
    const client = yield* acquireClient(call, ctx)
    const params = toMessageParams(call.request, call.model, translateOptions)
    // Set once the status line and headers are in: a later failure may have consumed output.
    let headersReceived = false
    const request = Effect.tryPromise({
      try: async (signal) => {
        const promise = client.messages.create(params, { signal, timeout: sdkTimeout(timeoutMs) })
        const response = await promise.asResponse()
        headersReceived = true
        const data: unknown = await promise
        return { data, requestId: response.headers.get("request-id") }
      },
      catch: (e) => toProviderFailure(e, { ...ctx, responseBytesReceived: headersReceived, now: Date.now() })
    })
    const timed =
      timeoutMs === undefined
        ? request
        : Effect.timeoutOrElse(request, {
            duration: timeoutMs,
            orElse: () => Effect.fail(timeoutFailure({ ...ctx, responseBytesReceived: headersReceived }, timeoutMs))
          })
    const { data, requestId } = yield* timed
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
    const timeoutMs = call.timeoutMs ?? config.timeoutMs
    const translator = makeStreamTranslator(call.model)
    // What a failure reports as responseBytesReceived: whether content already went downstream.
    const now = (): FailureContext => ({ ...ctx, responseBytesReceived: translator.emitted(), now: Date.now() })
    let requestId: string | null = null
    const body = Stream.unwrap(
      Effect.gen(function* () {
        const client = yield* acquireClient(call, ctx)
        const params = { ...toMessageParams(call.request, call.model, translateOptions), stream: true as const }
        // Our own controller, aborted when the stream's scope closes (end, failure, interruption):
        // an async iterator's return() waits for a pending next(), so it cannot abort a stalled read.
        const controller = yield* Effect.acquireRelease(
          Effect.sync(() => new AbortController()),
          (c) => Effect.sync(() => c.abort())
        )
        const { data, response } = yield* Effect.tryPromise({
          try: () =>
            client.messages
              .create(params, { signal: controller.signal, timeout: sdkTimeout(timeoutMs) })
              .withResponse(),
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
    return timeoutMs === undefined
      ? body
      : body.pipe(
          Stream.interruptWhen(
            Effect.sleep(timeoutMs).pipe(
              Effect.andThen(Effect.suspend(() => Effect.fail(timeoutFailure(now(), timeoutMs, requestId))))
            )
          )
        )
  }

  return {
    id: config.id,
    kind: "anthropic",
    complete: (call): Effect.Effect<Completion, ProviderFailure> => complete(call),
    stream
  }
}
