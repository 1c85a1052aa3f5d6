/**
 * The OpenAI adapter: a core `Provider` over the official `openai` SDK, for OpenAI itself and
 * for any OpenAI-compatible server (Ollama, vLLM, Groq, llama.cpp, Azure-style gateways).
 * One call, one answer or one `ProviderFailure` — no routing, no retries (`maxRetries: 0`).
 *
 * @example
 * ```ts
 * import { make } from "@am/provider-openai"
 * import { ApiKey } from "@am/core"
 * import { Effect, Redacted } from "effect"
 *
 * const provider = make({ id: "local", kind: "openai-compatible", baseURL: "http://127.0.0.1:11434/v1" })
 * const answer = provider.complete({
 *   request: { messages: [{ role: "user", content: "Say hi" }] },
 *   model: "llama3.2",
 *   key: ApiKey.make("k1", Redacted.make("ollama")),
 *   timeoutMs: 30_000
 * })
 * Effect.runPromise(answer).then((c) => console.log(c.message.content))
 * ```
 * @since 0.1.0
 */
import { Tracing } from "@am/core"
import type { CompletionChunk, Provider, ProviderCall, ProviderFailure } from "@am/core"
import {
  type AdapterConfig,
  abortOnClose,
  clientFactoryOf,
  fetchOf,
  firstHeader,
  makeClientCache,
  REQUEST_ID_HEADERS,
  reportingSkippedEvents,
  timeoutCall,
  timeoutFor,
  timeoutStream
} from "@am/provider-utils"
import { Effect, Redacted, Result, Stream } from "effect"
import OpenAI, { type ClientOptions } from "openai"
import type { Stream as OpenAIStream } from "openai/core/streaming"
import type { ChatCompletion, ChatCompletionChunk } from "openai/resources/chat/completions"
import { decodeFailure, type FailureContext, timeoutFailure, toProviderFailure } from "./Failures.ts"
import { makeEmbed } from "./Embeddings.ts"
import { compatFetch } from "./internal/CompatFetch.ts"
import { directCalls } from "./internal/DirectPost.ts"
import { ssePull } from "./internal/DirectStream.ts"
import { type OpenAIKind, toChatCompletionRequest } from "./RequestTranslation.ts"
import { fromChatCompletion } from "./ResponseTranslation.ts"
import { sameWireResponsesBody } from "./ResponsesSameWire.ts"
import { makeResponsesStreamTranslator } from "./ResponsesStreamTranslation.ts"
import {
  fromResponsesObject,
  type ResponsesProblem,
  responsesEventError,
  responsesProblemFailure
} from "./ResponsesTranslation.ts"
import { sameWireChatBody } from "./SameWire.ts"
import { makeStreamTranslator } from "./StreamTranslation.ts"

export { type AdapterConfig, DEFAULT_TIMEOUT_MS } from "@am/provider-utils"

/** The OpenAI adapter's config: the shared {@link AdapterConfig} plus what only OpenAI needs. */
export interface OpenAIConfig extends AdapterConfig<OpenAIKind, ClientOptions, OpenAI> {
  /** Ask for the final usage chunk when streaming (`stream_options.include_usage`); default true. */
  readonly includeStreamUsage?: boolean
}

/** @deprecated The old name of {@link OpenAIConfig}; kept so existing imports compile. */
export type OpenAIAdapterConfig = OpenAIConfig

const OPENAI_BASE_URL = "https://api.openai.com/v1"

/** One stream's translation, its failures awaiting the call's context. */
interface Translator {
  readonly push: (
    chunk: unknown
  ) => Result.Result<ReadonlyArray<CompletionChunk>, (c: FailureContext) => ProviderFailure>
  readonly finish: () => Result.Result<CompletionChunk, (c: FailureContext) => ProviderFailure>
}

/** With this header the SDK sends a string body verbatim (no re-serialisation). */
const JSON_BODY = { "content-type": "application/json" } as const

/**
 * Builds the `Provider`. One SDK client per API key, created on first use and reused (cached by
 * key id; a new fingerprint for the same id replaces the client) — never one per request.
 * Throws at once for `openai-compatible` without a `baseURL` (there is no default server).
 *
 * @example
 * ```ts
 * import { make } from "@am/provider-openai"
 * const primary = make({ id: "primary", timeoutMs: 30_000 })
 * const groq = make({ id: "groq", kind: "openai-compatible", baseURL: "https://api.groq.com/openai/v1" })
 * ```
 */
export const make = (config: OpenAIConfig): Provider => {
  const kind: OpenAIKind = config.kind ?? "openai"
  if (kind === "openai-compatible" && (config.baseURL === undefined || config.baseURL.trim() === "")) {
    throw new Error(`provider "${config.id}": kind "openai-compatible" requires a baseURL`)
  }
  const baseURL = config.baseURL ?? OPENAI_BASE_URL
  const factory = clientFactoryOf(config, (options: ClientOptions) => new OpenAI(options))
  const fetch = fetchOf(config)
  // Built once: every key's client shares it (and with it the pool).
  const clientFetch = kind === "openai-compatible" ? compatFetch(fetch) : fetch

  // Same-wire calls skip the SDK (its error classes kept) unless a caller builds the client.
  const direct =
    config.clientFactory === undefined
      ? directCalls({ baseURL, fetch: clientFetch, headers: config.headers })
      : undefined

  const clients = makeClientCache((key) =>
    factory({
      apiKey: Redacted.value(key.secret),
      baseURL,
      maxRetries: 0,
      timeout: timeoutFor(undefined, config.timeoutMs),
      ...(config.headers !== undefined ? { defaultHeaders: { ...config.headers } } : {}),
      // Pin what the SDK would otherwise read from OPENAI_* environment variables.
      organization: null,
      project: null,
      adminAPIKey: null,
      webhookSecret: null,
      // The SDK's logs are not ours to emit (and must never carry request details).
      logLevel: "off",
      fetch: clientFetch
    })
  )

  /** Chat chunks, or Responses events, to core chunks; a failure is built with the call's context. */
  const chatTranslator = (model: string): Translator => {
    const t = makeStreamTranslator({ kind, model })
    const failure = (reason: string) => (context: FailureContext) => decodeFailure(context, reason)
    return {
      push: (chunk) => Result.mapError(t.push(chunk), failure),
      finish: () => Result.mapError(t.finish(), failure)
    }
  }
  const responsesTranslator = (model: string): Translator => {
    const t = makeResponsesStreamTranslator({ kind, model })
    const failure = (problem: ResponsesProblem) => (context: FailureContext) =>
      responsesProblemFailure(problem, context)
    return {
      push: (event) => Result.mapError(t.push(event), failure),
      finish: () => Result.mapError(t.finish(), failure)
    }
  }

  const contextOf = (call: ProviderCall): FailureContext => ({
    providerId: config.id,
    model: call.model,
    key: call.key,
    provider: kind
  })

  const complete = Tracing.fn("OpenAIProvider.complete")(function* (call: ProviderCall) {
    const timeoutMs = timeoutFor(call.timeoutMs, config.timeoutMs)
    // Same wire: the client's own JSON (unknown fields kept) — a Responses body to `/responses`, a
    // chat body to `/chat/completions`; otherwise the SDK's translation.
    // Responses same-wire only on `openai`: an `openai-compatible` server (Ollama, vLLM, LM Studio…)
    // may have no `/responses`, so its Responses requests are translated to chat as before.
    const responses = kind === "openai" ? sameWireResponsesBody(call.request, { model: call.model }) : undefined
    const raw = responses ?? sameWireChatBody(call.request, { model: call.model, kind })
    const path = responses !== undefined ? "/responses" : "/chat/completions"
    const body = raw === undefined ? toChatCompletionRequest(call.request, { model: call.model, kind }) : undefined
    const seen: { headers: Headers | undefined } = { headers: undefined }
    const context = (): FailureContext => ({
      ...contextOf(call),
      responseBytesReceived: seen.headers !== undefined,
      headers: seen.headers
    })
    const data = yield* Effect.tryPromise({
      try: (signal) => {
        if (raw !== undefined && direct !== undefined) {
          return direct.post(path, raw, Redacted.value(call.key.secret), signal, (headers) => {
            seen.headers = headers
          })
        }
        const client = clients.get(call.key)
        const options = { signal, timeout: timeoutMs, maxRetries: 0 }
        const pending =
          body !== undefined
            ? client.chat.completions.create(body, options)
            : client.post<ChatCompletion>(path, { ...options, body: raw, headers: JSON_BODY })
        // Resolves when the headers arrive: a later failure happened after response bytes.
        pending.asResponse().then(
          (response) => {
            seen.headers = response.headers
          },
          () => undefined
        )
        return pending
      },
      catch: (error) => toProviderFailure(error, context())
    }).pipe(
      // The SDK has its own timer; this one also covers the wait for the SDK to notice an abort.
      timeoutCall(timeoutMs, () => timeoutFailure(context(), timeoutMs))
    )
    const requestId = firstHeader(seen.headers, REQUEST_ID_HEADERS)
    if (responses !== undefined) {
      const answer = fromResponsesObject(data, { kind, model: call.model, requestId })
      return yield* Result.isSuccess(answer)
        ? Effect.succeed(answer.success)
        : Effect.fail(responsesProblemFailure(answer.failure, context()))
    }
    const completion = fromChatCompletion(data, { kind, model: call.model, requestId })
    return yield* Result.isSuccess(completion)
      ? Effect.succeed(completion.success)
      : Effect.fail(decodeFailure(context(), completion.failure))
  })

  const stream = (call: ProviderCall): Stream.Stream<CompletionChunk, ProviderFailure> =>
    Stream.suspend(() => {
      const timeoutMs = timeoutFor(call.timeoutMs, config.timeoutMs)
      const translation = {
        model: call.model,
        kind,
        stream: true,
        ...(config.includeStreamUsage !== undefined ? { includeStreamUsage: config.includeStreamUsage } : {})
      } as const
      const responses =
        kind === "openai" ? sameWireResponsesBody(call.request, { model: call.model, stream: true }) : undefined
      const raw = responses ?? sameWireChatBody(call.request, translation)
      const path = responses !== undefined ? "/responses" : "/chat/completions"
      const body = raw === undefined ? toChatCompletionRequest(call.request, translation) : undefined
      const seen: { headers: Headers | undefined; emitted: boolean } = { headers: undefined, emitted: false }
      const context = (): FailureContext => ({
        ...contextOf(call),
        streaming: seen.headers !== undefined,
        // The classifier's contract: true once output (not just headers) went downstream.
        responseBytesReceived: seen.emitted,
        headers: seen.headers
      })
      const translator = responses !== undefined ? responsesTranslator(call.model) : chatTranslator(call.model)
      // After the last event: the translator's final chunk, or why the stream is not whole.
      const ended = Stream.suspend(() => {
        const finish = translator.finish()
        return Result.isSuccess(finish) ? Stream.succeed(finish.success) : Stream.fail(finish.failure(context()))
      })

      // Same wire, chat: the body read directly, every read's events one array (no SDK).
      const directChunks =
        direct !== undefined && raw !== undefined && responses === undefined
          ? Stream.unwrap(
              Effect.gen(function* () {
                const controller = yield* abortOnClose
                const response = yield* Effect.tryPromise({
                  try: () =>
                    reportingSkippedEvents(call.onMalformedEvent, () =>
                      direct.open(path, raw, Redacted.value(call.key.secret), controller.signal)
                    ),
                  catch: (error) => toProviderFailure(error, context())
                })
                seen.headers = response.headers
                const pull = ssePull({
                  response,
                  signal: controller.signal,
                  translate: (payload) => {
                    const out = translator.push(payload)
                    if (Result.isFailure(out)) return Result.fail(out.failure(context()))
                    if (out.success.length > 0) seen.emitted = true
                    return out as Result.Result<ReadonlyArray<CompletionChunk>, never>
                  },
                  fail: (error) => toProviderFailure(error, context())
                })
                return Stream.fromPull(Effect.succeed(pull)).pipe(Stream.concat(ended))
              })
            )
          : undefined
      const chunks =
        directChunks ??
        Stream.unwrap(
          Effect.gen(function* () {
            const controller = yield* abortOnClose
            const client = clients.get(call.key)
            const { data: sdkStream, response } = yield* Effect.tryPromise({
              // Events the stream skips are counted for this call too (`call.onMalformedEvent`).
              try: () =>
                reportingSkippedEvents(call.onMalformedEvent, () => {
                  const options = { signal: controller.signal, timeout: timeoutMs, maxRetries: 0 }
                  // The SDK parses the SSE frames (chat chunks, or Responses events) into objects.
                  return body !== undefined
                    ? client.chat.completions.create(body, options).withResponse()
                    : client
                        .post<OpenAIStream<ChatCompletionChunk>>(path, {
                          ...options,
                          body: raw,
                          headers: JSON_BODY,
                          stream: true
                        })
                        .withResponse()
                }),
              catch: (error) => toProviderFailure(error, context())
            })
            seen.headers = response.headers
            return Stream.fromAsyncIterable(sdkStream, (error) =>
              toProviderFailure(responses !== undefined ? responsesEventError(error) : error, context())
            ).pipe(
              Stream.mapEffect((chunk) => {
                const out = translator.push(chunk)
                if (Result.isSuccess(out) && out.success.length > 0) seen.emitted = true
                return Result.isSuccess(out) ? Effect.succeed(out.success) : Effect.fail(out.failure(context()))
              }),
              Stream.flattenIterable,
              Stream.concat(ended)
            )
          })
        )
      // A bound on silence (headers, first chunk, between chunks), never on the stream's length.
      return chunks.pipe(timeoutStream(timeoutMs, () => timeoutFailure(context(), timeoutMs)))
    })

  const embed = makeEmbed({ providerId: config.id, kind, clients, timeoutMs: config.timeoutMs })
  return { id: config.id, kind, complete, stream, embed }
}
