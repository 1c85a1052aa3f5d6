/**
 * Errors on `/v1/messages` in Anthropic's shape — `{"type":"error","error":{"type","message"},
 * "request_id"}` — so `@anthropic-ai/sdk` and Claude Code raise their own error classes. Status,
 * `x-should-retry`, `retry-after` and the `x-am-*` headers are the gateway's error table's, taken
 * from `errorResponse` itself so the two surfaces never disagree; only the body and its `type`
 * (from the status, as Anthropic documents its errors) are this module's.
 */
import { Cause, Effect } from "effect"
import { HttpServerResponse } from "effect/http"
import { errorResponse } from "../../ErrorResponse.ts"
import { GatewayError, Internal } from "../../GatewayError.ts"
import { sse } from "./StreamEncoder.ts"

/** Anthropic's error `type` for a status (its documented table; 502 and 504 as `api_error`). */
export const anthropicErrorType = (status: number): string => {
  switch (status) {
    case 401:
      return "authentication_error"
    case 403:
      return "permission_error"
    case 404:
      return "not_found_error"
    case 413:
      return "request_too_large"
    case 429:
      return "rate_limit_error"
    case 503:
    case 529:
      return "overloaded_error"
    default:
      return status >= 500 ? "api_error" : "invalid_request_error"
  }
}

const body = (type: string, message: string, requestId: string | undefined) => ({
  type: "error",
  error: { type, message },
  ...(requestId !== undefined ? { request_id: requestId } : {})
})

/** The HTTP answer for a `GatewayError` on a Messages route. */
export const anthropicErrorResponse = (error: GatewayError): HttpServerResponse.HttpServerResponse => {
  const rendered = errorResponse(error)
  const requestId = rendered.headers["x-am-request-id"]
  return HttpServerResponse.jsonUnsafe(body(anthropicErrorType(rendered.status), error.message, requestId), {
    status: rendered.status,
    // `request-id` is the header @anthropic-ai/sdk reads into `requestID`.
    headers: { ...rendered.headers, ...(requestId !== undefined ? { "request-id": requestId } : {}) }
  })
}

/** The `error` event that ends a Messages stream cut after its first event (no `message_stop` follows). */
export const anthropicErrorEvent = (error: GatewayError): string => {
  const rendered = errorResponse(error)
  const type = rendered.status === 502 ? "overloaded_error" : anthropicErrorType(rendered.status)
  return sse("error", body(type, error.message, rendered.headers["x-am-request-id"]))
}

/**
 * A Messages handler whose failures answer in Anthropic's shape: a `GatewayError` is rendered
 * here, a defect is logged with its cause and answered `500 api_error` (as `RouteGuard` does for
 * the OpenAI routes). Interruptions pass.
 */
export const anthropicErrors = <R>(
  handler: Effect.Effect<HttpServerResponse.HttpServerResponse, GatewayError, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, R> =>
  handler.pipe(
    Effect.catch((e: GatewayError) => Effect.succeed(anthropicErrorResponse(e))),
    Effect.catchCause((cause) =>
      Cause.hasInterruptsOnly(cause)
        ? Effect.failCause(cause)
        : Effect.as(
            Effect.logError("gateway handler failed").pipe(
              Effect.annotateLogs({ route: "messages", cause: Cause.pretty(cause) })
            ),
            anthropicErrorResponse(new GatewayError({ reason: new Internal() }))
          )
    )
  ) as Effect.Effect<HttpServerResponse.HttpServerResponse, never, R>
