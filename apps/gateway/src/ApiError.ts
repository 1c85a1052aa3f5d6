/**
 * Errors as OpenAI's error body `{"error":{"message","type","param","code"}}` with the
 * gateway's stable codes, the HTTP status each one maps to, and `x-should-retry` (the header
 * the official SDKs read) set to `false` where a client retry cannot help.
 *
 * @example
 * ```ts
 * import { apiError } from "@am/gateway"
 * const response = apiError({ code: "unauthorized", message: "missing bearer token" })
 * ```
 * @since 0.1.0
 */
import type { EngineError } from "@am/engine"
import { HttpServerResponse } from "effect/http"

/** The stable error codes the gateway answers with (the engine's plus the HTTP edge's). */
export type ApiErrorCode =
  | EngineError["code"]
  | "unauthorized"
  | "idempotency_in_progress"
  | "not_found"
  | "method_not_allowed"
  | "unsupported_media_type"
  | "shutting_down"
  | "internal_error"

interface CodeInfo {
  readonly status: number
  readonly type: string
  /** Whether a client retry of the same request may succeed. */
  readonly retry: boolean
}

const CODES: Record<ApiErrorCode, CodeInfo> = {
  invalid_request: { status: 400, type: "invalid_request_error", retry: false },
  // OpenAI answers a content-policy refusal with 400 invalid_request_error.
  content_policy: { status: 400, type: "invalid_request_error", retry: false },
  request_too_large: { status: 413, type: "invalid_request_error", retry: false },
  no_route: { status: 404, type: "invalid_request_error", retry: false },
  unauthorized: { status: 401, type: "authentication_error", retry: false },
  idempotency_in_progress: { status: 409, type: "invalid_request_error", retry: true },
  not_found: { status: 404, type: "invalid_request_error", retry: false },
  method_not_allowed: { status: 405, type: "invalid_request_error", retry: false },
  unsupported_media_type: { status: 415, type: "invalid_request_error", retry: false },
  all_providers_failed: { status: 502, type: "api_error", retry: true },
  deadline_exceeded: { status: 504, type: "api_error", retry: true },
  stream_interrupted: { status: 502, type: "api_error", retry: true },
  interrupted: { status: 503, type: "api_error", retry: true },
  shutting_down: { status: 503, type: "api_error", retry: true },
  internal_error: { status: 500, type: "api_error", retry: true }
} as Record<ApiErrorCode, CodeInfo>

/** HTTP status of a code (unknown codes are 500). */
export const statusOf = (code: ApiErrorCode): number => CODES[code]?.status ?? 500

/** The OpenAI-shaped error object (also used as the SSE error event's payload). */
export const errorBody = (code: ApiErrorCode, message: string, param?: string) => ({
  error: { message, type: CODES[code]?.type ?? "api_error", param: param ?? null, code }
})

/** An error response with its status, body and retry hints. */
export const apiError = (options: {
  readonly code: ApiErrorCode
  readonly message: string
  readonly param?: string | undefined
  readonly retryAfterMs?: number | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
}): HttpServerResponse.HttpServerResponse => {
  const info = CODES[options.code] ?? CODES.internal_error
  const headers: Record<string, string> = { ...options.headers }
  if (!info.retry) headers["x-should-retry"] = "false"
  if (options.retryAfterMs !== undefined && info.retry) {
    headers["retry-after"] = String(Math.max(1, Math.ceil(options.retryAfterMs / 1000)))
    headers["retry-after-ms"] = String(Math.max(0, Math.round(options.retryAfterMs)))
  }
  return HttpServerResponse.jsonUnsafe(errorBody(options.code, options.message, options.param), {
    status: info.status,
    headers
  })
}
