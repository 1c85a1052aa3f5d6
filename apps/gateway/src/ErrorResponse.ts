/**
 * The one place a `GatewayError` becomes an HTTP answer: OpenAI's error body
 * `{"error":{"message","type","param","code"}}` with a stable `code`, the status of the
 * DESIGN.md error table ("Errors a client can act on"), `x-should-retry: false` where a client
 * retry cannot help and `true` where it may (the header the official SDKs read before anything
 * else), `retry-after` / `retry-after-ms` when the gateway knows when trying again may help, the
 * `x-am-*` headers of an engine failure and `x-request-id` on every answer. Engine failures are
 * rendered from `EngineError.reason`.
 *
 * @example
 * ```ts
 * import { errorResponse, GatewayError, ShuttingDown } from "@am/gateway"
 * const response = errorResponse(new GatewayError({ reason: new ShuttingDown() })) // 503 shutting_down
 * ```
 * @since 0.1.0
 */
import type { EngineError } from "@am/engine"
import { Effect } from "effect"
import { HttpServerResponse } from "effect/http"
import { amHeaders, calls, requestIdHeaders } from "./AmHeaders.ts"
import type { GatewayError, GatewayErrorReason } from "./GatewayError.ts"

/**
 * The stable error codes the gateway answers with (the engine's plus the HTTP edge's). A
 * request-scoped upstream rejection keeps the upstream's own code (`unsupported_parameter`, …),
 * so `ErrorWire.code` may also be a code not listed here.
 */
export type ErrorCode =
  | EngineError["code"]
  | "rate_limited"
  | "model_not_found"
  | "context_length_exceeded"
  | "unauthorized"
  | "idempotency_in_progress"
  | "idempotency_key_reused"
  | "idempotency_unavailable"
  | "not_found"
  | "method_not_allowed"
  | "unsupported_media_type"
  | "shutting_down"
  | "internal_error"

/** OpenAI's error `type`s the gateway uses. */
export type ErrorType = "invalid_request_error" | "authentication_error" | "rate_limit_error" | "api_error"

/** How one error is answered. */
export interface ErrorWire {
  readonly status: number
  readonly type: ErrorType
  /** An `ErrorCode`, or the upstream's own code for a request it rejected. */
  readonly code: ErrorCode | (string & {})
  /** Whether a client retry of the same request may succeed (sent as `x-should-retry`). */
  readonly retry: boolean
  readonly param?: string | undefined
  readonly retryAfterMs?: number | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
}

const invalid = (code: ErrorWire["code"], status = 400, param?: string): ErrorWire => ({
  status,
  type: "invalid_request_error",
  code,
  retry: false,
  param
})
const server = (code: ErrorCode, status: number, retryAfterMs?: number): ErrorWire => ({
  status,
  type: "api_error",
  code,
  retry: true,
  retryAfterMs
})

/**
 * The longest `Retry-After` the gateway sends on its own account (an open breaker, a cooling
 * key): the official SDKs sleep up to 60 s on what they are told, and the gateway has already
 * retried and failed over. Only an upstream that itself announced a longer wait is passed on.
 */
export const MAX_GATEWAY_RETRY_AFTER_MS = 10_000

/** When nothing said when: a short pause before the client's one retry. */
export const DEFAULT_RETRY_AFTER_MS = 1_000

/** The `Retry-After` of an outage: the gateway's hint capped, unless an upstream announced more. */
export const outageRetryAfterMs = (gatewayMs: number | undefined, upstreamMs: number | undefined): number =>
  Math.max(Math.min(gatewayMs ?? upstreamMs ?? DEFAULT_RETRY_AFTER_MS, MAX_GATEWAY_RETRY_AFTER_MS), upstreamMs ?? 0)

/** The answer to an engine failure, by its reason. */
const engineWire = (e: EngineError): ErrorWire => {
  const reason = e.reason
  const wire = ((): ErrorWire => {
    switch (reason._tag) {
      case "InvalidRequest":
        return invalid("invalid_request", 400, reason.field)
      // Kept as the upstream said it: `context_length_exceeded` is 400 with OpenAI's param.
      case "UpstreamRejected":
        return invalid(reason.code, reason.status, reason.class === "context_length_exceeded" ? "messages" : undefined)
      case "RequestTooLarge":
        return invalid("request_too_large", 413)
      // OpenAI answers a content-policy refusal with 400 invalid_request_error.
      case "ContentPolicy":
        return invalid("content_policy", 400)
      case "NoRoute":
        return invalid("no_route", 404)
      case "ModelNotFound":
        return invalid("model_not_found", 404, "model")
      // OpenAI's own 429 shape; the client waits for the first key, then its one retry may pass.
      case "RateLimited":
        return {
          status: 429,
          type: "rate_limit_error",
          code: "rate_limited",
          retry: true,
          retryAfterMs: reason.retryAfterMs
        }
      // 503 when nothing was sent (every circuit open), 502 when upstreams answered with failures.
      case "AllProvidersFailed":
        return server(
          "all_providers_failed",
          reason.calls === 0 ? 503 : 502,
          outageRetryAfterMs(reason.retryAfterMs, reason.upstreamRetryAfterMs)
        )
      case "StreamInterrupted":
        return server("stream_interrupted", 502)
      case "Interrupted":
        return server("interrupted", 503)
      case "DeadlineExceeded":
        return server("deadline_exceeded", 504)
      // The guard refused before any provider call; the message names the rule and score.
      case "GuardBlocked":
        return invalid("guard_blocked", 400)
      // Invalid twice (the answer and its repair): retrying the same request is unlikely to help.
      case "OutputInvalid":
        return invalid("output_invalid", 422)
    }
  })()
  return {
    ...wire,
    headers: amHeaders({ requestId: e.requestId, attempts: calls(e.attempts), outcome: "FAILURE" })
  }
}

/** A `model` the gateway does not serve, as OpenAI answers `GET /v1/models/{id}` for one. */
const modelNotFound = (): ErrorWire => invalid("model_not_found", 404, "model")

/** Status, type, code and headers of each reason (the DESIGN.md error table). */
export const errorWire = (reason: GatewayErrorReason): ErrorWire => {
  switch (reason._tag) {
    case "Unauthorized":
      return { status: 401, type: "authentication_error", code: "unauthorized", retry: false }
    case "InvalidRequest":
      return invalid("invalid_request", 400, reason.field)
    case "RequestTooLarge":
      return invalid("request_too_large", 413)
    case "UnsupportedMediaType":
      return invalid("unsupported_media_type", 415)
    case "NotFound":
      return invalid("not_found", 404)
    case "ModelNotFound":
      return modelNotFound()
    case "MethodNotAllowed":
      return { ...invalid("method_not_allowed", 405), headers: { allow: reason.allowed } }
    case "IdempotencyInProgress":
      return {
        status: 409,
        type: "invalid_request_error",
        code: "idempotency_in_progress",
        retry: true,
        param: "Idempotency-Key",
        retryAfterMs: reason.retryAfterMs
      }
    case "IdempotencyKeyReused":
      return invalid("idempotency_key_reused", 422, "Idempotency-Key")
    case "IdempotencyUnavailable":
      return { ...server("idempotency_unavailable", 503), retryAfterMs: 1000 }
    case "ShuttingDown":
      return server("shutting_down", 503)
    case "EngineFailed":
      return engineWire(reason.error)
    case "Internal":
      return server("internal_error", 500)
  }
}

/** OpenAI's error object for a `GatewayError` (also the payload of a stream's SSE error event). */
export const errorBody = (error: GatewayError) => {
  const wire = errorWire(error.reason)
  return { error: { message: error.message, type: wire.type, param: wire.param ?? null, code: wire.code } }
}

/** The SSE frame that ends a stream cut by `error` (no `[DONE]` follows). */
export const errorEvent = (error: GatewayError): string => `data: ${JSON.stringify(errorBody(error))}\n\n`

/** The HTTP answer for a `GatewayError`: status, OpenAI's error body and the retry hints. */
export const errorResponse = (error: GatewayError): HttpServerResponse.HttpServerResponse => {
  const wire = errorWire(error.reason)
  // An answer the engine never saw still gets an id a client can quote (the SDKs' `request_id`).
  const headers: Record<string, string> = { ...requestIdHeaders(), ...wire.headers }
  headers["x-should-retry"] = wire.retry ? "true" : "false"
  if (wire.retry && wire.retryAfterMs !== undefined) {
    headers["retry-after"] = String(Math.max(1, Math.ceil(wire.retryAfterMs / 1000)))
    headers["retry-after-ms"] = String(Math.max(0, Math.round(wire.retryAfterMs)))
  }
  return HttpServerResponse.jsonUnsafe(errorBody(error), { status: wire.status, headers })
}

/** Answers a handler's `GatewayError` with its rendering. */
export const renderErrors = <R>(
  handler: Effect.Effect<HttpServerResponse.HttpServerResponse, GatewayError, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, R> =>
  Effect.catch(handler, (e) => Effect.succeed(errorResponse(e)))
