/**
 * `POST /v1/messages` and `POST /v1/messages/count_tokens`: Anthropic's Messages API through the
 * engine — the same failover, guards and ledger as `/v1/chat/completions`, to any provider kind —
 * so `@anthropic-ai/sdk` and Claude Code (`ANTHROPIC_BASE_URL`) work against the gateway. JSON or,
 * with `stream: true`, Anthropic's event stream. The gateway key comes as `x-api-key` (what the
 * SDK's `apiKey` and Claude Code's `ANTHROPIC_API_KEY` send) or `Authorization: Bearer`. Every
 * failure answers in Anthropic's error shape with the gateway's status table.
 *
 * @example
 * ```ts
 * import Anthropic from "@anthropic-ai/sdk"
 * const client = new Anthropic({ baseURL: "http://127.0.0.1:4000", apiKey: process.env.AM_GATEWAY_KEY, maxRetries: 0 })
 * const message = await client.messages.create({ model: "default", max_tokens: 256, messages: [{ role: "user", content: "Hi" }] })
 * ```
 * @since 0.1.0
 */
import { requestHash } from "@am/cache"
import { decodeRequest, Engine, type EngineError, type EngineStream } from "@am/engine"
import type { CompletionRequest, ProviderKind } from "@am/core"
import { Effect, Exit, Redacted, Scope, Stream } from "effect"
import { HttpServerRequest, HttpServerResponse } from "effect/http"
import { amHeaders, resilienceHeaders } from "./AmHeaders.ts"
import {
  decodeCountTokensBody,
  decodeMessagesBody,
  type MessagesBody,
  promptOf,
  toAnthropicMessage,
  toMessagesCompletionRequest
} from "./AnthropicWire.ts"
import { refuseUnhonoured, unhonouredHeader } from "./DroppedFields.ts"
import { type Auth, authenticate } from "./GatewayAuth.ts"
import { GatewayError, ShuttingDown } from "./GatewayError.ts"
import { sseResponse } from "./internal/SseResponse.ts"
import { anthropicErrorEvent, anthropicErrors } from "./internal/messages/Errors.ts"
import { MessageStreamEncoder } from "./internal/messages/StreamEncoder.ts"
import { messagesContentAsks, rendersForeignReasoning } from "./internal/messages/Decode.ts"
import { messagesFieldAsks } from "./internal/messages/FieldAsks.ts"
import { estimateInputTokens } from "./internal/messages/TokenEstimate.ts"
import { replayRecorders } from "./internal/ReplayAudit.ts"
import { frameLog, replayWire, storedWireEvents, storedWireJson } from "./internal/WireReplay.ts"
import { type Complete, Lifecycle } from "./Lifecycle.ts"
import { deadlineOf, idempotencyKeyOf, readJson, readJsonText } from "./RequestInput.ts"

/** A whole answer as an Anthropic message (stored under the Idempotency-Key by `complete`). */
const completedMessage = Effect.fnUntraced(function* (
  engine: Engine["Service"],
  completionRequest: CompletionRequest,
  stopSequences: ReadonlyArray<string> | undefined,
  complete: Complete,
  dropped: (provider: string) => Record<string, string>
) {
  const answer = yield* engine.complete(completionRequest).pipe(Effect.mapError(GatewayError.engine))
  const r = answer.resilience
  const message = toAnthropicMessage(answer, stopSequences)
  yield* complete({
    requestId: r.requestId,
    value: storedWireJson(message, { provider: r.provider, model: r.model, outcome: r.outcome })
  })
  return HttpServerResponse.jsonUnsafe(message, {
    headers: {
      ...resilienceHeaders(r),
      "request-id": r.requestId,
      ...dropped(r.provider)
    }
  })
})

/** Options of the Messages routes. */
export interface MessagesOptions {
  readonly auth: Auth
  /** Largest accepted request body in bytes (default 4 MiB). */
  readonly maxBodyBytes?: number | undefined
  /** A field a cross-wire candidate cannot honour: `reject` (default) → 400 naming it, `drop-and-report` → `x-am-dropped-fields`. */
  readonly unsupportedFields?: "reject" | "drop-and-report" | undefined
  /**
   * Input guards (PII, injection) read every request: content they cannot read (a `document`
   * block, …) is refused rather than sent unread.
   */
  readonly inspectsInput?: boolean | undefined
}

/** Only an `anthropic` upstream receives a Messages body as sent. */
const sameWire = (kind: ProviderKind) => kind === "anthropic"

/** `x-api-key` as a bearer token when no `Authorization` header came (the Anthropic clients' way). */
const credentialOf = (headers: Readonly<Record<string, string | undefined>>): string | undefined =>
  headers.authorization ?? (headers["x-api-key"] !== undefined ? `Bearer ${headers["x-api-key"]}` : undefined)

/** The `x-am-*` headers, and `request-id` (what `@anthropic-ai/sdk` reads as the request id). */
const answerHeaders = (h: Parameters<typeof amHeaders>[0]) => ({ ...amHeaders(h), "request-id": h.requestId })

/** `POST /v1/messages` (needs `Engine` and `Lifecycle` to build). */
export const messages = Effect.fnUntraced(function* (options: MessagesOptions) {
  const engine = yield* Engine
  const lifecycle = yield* Lifecycle
  const recorders = yield* replayRecorders
  const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024
  return anthropicErrors(
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      if (lifecycle.draining) return yield* new GatewayError({ reason: new ShuttingDown() })
      const principal = yield* authenticate(options.auth, credentialOf(request.headers))
      const raw = yield* readJsonText(request, maxBodyBytes)
      // Content the translation has no place for goes only in the client's own messages: not when
      // the input guards must read them, nor beside another provider's reasoning (translated).
      const json = raw.json as Record<string, unknown>
      const verbatim = options.inspectsInput !== true && !rendersForeignReasoning(json)
      const contentAsks = messagesContentAsks(json, { verbatim, inspected: options.inspectsInput === true })
      const body = yield* decodeMessagesBody(raw.json, { verbatim, inspected: options.inspectsInput === true })
      const idempotencyKey = yield* idempotencyKeyOf(request)
      const deadlineMs = yield* deadlineOf(request)
      const decoded = yield* decodeRequest(
        toMessagesCompletionRequest(
          body,
          { workspaceId: principal.workspaceId, idempotencyKey, deadlineMs },
          request.headers
        )
      ).pipe(Effect.mapError(GatewayError.engine))
      // An `anthropic` upstream gets the client's own JSON (unknown fields, cache_control, signatures kept).
      const completionRequest: CompletionRequest = {
        ...decoded,
        passthrough: { wire: "anthropic.messages", body: Redacted.make(raw.text), messages: decoded.messages }
      }
      // Never dropped in silence: refused (400 naming it) or reported per server.unsupportedFields.
      const asks = [...messagesFieldAsks(json), ...(contentAsks instanceof GatewayError ? [] : contentAsks.asks)]
      yield* refuseUnhonoured(engine.config, body.model, asks, completionRequest, sameWire, options.unsupportedFields)
      const dropped = (provider: string) => unhonouredHeader(engine.config, provider, asks, completionRequest, sameWire)
      const run = (keep: () => Effect.Effect<void>, complete: Complete) =>
        body.stream === true
          ? streamed(engine, completionRequest, body, keep, complete, idempotencyKey !== undefined, dropped)
          : completedMessage(engine, completionRequest, body.stop_sequences ?? undefined, complete, dropped)
      // A finished answer under the key is replayed by any replica (same body or events, same request id).
      return yield* lifecycle.track(principal, idempotencyKey, run, {
        requestHash: requestHash({ wire: "anthropic.messages", body: raw.json }),
        replay: (result) =>
          replayWire(
            result,
            {
              recorders,
              route: body.model,
              messages: completionRequest.messages,
              pipelineRunId: completionRequest.metadata?.pipelineRunId,
              stage: completionRequest.metadata?.stage
            },
            answerHeaders
          )
      })
    })
  )
})

/**
 * A streamed answer, as `/v1/chat/completions` streams: failover until the first content token
 * (so the status and headers are known before the first byte), the engine's scope closed when the
 * SSE stream ends — `message_stop` only after that, when the ledger entry is written and, under
 * an `Idempotency-Key`, the whole event stream is stored (so a replay never misses it).
 */
const streamed = Effect.fnUntraced(function* (
  engine: Engine["Service"],
  request: Parameters<Engine["Service"]["stream"]>[0],
  body: MessagesBody,
  keep: () => Effect.Effect<void>,
  complete: Complete,
  remember: boolean,
  dropped: (provider: string) => Record<string, string>
) {
  const scope = yield* Scope.make()
  const started = yield* engine.stream(request).pipe(
    Scope.provide(scope),
    Effect.onExit((exit) => (Exit.isFailure(exit) ? Scope.close(scope, exit) : Effect.void)),
    Effect.mapError(GatewayError.engine)
  )
  const encoder = new MessageStreamEncoder({
    requestId: started.requestId,
    model: started.model ?? body.model,
    estimatedInputTokens: estimateInputTokens(request),
    stopSequences: body.stop_sequences
  })
  const encode = new TextEncoder()
  const sent = frameLog(remember)
  const stop = Stream.unwrap(
    Effect.gen(function* () {
      yield* Scope.close(scope, Exit.void)
      if (!encoder.finished) return Stream.empty
      const last = encoder.stop()
      yield* complete({
        requestId: started.requestId,
        value: storedWireEvents(sent.text() + last, {
          provider: started.provider,
          model: started.model,
          outcome: started.resilience.outcome
        })
      })
      return Stream.succeed(last)
    })
  )
  const frames = Stream.succeed(encoder.start()).pipe(
    Stream.concat(sseBody(started, encoder)),
    Stream.map((s) => {
      sent.add(s)
      return s
    }),
    Stream.concat(stop),
    Stream.filter((s) => s.length > 0),
    Stream.map((s) => encode.encode(s)),
    Stream.onExit((exit) => Scope.close(scope, exit))
  )
  return yield* sseResponse(frames, scope, keep, {
    ...answerHeaders({
      requestId: started.requestId,
      provider: started.provider,
      model: started.model,
      attempts: started.attempts,
      outcome: started.resilience.outcome,
      guard: started.resilience.guard
    }),
    ...dropped(started.provider)
  })
})

/** A failure after the first event ends the stream with Anthropic's `error` event and no `message_stop`. */
const sseBody = (started: EngineStream, encoder: MessageStreamEncoder): Stream.Stream<string> =>
  started.chunks.pipe(
    Stream.map((chunk) => encoder.encode(chunk)),
    Stream.catch((e: EngineError) => Stream.succeed(anthropicErrorEvent(GatewayError.engine(e))))
  )

/**
 * `POST /v1/messages/count_tokens`: `{ input_tokens }`, estimated over the request as the engine
 * would send it (see `TokenEstimate.ts` for how), whatever provider would answer. No upstream call.
 */
export const countTokens = Effect.fnUntraced(function* (options: MessagesOptions) {
  const lifecycle = yield* Lifecycle
  const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024
  return anthropicErrors(
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      if (lifecycle.draining) return yield* new GatewayError({ reason: new ShuttingDown() })
      yield* authenticate(options.auth, credentialOf(request.headers))
      // A count is an estimate: blocks and server tools the translation has no place for are left out of it.
      const body = yield* Effect.flatMap(readJson(request, maxBodyBytes), (json) =>
        decodeCountTokensBody(json, { verbatim: true })
      )
      return HttpServerResponse.jsonUnsafe({ input_tokens: estimateInputTokens(promptOf(body)) })
    })
  )
})
