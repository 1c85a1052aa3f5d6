/**
 * `POST /v1/responses`: OpenAI's Responses API through the engine — failover, guards, ledger — to
 * any provider kind, as JSON or, with `stream: true`, as the Responses event stream. Also
 * `GET /v1/responses/{id}` and `DELETE /v1/responses/{id}` for stored responses.
 *
 * Admission is the chat route's (draining, gateway key, JSON body, `Idempotency-Key`,
 * `x-am-deadline-ms`), then the body (`ResponsesWire`), the conversation (`previous_response_id`
 * and `item_reference`s from the gateway's `ResponseStore`, per workspace) and the engine's own
 * request checks. Every refusal or engine failure is a `GatewayError`, rendered as OpenAI's error
 * body by `ErrorResponse`.
 *
 * @example
 * ```ts
 * import { responsesRoutes } from "@am/gateway"
 * ```
 * @since 0.1.0
 */
import { requestHash } from "@am/cache"
import { decodeRequest, Engine, type EngineCompletion, type EngineError, type EngineStream } from "@am/engine"
import { type CompletionRequest, contentText } from "@am/core"
import { Clock, Effect, Exit, Option, Redacted, Scope, Stream } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { amHeaders, requestIdHeaders, resilienceHeaders } from "./AmHeaders.ts"
import { errorBody } from "./ErrorResponse.ts"
import { type Auth, authenticate } from "./GatewayAuth.ts"
import { GatewayError, NotFound, ShuttingDown } from "./GatewayError.ts"
import { sseResponse } from "./internal/SseResponse.ts"
import { ResponseEventEncoder } from "./internal/responses/ResponseEvents.ts"
import {
  makeMemory,
  ResponseStore,
  type ResponseStoreShape,
  type StoredResponse
} from "./internal/responses/ResponseStore.ts"
import { type InputAsks, type PlacedItem, resolveReferences, toMessages } from "./internal/responses/ResponsesInput.ts"
import { upstreamResponsesBody } from "./internal/responses/UpstreamInput.ts"
import { replayRecorders } from "./internal/ReplayAudit.ts"
import { frameLog, replayWire, storedWireEvents, storedWireJson } from "./internal/WireReplay.ts"
import { type FieldAsk, firstUnhonoured, speaksResponsesWire, unhonouredHeader } from "./DroppedFields.ts"
import { knownResponsesBody, responsesBodyFieldAsks } from "./internal/responses/ResponsesFieldAsks.ts"
import { type Complete, Lifecycle } from "./Lifecycle.ts"
import { deadlineOf, idempotencyKeyOf, readJsonText } from "./RequestInput.ts"
import {
  decodeResponsesBody,
  responsesFinished,
  type ResponsesOutputItem,
  responsesOutputItems,
  type ResponsesRequest,
  responsesEnvelope,
  responsesIds,
  toResponsesCompletionRequest
} from "./ResponsesWire.ts"

export { ResponseStore } from "./internal/responses/ResponseStore.ts"

/** A whole answer as a Responses object (kept when `store`, stored under the Idempotency-Key by `complete`). */
const completedResponse = Effect.fnUntraced(function* (
  engine: Engine["Service"],
  completionRequest: CompletionRequest,
  wire: ResponsesRequest,
  keepIfStored: (
    requestId: string,
    output: ReadonlyArray<ResponsesOutputItem>,
    response: unknown
  ) => Effect.Effect<void>,
  complete: Complete,
  dropped: (provider: string) => Record<string, string>
) {
  const answer = yield* engine.complete(completionRequest).pipe(Effect.mapError(GatewayError.engine))
  const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
  const r = answer.resilience
  const output = answerItems(answer)
  const response = responsesFinished(
    responsesEnvelope(wire, responsesIds(r.requestId).response, now, answer.model),
    output,
    answer.finishReason,
    answer.usage,
    now
  )
  yield* keepIfStored(r.requestId, output, response)
  yield* complete({
    requestId: r.requestId,
    value: storedWireJson(response, { provider: r.provider, model: r.model, outcome: r.outcome })
  })
  return HttpServerResponse.jsonUnsafe(response, {
    headers: { ...resilienceHeaders(r), ...dropped(r.provider) }
  })
})

/** Options of the Responses routes. */
export interface ResponsesOptions {
  readonly auth: Auth
  /** Largest accepted request body in bytes (default 4 MiB). */
  readonly maxBodyBytes?: number | undefined
  /**
   * A field a cross-wire candidate (Anthropic, Gemini) cannot honour: `reject` (default) → 400
   * naming it, `drop-and-report` → `x-am-dropped-fields`. A same-wire candidate (`openai`;
   * an `openai-compatible` server is translated to chat) receives the client's own JSON and honours every field, unknown ones too.
   */
  readonly unsupportedFields?: "reject" | "drop-and-report" | undefined
  /** Input guards read every request: input they cannot read (a file part, …) is refused rather than sent unread. */
  readonly inspectsInput?: boolean | undefined
}

const notStored = (id: string) =>
  new GatewayError({ reason: new NotFound({ what: `response "${id.slice(0, 200)}" stored for this workspace` }) })

/**
 * The items a continuation starts from: every stored response up the `previous_response_id`
 * chain, oldest first, each with its input and output items. A missing link is a 400 naming
 * `previous_response_id` (OpenAI answers the same for an unknown id).
 */
const conversation = Effect.fnUntraced(function* (store: ResponseStoreShape, workspaceId: string, id: string) {
  const chain: Array<PlacedItem> = []
  let next: string | undefined = id
  for (let depth = 0; next !== undefined && depth < 100_000; depth++) {
    const stored: StoredResponse | undefined = yield* store.get(workspaceId, next)
    if (stored === undefined)
      return yield* GatewayError.invalid(
        next === id
          ? `previous response ${JSON.stringify(id)} is not stored for this workspace (stored responses are kept by this gateway, with store: true)`
          : `previous response ${JSON.stringify(id)} continues a response that is no longer stored`,
        "previous_response_id"
      )
    const items = [...stored.input, ...stored.output].map((item) => ({ item, path: "previous_response_id" }))
    chain.unshift(...items)
    next = stored.previousResponseId
  }
  return chain
})

/** The handlers (need `Engine` and `Lifecycle` to build; `ResponseStore` when one is provided). */
export const responsesRoutes = Effect.fnUntraced(function* (options: ResponsesOptions) {
  const engine = yield* Engine
  const lifecycle = yield* Lifecycle
  const recorders = yield* replayRecorders
  const store = Option.getOrElse(yield* Effect.serviceOption(ResponseStore), () => makeMemory())
  const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024

  const create = Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    if (lifecycle.draining) return yield* new GatewayError({ reason: new ShuttingDown() })
    const principal = yield* authenticate(options.auth, request.headers.authorization)
    const raw = yield* readJsonText(request, maxBodyBytes)
    const json = raw.json
    // Unknown top-level fields are not decoded: only a same-wire candidate receives them (below).
    const wire = yield* decodeResponsesBody(knownResponsesBody(json))
    const idempotencyKey = yield* idempotencyKeyOf(request)
    const deadlineMs = yield* deadlineOf(request)
    const workspaceId = principal.workspaceId
    const { body } = wire
    const history =
      body.previous_response_id !== undefined && body.previous_response_id !== null
        ? yield* conversation(store, workspaceId, body.previous_response_id)
        : []
    const own: ReadonlyArray<PlacedItem> =
      body.input === undefined
        ? []
        : typeof body.input === "string"
          ? [{ item: { type: "message", role: "user", content: body.input }, path: "input" }]
          : body.input.map((item, i) => ({ item, path: `input.${i}` }))
    const input = yield* resolveReferences(own, (id) => store.item(workspaceId, id))
    // The client's own JSON for a same-wire candidate. Its `input` goes as is when it is the whole
    // conversation in the provider's terms; after a `previous_response_id` (the history is the
    // gateway's) or with an item naming the gateway's ids or sealed reasoning (`refersToGateway`),
    // the body gets the whole conversation as the upstream can take it (`upstreamResponsesBody`).
    // Either way input the translation cannot carry (custom tool calls, files…) goes along, as
    // asks — unless the input guards must read it. The adapter sends its translation instead
    // only when a guard changed the messages.
    const verbatim = history.length === 0 && !own.some((p) => refersToGateway(p.item))
    const inspected = options.inspectsInput === true
    const inputAsks: InputAsks = { verbatim: !inspected, asks: [], inspected }
    const messages = yield* toMessages([...history, ...input], inputAsks)
    if (messages.length === 0) return yield* GatewayError.invalid("input has no message to answer", "input")
    const decoded = yield* decodeRequest(
      toResponsesCompletionRequest(wire, messages, { workspaceId, idempotencyKey, deadlineMs })
    ).pipe(Effect.mapError(GatewayError.engine))
    const completionRequest: CompletionRequest = {
      ...decoded,
      passthrough: {
        wire: "openai.responses",
        body: Redacted.make(
          verbatim
            ? raw.text
            : upstreamResponsesBody(
                json as Record<string, unknown>,
                [...history, ...input].map((p) => p.item)
              )
        ),
        messages: decoded.messages
      }
    }
    const dropped = (providerId: string | undefined) =>
      unhonouredHeader(engine.config, providerId, asks, decoded, speaksResponsesWire)
    // Never dropped in silence: a same-wire candidate gets the client's JSON (everything honoured);
    // each cross-wire candidate's adapter table says what it cannot honour.
    const asks: ReadonlyArray<FieldAsk> = [
      ...responsesBodyFieldAsks(json as Record<string, unknown>),
      ...inputAsks.asks
    ]
    if (asks.length > 0 && (options.unsupportedFields ?? "reject") === "reject") {
      const miss = firstUnhonoured(engine.config, body.model, asks, decoded, speaksResponsesWire)
      if (miss !== undefined)
        return yield* GatewayError.invalid(
          `field ${miss.paths.join(", ")} cannot be honoured by provider ${miss.provider} of this route; remove it, or set server.unsupportedFields to "drop-and-report" to proceed without it there`,
          miss.paths[0]
        )
    }
    const keepIfStored = (requestId: string, output: ReadonlyArray<ResponsesOutputItem>, response: unknown) =>
      body.store === false
        ? Effect.void
        : store.put({
            id: responsesIds(requestId).response,
            workspaceId,
            previousResponseId: body.previous_response_id ?? undefined,
            input: input.map((p) => p.item),
            output,
            response
          })
    const run = (keep: () => Effect.Effect<void>, complete: Complete) =>
      body.stream === true
        ? streamed(engine, completionRequest, wire, keepIfStored, keep, complete, idempotencyKey !== undefined, dropped)
        : completedResponse(engine, completionRequest, wire, keepIfStored, complete, dropped)
    // A finished answer under the key is replayed by any replica (same body or events, same request id).
    return yield* lifecycle.track(principal, idempotencyKey, run, {
      requestHash: requestHash({ wire: "openai.responses", body: json }),
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
          amHeaders
        )
    })
  })

  const stored = (action: "get" | "delete") =>
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const principal = yield* authenticate(options.auth, request.headers.authorization)
      const id = (yield* HttpRouter.params).id ?? ""
      const found = yield* store.get(principal.workspaceId, id)
      if (found === undefined) return yield* notStored(id)
      if (action === "get") return HttpServerResponse.jsonUnsafe(found.response, { headers: requestIdHeaders() })
      yield* store.remove(principal.workspaceId, id)
      return HttpServerResponse.jsonUnsafe({ id, object: "response", deleted: true }, { headers: requestIdHeaders() })
    })

  return { create, retrieve: stored("get"), remove: stored("delete") }
})

/**
 * An input item that names something only the gateway knows: an `item_reference`, a reasoning item
 * (sealed by the gateway), or any item with an `id` (the gateway's output ids — an upstream asked
 * with `store: false` answers 400 to an item id it never stored).
 */
const refersToGateway = (item: unknown): boolean => {
  if (typeof item !== "object" || item === null) return false
  const { type, id } = item as { type?: unknown; id?: unknown }
  return type === "item_reference" || type === "reasoning" || (id !== undefined && id !== null)
}

const answerItems = (answer: EngineCompletion) =>
  responsesOutputItems(answer.resilience.requestId, {
    text: contentText(answer.message.content),
    refusal: answer.message.refusal,
    toolCalls: answer.message.toolCalls ?? [],
    reasoning: answer.message.reasoning,
    finishReason: answer.finishReason,
    wireItems: answer.wireItems
  })

/**
 * A streamed answer, committed like the chat route's (failover before the first token is
 * invisible, so status and `x-am-*` headers are known up front). The response is stored and
 * `response.completed` sent only after the engine's scope closed (the ledger entry is written),
 * so a client that saw the end can continue from it at once and rely on its audit record — and,
 * under an `Idempotency-Key`, after the whole event stream is stored (a replay never misses it).
 */
const streamed = Effect.fnUntraced(function* (
  engine: Engine["Service"],
  request: Parameters<Engine["Service"]["stream"]>[0],
  wire: ResponsesRequest,
  keepIfStored: (
    requestId: string,
    output: ReadonlyArray<ResponsesOutputItem>,
    response: unknown
  ) => Effect.Effect<void>,
  keep: () => Effect.Effect<void>,
  complete: Complete,
  remember: boolean,
  dropped: (providerId: string | undefined) => Record<string, string>
) {
  const scope = yield* Scope.make()
  const started: EngineStream = yield* engine.stream(request).pipe(
    Scope.provide(scope),
    Effect.onExit((exit) => (Exit.isFailure(exit) ? Scope.close(scope, exit) : Effect.void)),
    Effect.mapError(GatewayError.engine)
  )
  const clock = yield* Clock.Clock
  const now = () => Math.floor(clock.currentTimeMillisUnsafe() / 1000)
  const envelope = responsesEnvelope(wire, responsesIds(started.requestId).response, now(), started.model)
  const encoder = new ResponseEventEncoder(envelope, started.requestId, now)
  const encode = new TextEncoder()
  const sent = frameLog(remember)
  const done = Stream.unwrap(
    Effect.gen(function* () {
      yield* Scope.close(scope, Exit.void)
      const finished = encoder.finished
      if (finished === undefined) return Stream.empty
      yield* keepIfStored(started.requestId, finished.output, finished.response)
      const last = encoder.completed()
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
  const events = started.chunks.pipe(
    Stream.map((chunk) => encoder.encode(chunk)),
    Stream.catch((e: EngineError) => Stream.succeed(encoder.error(errorBody(GatewayError.engine(e)))))
  )
  const frames = Stream.succeed(encoder.start()).pipe(
    Stream.concat(events),
    Stream.map((s) => {
      sent.add(s)
      return s
    }),
    Stream.concat(done),
    Stream.filter((s) => s.length > 0),
    Stream.map((s) => encode.encode(s)),
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
    ...dropped(started.provider)
  })
})
