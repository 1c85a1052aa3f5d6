/**
 * The one place a `GatewayError` becomes an HTTP answer: OpenAI's error body
 * `{"error":{"message","type","param","code"}}` with a stable `code`, the status of the
 * DESIGN.md error table, `x-should-retry: false` where a client retry cannot help (the header
 * the official SDKs read), `retry-after` / `retry-after-ms` when the gateway knows when trying
 * again may help, and the `x-am-*` headers of an engine failure. Engine failures are rendered
 * from `EngineError.reason`.
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
import { amHeaders, calls } from "./AmHeaders.ts"
import type { GatewayError, GatewayErrorReason } from "./GatewayError.ts"

/** The stable error codes the gateway answers with (the engine's plus the HTTP edge's). */
export type ErrorCode =
  | EngineError["code"]
  | "unauthorized"
  | "idempotency_in_progress"
  | "not_found"
  | "method_not_allowed"
  | "unsupported_media_type"
  | "shutting_down"
  | "internal_error"

/** OpenAI's error `type`s the gateway uses. */
export type ErrorType = "invalid_request_error" | "authentication_error" | "api_error"

/** How one error is answered. */
export interface ErrorWire {
  readonly status: number
  readonly type: ErrorType
  readonly code: ErrorCode
  /** Whether a client retry of the same request may succeed (`false` sends `x-should-retry: false`). */
  readonly retry: boolean
  readonly param?: string | undefined
  readonly retryAfterMs?: number | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
}

const invalid = (code: ErrorCode, status = 400, param?: string): ErrorWire => ({
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

/** The answer to an engine failure, by its reason. */
const engineWire = (e: EngineError): ErrorWire => {
  const reason = e.reason
  const wire = ((): ErrorWire => {
    switch (reason._tag) {
      case "InvalidRequest":
        return invalid("invalid_request", 400, reason.field)
      case "RequestTooLarge":
        return invalid("request_too_large", 413)
      // OpenAI answers a content-policy refusal with 400 invalid_request_error.
      case "ContentPolicy":
        return invalid("content_policy", 400)
      case "NoRoute":
        return invalid("no_route", 404)
      case "AllProvidersFailed":
        return server("all_providers_failed", 502, reason.retryAfterMs)
      case "StreamInterrupted":
        return server("stream_interrupted", 502)
      case "Interrupted":
        return server("interrupted", 503)
      case "DeadlineExceeded":
        return server("deadline_exceeded", 504)
    }
  })()
  return {
    ...wire,
    headers: amHeaders({ requestId: e.requestId, attempts: calls(e.attempts), outcome: "FAILURE" })
  }
}

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
  const headers: Record<string, string> = { ...wire.headers }
  if (!wire.retry) headers["x-should-retry"] = "false"
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
