/**
 * The gateway's HTTP routes (DESIGN.md "Gateway HTTP"): `POST /v1/chat/completions`
 * (JSON and SSE), `GET /v1/models`, `GET /healthz`, `GET /readyz`, `GET /metrics`,
 * `GET /v1/am/state`, and the operator actions `POST /v1/am/keys/:provider/:key/{disable,enable}`.
 * Every failure is OpenAI's error body with a stable code; nothing a client sends can make the
 * server answer 5xx or fall over.
 *
 * @example
 * ```ts
 * import { routes } from "@am/gateway"
 * ```
 * @since 0.1.0
 */
import { decodeRequest, Engine, type EngineError, type EngineStream } from "@am/engine"
import { Keyring } from "@am/keyring"
import { Metrics } from "@am/telemetry"
import { Cause, Clock, Effect, Exit, Layer, Metric, Scope, Stream } from "effect"
import { HttpIncomingMessage, HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { type ApiErrorCode, apiError, errorBody } from "./ApiError.ts"
import type { Auth } from "./GatewayAuth.ts"
import { Lifecycle } from "./Lifecycle.ts"
import {
  ChunkEncoder,
  DONE,
  decodeChatBody,
  type InvalidBody,
  toChatCompletion,
  toCompletionRequest
} from "./OpenAIWire.ts"
import { readiness } from "./Readiness.ts"

/** Options of the HTTP surface. */
export interface RoutesOptions {
  readonly auth: Auth
  /** Largest accepted request body in bytes (default 4 MiB). */
  readonly maxBodyBytes?: number | undefined
}

const httpRequests = Metric.counter("am.gateway.http.requests", {
  description: "HTTP requests answered by the gateway",
  incremental: true
})

const count = (route: string, status: number) =>
  Metric.update(Metrics.tagged(httpRequests, { route, status: String(status) }), 1)

const amHeaders = (h: {
  readonly requestId: string
  readonly provider?: string | undefined
  readonly model?: string | undefined
  readonly attempts: number
  readonly outcome: string
}): Record<string, string> => ({
  "x-am-request-id": h.requestId,
  ...(h.provider !== undefined ? { "x-am-provider": h.provider } : {}),
  ...(h.model !== undefined ? { "x-am-model": h.model } : {}),
  "x-am-attempts": String(h.attempts),
  "x-am-outcome": h.outcome
})

const calls = (attempts: ReadonlyArray<{ readonly outcome: string }>) =>
  attempts.filter((a) => a.outcome !== "skipped").length

/** The HTTP answer for a request the engine could not serve. */
export const engineErrorResponse = (e: EngineError) =>
  apiError({
    code: e.code as ApiErrorCode,
    message: e.message,
    param: e.field,
    retryAfterMs: e.retryAfterMs,
    headers: amHeaders({ requestId: e.requestId, attempts: calls(e.attempts), outcome: "FAILURE" })
  })

const authenticate = (auth: Auth, request: HttpServerRequest.HttpServerRequest) => {
  const result = auth.authenticate(request.headers.authorization)
  return "error" in result
    ? Effect.fail(apiError({ code: "unauthorized", message: result.error }))
    : Effect.succeed(result)
}

const readJson = (request: HttpServerRequest.HttpServerRequest, maxBodyBytes: number) =>
  Effect.gen(function* () {
    const type = request.headers["content-type"]
    if (type === undefined || !/^application\/json\s*(;|$)/i.test(type)) {
      return yield* Effect.fail(
        apiError({
          code: "unsupported_media_type",
          message: `Content-Type must be application/json (got ${type === undefined ? "none" : JSON.stringify(type.slice(0, 100))})`
        })
      )
    }
    const declared = Number(request.headers["content-length"])
    if (Number.isFinite(declared) && declared > maxBodyBytes) {
      return yield* Effect.fail(
        apiError({ code: "request_too_large", message: `the request body exceeds ${maxBodyBytes} bytes` })
      )
    }
    const text = yield* request.text.pipe(
      Effect.provideService(HttpIncomingMessage.MaxBodySize, maxBodyBytes as never),
      Effect.mapError((e) =>
        e.reason._tag === "RequestParseError" && e.reason.reason === "BodyTooLarge"
          ? apiError({ code: "request_too_large", message: `the request body exceeds ${maxBodyBytes} bytes` })
          : apiError({ code: "invalid_request", message: "the request body could not be read" })
      )
    )
    return yield* Effect.try({
      try: () => JSON.parse(text) as unknown,
      catch: (e) =>
        apiError({ code: "invalid_request", message: `the request body is not valid JSON: ${(e as Error).message}` })
    })
  })

/** Idempotency-Key header: printable ASCII, at most 256 characters. */
const idempotencyKeyOf = (request: HttpServerRequest.HttpServerRequest) => {
  const key = request.headers["idempotency-key"]
  if (key === undefined) return Effect.succeed(undefined)
  return /^[\x21-\x7e]{1,256}$/.test(key)
    ? Effect.succeed(key)
    : Effect.fail(
        apiError({
          code: "invalid_request",
          message: "Idempotency-Key must be 1–256 printable ASCII characters",
          param: "Idempotency-Key"
        })
      )
}

const deadlineOf = (request: HttpServerRequest.HttpServerRequest) => {
  const raw = request.headers["x-am-deadline-ms"]
  if (raw === undefined) return Effect.succeed(undefined)
  const n = Number(raw)
  return Number.isInteger(n) && n > 0
    ? Effect.succeed(n)
    : Effect.fail(
        apiError({
          code: "invalid_request",
          message: "x-am-deadline-ms must be a positive integer",
          param: "x-am-deadline-ms"
        })
      )
}

const chat = (options: RoutesOptions) =>
  Effect.gen(function* () {
    const engine = yield* Engine
    const lifecycle = yield* Lifecycle
    const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024
    return Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      if (lifecycle.draining) {
        return yield* Effect.fail(apiError({ code: "shutting_down", message: "the gateway is shutting down" }))
      }
      const principal = yield* authenticate(options.auth, request)
      const json = yield* readJson(request, maxBodyBytes)
      const body = yield* decodeChatBody(json).pipe(
        Effect.mapError((e: InvalidBody) => apiError({ code: "invalid_request", message: e.message, param: e.param }))
      )
      if (body.n !== undefined && body.n !== null && body.n !== 1) {
        return yield* Effect.fail(apiError({ code: "invalid_request", message: "only n = 1 is supported", param: "n" }))
      }
      const idempotencyKey = yield* idempotencyKeyOf(request)
      const deadlineMs = yield* deadlineOf(request)
      const completionRequest = yield* decodeRequest(
        toCompletionRequest(body, { workspaceId: principal.workspaceId, idempotencyKey, deadlineMs })
      ).pipe(Effect.mapError(engineErrorResponse))
      const run = (keep: () => Effect.Effect<void>) =>
        body.stream === true
          ? streamed(engine, completionRequest, body.stream_options?.include_usage === true, body.model, keep)
          : Effect.gen(function* () {
              const answer = yield* engine.complete(completionRequest).pipe(Effect.mapError(engineErrorResponse))
              const created = Math.floor((yield* Clock.currentTimeMillis) / 1000)
              const r = answer.resilience
              return HttpServerResponse.jsonUnsafe(toChatCompletion(answer, created), {
                headers: amHeaders({
                  requestId: r.requestId,
                  provider: r.provider,
                  model: r.model,
                  attempts: calls(r.attempts),
                  outcome: r.outcome
                })
              })
            })
      return yield* lifecycle.track(principal, idempotencyKey, run)
    }).pipe(Effect.catch((response) => Effect.succeed(response)))
  })

/**
 * A streamed answer. The engine commits to a candidate once its first content token is in
 * hand (failover before that is invisible), so the status and the `x-am-*` headers are known
 * before the first byte. The engine's scope is closed when the SSE stream ends, which is when
 * the ledger entry is written — including when the client goes away mid-stream.
 */
const streamed = (
  engine: Engine["Service"],
  request: Parameters<Engine["Service"]["stream"]>[0],
  includeUsage: boolean,
  requestedModel: string,
  keep: () => Effect.Effect<void>
) =>
  Effect.gen(function* () {
    const scope = yield* Scope.make()
    const started = yield* engine.stream(request).pipe(
      Scope.provide(scope),
      Effect.onExit((exit) => (Exit.isFailure(exit) ? Scope.close(scope, exit) : Effect.void)),
      Effect.mapError(engineErrorResponse)
    )
    const created = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    const encoder = new ChunkEncoder({
      requestId: started.requestId,
      created,
      model: started.model ?? requestedModel,
      includeUsage
    })
    const encode = new TextEncoder()
    // `[DONE]` only after the scope closed (the ledger entry is written), so a client that saw
    // the end of its answer can rely on its audit record.
    const done = Stream.unwrap(
      Effect.map(Scope.close(scope, Exit.void), () => (encoder.finished ? Stream.succeed(DONE) : Stream.empty))
    )
    const frames = sseBody(started, encoder).pipe(
      Stream.concat(done),
      Stream.map((s) => encode.encode(s)),
      Stream.onExit((exit) => Scope.close(scope, exit))
    )
    // In flight (and holding its Idempotency-Key) until the last frame is written.
    const release = keep()
    const body = frames.pipe(Stream.ensuring(release))
    // Safety net: the request's scope closes once the response is written or abandoned (the Node
    // server writes a stream body before closing it), so a body that never starts — the client
    // gone between headers and body — still closes the engine's scope (its ledger entry) and
    // releases the slot. Both are idempotent.
    yield* Effect.addFinalizer((exit) => Effect.andThen(Scope.close(scope, exit), release))
    return HttpServerResponse.stream(body, {
      contentType: "text/event-stream",
      headers: {
        "cache-control": "no-cache",
        "x-accel-buffering": "no",
        ...amHeaders({
          requestId: started.requestId,
          provider: started.provider,
          model: started.model,
          attempts: started.attempts,
          outcome: started.resilience.outcome
        })
      }
    })
  })

/**
 * The SSE frames of a committed stream. A failure after the first token ends the stream with an
 * `error` frame (OpenAI's error body, which the official SDKs raise) and no `[DONE]` — a cut
 * answer never looks finished.
 */
const sseBody = (started: EngineStream, encoder: ChunkEncoder): Stream.Stream<string> =>
  started.chunks.pipe(
    Stream.map((chunk) => encoder.encode(chunk)),
    Stream.catch((e: EngineError) =>
      Stream.succeed(`data: ${JSON.stringify(errorBody(e.code as ApiErrorCode, e.message))}\n\n`)
    )
  )

const models = Effect.gen(function* () {
  const engine = yield* Engine
  const config = engine.config
  const data = [
    ...[...config.routes.keys()].map((id) => ({ id, object: "model", created: 0, owned_by: "am-route" })),
    ...[...config.providers.values()].flatMap((p) =>
      [...p.models.values()].map((m) => ({ id: m.name, object: "model", created: 0, owned_by: p.id }))
    )
  ]
  // A route and a model may share a name; the route (listed first) wins.
  const unique = [...new Map(data.reverse().map((d) => [d.id, d] as const)).values()].reverse()
  return HttpServerResponse.jsonUnsafe({ object: "list", data: unique })
})

const state = Effect.gen(function* () {
  const engine = yield* Engine
  const lifecycle = yield* Lifecycle
  const s = yield* engine.state
  return HttpServerResponse.jsonUnsafe({
    ...s,
    providers: [...engine.config.providers.values()].map((p) => ({
      id: p.id,
      kind: p.kind,
      models: [...p.models.keys()],
      keys: p.keys.map((k) => ({ id: k.id, fingerprint: k.fingerprint }))
    })),
    routes: Object.fromEntries(
      [...engine.config.routes.entries()].map(([name, steps]) => [name, steps.map((s) => ({ ...s }))])
    ),
    gateway: { inFlight: lifecycle.inFlight, draining: lifecycle.draining, startedAt: lifecycle.startedAt }
  })
})

/**
 * `/v1/models` (as OpenAI's) and the operator views need a gateway key when keys are configured
 * (like the dashboard): they show no secret, but they do show the deployment's providers, keys by
 * id and traffic. `/healthz`, `/readyz` and `/metrics` stay open for probes and scrapers.
 */
const authenticated = <E, R>(
  options: RoutesOptions,
  handler: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
) =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    Effect.flatMap(authenticate(options.auth, request), () => handler)
  ).pipe(Effect.catch((e) => (HttpServerResponse.isHttpServerResponse(e) ? Effect.succeed(e) : Effect.fail(e))))

const keyAction = (options: RoutesOptions, action: "disable" | "enable") =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const keyring = yield* Keyring
    const engine = yield* Engine
    return yield* Effect.gen(function* () {
      yield* authenticate(options.auth, request)
      const params = yield* HttpRouter.params
      const provider = params.provider ?? ""
      const keyId = params.key ?? ""
      const spec = engine.config.providers.get(provider)
      if (spec === undefined || !spec.keys.some((k) => k.id === keyId)) {
        return yield* Effect.fail(
          apiError({ code: "not_found", message: `no key "${keyId}" in provider "${provider}"` })
        )
      }
      if (action === "disable") yield* keyring.disable(provider, keyId, "disabled by an operator")
      else yield* keyring.enable(provider, keyId)
      const fingerprint = spec.keys.find((k) => k.id === keyId)!.fingerprint
      return HttpServerResponse.jsonUnsafe({
        provider,
        id: keyId,
        fingerprint,
        status: action === "disable" ? "disabled" : "enabled"
      })
    }).pipe(Effect.catch((response) => Effect.succeed(response)))
  })

const notFound = Effect.gen(function* () {
  const request = yield* HttpServerRequest.HttpServerRequest
  return apiError({
    code: "not_found",
    message: `no route ${request.method} ${request.url.split("?")[0]!.slice(0, 200)}`
  })
})

const methodNotAllowed = (allowed: string) =>
  Effect.succeed(apiError({ code: "method_not_allowed", message: `use ${allowed}`, headers: { allow: allowed } }))

/**
 * Never answers 5xx for what a client sent: a defect is logged with its cause and answered
 * `500 internal_error` (a bug of ours), never a dropped connection.
 */
const guardWith =
  (lifecycle: Lifecycle["Service"]) =>
  <R>(route: string, handler: Effect.Effect<HttpServerResponse.HttpServerResponse, never, R>) =>
    handler.pipe(
      Effect.catchCause((cause) =>
        Cause.hasInterruptsOnly(cause)
          ? Effect.failCause(cause)
          : Effect.as(
              Effect.logError("gateway handler failed").pipe(
                Effect.annotateLogs({ route, cause: Cause.pretty(cause) })
              ),
              apiError({ code: "internal_error", message: "internal error (logged)" })
            )
      ),
      Effect.tap((response) => count(route, response.status)),
      // While draining, every answer closes its connection so keep-alive clients reconnect
      // elsewhere instead of holding this process open until the shutdown bound.
      Effect.map((response) =>
        lifecycle.draining ? HttpServerResponse.setHeader(response, "connection", "close") : response
      )
    )

/** All routes as one layer (needs `Engine`, `Keyring`, `Breakers`, `Lifecycle`; `LedgerStore` optional). */
export const routes = (options: RoutesOptions) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const chatHandler = yield* chat(options)
      const guarded = guardWith(yield* Lifecycle)
      return HttpRouter.addAll([
        HttpRouter.route("POST", "/v1/chat/completions", guarded("chat", chatHandler)),
        HttpRouter.route("GET", "/v1/chat/completions", guarded("chat", methodNotAllowed("POST"))),
        HttpRouter.route("PUT", "/v1/chat/completions", guarded("chat", methodNotAllowed("POST"))),
        HttpRouter.route("DELETE", "/v1/chat/completions", guarded("chat", methodNotAllowed("POST"))),
        HttpRouter.route("PATCH", "/v1/chat/completions", guarded("chat", methodNotAllowed("POST"))),
        HttpRouter.route("GET", "/v1/models", guarded("models", authenticated(options, models))),
        HttpRouter.route(
          "GET",
          "/healthz",
          guarded("healthz", Effect.succeed(HttpServerResponse.jsonUnsafe({ status: "ok" })))
        ),
        HttpRouter.route("GET", "/readyz", guarded("readyz", readiness)),
        HttpRouter.route(
          "GET",
          "/metrics",
          guarded(
            "metrics",
            Effect.map(Metrics.prometheus, (text) =>
              HttpServerResponse.text(text, { contentType: "text/plain; version=0.0.4; charset=utf-8" })
            )
          )
        ),
        HttpRouter.route("GET", "/v1/am/state", guarded("state", authenticated(options, state))),
        HttpRouter.route("POST", "/v1/am/keys/:provider/:key/disable", guarded("keys", keyAction(options, "disable"))),
        HttpRouter.route("POST", "/v1/am/keys/:provider/:key/enable", guarded("keys", keyAction(options, "enable"))),
        HttpRouter.route("*", "*", guarded("not_found", notFound))
      ])
    })
  )
