/**
 * `POST /v1/chat/completions`: OpenAI's Chat Completions through the engine, as JSON or, with
 * `stream: true`, as Server-Sent Events. The request is admitted in order — draining, gateway
 * key, JSON body, wire schema, `Idempotency-Key` and `x-am-deadline-ms` headers, the engine's
 * own request checks — and every refusal or engine failure is a `GatewayError`.
 *
 * @example
 * ```ts
 * import { chatCompletions } from "@am/gateway"
 * ```
 * @since 0.1.0
 */
import { requestHash } from "@am/cache"
import type { CompletionChunk, CompletionRequest } from "@am/core"
import { decodeRequest, Engine, type EngineError, type EngineStream } from "@am/engine"
import { RouteHints } from "@am/runtime"
import { Clock, Effect, Exit, Redacted, Scope, Stream } from "effect"
import { HttpServerRequest, HttpServerResponse } from "effect/http"
import { amHeaders, CACHE_HEADER, resilienceHeaders } from "./AmHeaders.ts"
import {
  chatFieldAsks,
  firstUnhonoured,
  speaksChatWire,
  type UnsupportedFieldsPolicy,
  unhonouredHeader
} from "./DroppedFields.ts"
import { errorEvent } from "./ErrorResponse.ts"
import { type Auth, authenticate } from "./GatewayAuth.ts"
import { GatewayError, ShuttingDown } from "./GatewayError.ts"
import { sseResponse } from "./internal/SseResponse.ts"
import { chunkFolder, replayChat, storedJson, storedStream } from "./internal/ChatReplay.ts"
import { replayRecorders } from "./internal/ReplayAudit.ts"
import { type Complete, Lifecycle } from "./Lifecycle.ts"
import { ChunkEncoder, DONE, decodeChatBody, toChatCompletion, toCompletionRequest } from "./OpenAIWire.ts"
import { deadlineOf, idempotencyKeyOf, readJsonText, routeHintsOf } from "./RequestInput.ts"

/** Options of the chat completions route. */
export interface ChatCompletionsOptions {
  readonly auth: Auth
  /** Largest accepted request body in bytes (default 4 MiB). */
  readonly maxBodyBytes?: number | undefined
  /**
   * Fields a cross-wire candidate (Anthropic, Gemini) cannot honour: `reject` (default) answers
   * 400 naming the field, `drop-and-report` proceeds and lists them in `x-am-dropped-fields`.
   */
  readonly unsupportedFields?: UnsupportedFieldsPolicy | undefined
}

/** The route's handler (needs `Engine` and `Lifecycle` to build). */
export const chatCompletions = Effect.fnUntraced(function* (options: ChatCompletionsOptions) {
  const engine = yield* Engine
  const lifecycle = yield* Lifecycle
  const recorders = yield* replayRecorders
  const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024
  const unsupportedFields = options.unsupportedFields ?? "reject"
  return Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    if (lifecycle.draining) return yield* new GatewayError({ reason: new ShuttingDown() })
    const principal = yield* authenticate(options.auth, request.headers.authorization)
    const raw = yield* readJsonText(request, maxBodyBytes)
    const body = yield* decodeChatBody(raw.json)
    const idempotencyKey = yield* idempotencyKeyOf(request)
    const deadlineMs = yield* deadlineOf(request)
    const cacheMode = yield* cacheModeOf(request)
    const hints = yield* routeHintsOf(request, raw.json)
    const decoded = yield* decodeRequest(
      toCompletionRequest(body, { workspaceId: principal.workspaceId, idempotencyKey, deadlineMs })
    ).pipe(Effect.mapError(GatewayError.engine))
    // What only a same-wire upstream receives (it gets the client's own JSON): never dropped in silence.
    // Each candidate's adapter says what it cannot honour (its kind's table; same-wire: everything honoured).
    const asks = chatFieldAsks(raw.json as Record<string, unknown>)
    if (asks.length > 0 && unsupportedFields === "reject") {
      const miss = firstUnhonoured(engine.config, body.model, asks, decoded, speaksChatWire)
      if (miss !== undefined) return yield* refuseUntranslated(miss.paths, [miss.provider])
    }
    const completionRequest: CompletionRequest = {
      ...decoded,
      passthrough: { wire: "openai.chat", body: Redacted.make(raw.text), messages: decoded.messages },
      ...(cacheMode !== undefined ? { cache: cacheMode } : {})
    }
    const dropped = (providerId: string | undefined) =>
      unhonouredHeader(engine.config, providerId, asks, decoded, speaksChatWire)
    const includeUsage = body.stream_options?.include_usage === true
    // Without an Idempotency-Key nothing is stored for a replay: no stored form is built.
    const keyed = idempotencyKey !== undefined
    const run = (keep: () => Effect.Effect<void>, complete: Complete) =>
      body.stream === true
        ? streamed(engine, completionRequest, includeUsage, body.model, keep, dropped, keyed ? complete : undefined)
        : completed(engine, completionRequest, keyed ? complete : undefined, dropped)
    // A finished answer under the key is replayed by any replica: same body, same request id, no call.
    // (No key, no fingerprint: the body's hash and the replay closure are only built for a key.)
    const idempotent = !keyed
      ? undefined
      : {
          requestHash: requestHash(raw.json),
          replay: (result: Parameters<typeof replayChat>[0]) =>
            replayChat(result, {
              recorders,
              route: body.model,
              messages: completionRequest.messages,
              pipelineRunId: completionRequest.metadata?.pipelineRunId,
              stage: completionRequest.metadata?.stage,
              stream: body.stream === true,
              includeUsage
            })
        }
    return yield* lifecycle
      .track(principal, idempotencyKey, run, idempotent)
      .pipe(Effect.provideService(RouteHints, hints))
  })
})

/** A whole answer as a chat completion (stored under the Idempotency-Key when `complete` is given). */
const completed = Effect.fnUntraced(function* (
  engine: Engine["Service"],
  request: CompletionRequest,
  complete: Complete | undefined,
  dropped: (providerId: string | undefined) => Record<string, string>
) {
  const answer = yield* engine.complete(request).pipe(Effect.mapError(GatewayError.engine))
  const created = Math.floor((yield* Clock.currentTimeMillis) / 1000)
  const r = answer.resilience
  const json = toChatCompletion(answer, created)
  if (complete !== undefined) {
    yield* complete({
      requestId: r.requestId,
      value: storedJson(json, { provider: r.provider, model: r.model, outcome: r.outcome })
    })
  }
  return HttpServerResponse.jsonUnsafe(json, {
    headers: {
      ...resilienceHeaders(r),
      ...dropped(r.provider),
      ...(r.cache !== undefined ? { [CACHE_HEADER]: r.cache } : {})
    }
  })
})

/**
 * A streamed answer. The engine commits to a candidate once its first content token is in
 * hand (failover before that is invisible), so the status and the `x-am-*` headers are known
 * before the first byte. The engine's scope is closed when the SSE stream ends, which is when
 * the ledger entry is written — including when the client goes away mid-stream.
 */
const streamed = Effect.fnUntraced(function* (
  engine: Engine["Service"],
  request: Parameters<Engine["Service"]["stream"]>[0],
  includeUsage: boolean,
  requestedModel: string,
  keep: () => Effect.Effect<void>,
  dropped: (providerId: string | undefined) => Record<string, string>,
  /** Only under an Idempotency-Key: the finished answer is folded from the chunks and stored. */
  complete: Complete | undefined
) {
  const scope = yield* Scope.make()
  const started = yield* engine.stream(request).pipe(
    Scope.provide(scope),
    Effect.onExit((exit) => (Exit.isFailure(exit) ? Scope.close(scope, exit) : Effect.void)),
    Effect.mapError(GatewayError.engine)
  )
  const created = Math.floor((yield* Clock.currentTimeMillis) / 1000)
  const encoder = new ChunkEncoder({
    requestId: started.requestId,
    created,
    model: started.model ?? requestedModel,
    includeUsage
  })
  // `[DONE]` only after the scope closed (the ledger entry is written), so a client that saw
  // the end of its answer can rely on its audit record — and, under an Idempotency-Key, after
  // the finished answer is stored, so a replay never misses it.
  const folded = complete === undefined ? undefined : chunkFolder()
  const store = Effect.suspend(() => {
    const completion = encoder.finished ? folded?.done(started.provider) : undefined
    return completion === undefined || complete === undefined
      ? Effect.void
      : complete({
          requestId: started.requestId,
          value: storedStream(completion, created, encoder.model, {
            provider: started.provider,
            model: started.model,
            outcome: started.resilience.outcome
          })
        })
  })
  const done = Stream.unwrap(
    Effect.map(Effect.andThen(Scope.close(scope, Exit.void), store), () =>
      encoder.finished ? Stream.succeed(DONE_BYTES) : Stream.empty
    )
  )
  const frames = sseBody(started, encoder, folded?.add).pipe(
    Stream.concat(done),
    Stream.onExit((exit) => Scope.close(scope, exit))
  )
  return yield* sseResponse(frames, scope, keep, {
    ...amHeaders({
      requestId: started.requestId,
      provider: started.provider,
      model: started.model,
      attempts: started.attempts,
      outcome: started.resilience.outcome,
      guard: started.resilience.guard
    }),
    ...dropped(started.provider),
    ...(started.resilience.cache !== undefined ? { [CACHE_HEADER]: started.resilience.cache } : {})
  })
})

/**
 * The SSE frames of a committed stream. A failure after the first token ends the stream with an
 * `error` frame (OpenAI's error body, which the official SDKs raise) and no `[DONE]` — a cut
 * answer never looks finished.
 */
const sseBody = (
  started: EngineStream,
  encoder: ChunkEncoder,
  seen: ((chunk: CompletionChunk) => void) | undefined
): Stream.Stream<Uint8Array> =>
  started.chunks.pipe(
    // One stage per pull: the frames of the pull's chunks are encoded as one byte array (one
    // write), with no intermediate stream of strings.
    Stream.mapArray((chunks) => {
      let text = ""
      for (const chunk of chunks) {
        seen?.(chunk)
        text += encoder.encode(chunk)
      }
      return [UTF8.encode(text)] as const
    }),
    Stream.catch((e: EngineError) => Stream.succeed(UTF8.encode(errorEvent(GatewayError.engine(e)))))
  )

const UTF8 = new TextEncoder()
const DONE_BYTES = UTF8.encode(DONE)

/** The `x-am-cache` request header: `off` (bypass the route's cache) or `refresh` (call and store). */
const cacheModeOf = (
  request: HttpServerRequest.HttpServerRequest
): Effect.Effect<"off" | "refresh" | undefined, GatewayError> => {
  const mode = request.headers[CACHE_HEADER]
  if (mode === undefined) return Effect.succeed(undefined)
  return mode === "off" || mode === "refresh"
    ? Effect.succeed(mode)
    : Effect.fail(GatewayError.invalid(`${CACHE_HEADER} must be off or refresh`, CACHE_HEADER))
}

/** 400 `invalid_request` naming the first field a cross-wire candidate of the route could not honour. */
const refuseUntranslated = (fields: ReadonlyArray<string>, providers: ReadonlyArray<string>) =>
  Effect.fail(
    GatewayError.invalid(
      `field ${fields.join(", ")} cannot be honoured by provider ${providers.join(", ")} of this route (it does not speak Chat Completions); remove it, or set server.unsupportedFields to "drop-and-report" to proceed without it there`,
      fields[0]
    )
  )
