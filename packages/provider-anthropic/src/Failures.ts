/**
 * Normalises whatever `@anthropic-ai/sdk` throws into a core `ProviderFailure`.
 *
 * | thrown                                                   | kind      | responseBytesReceived |
 * | -------------------------------------------------------- | --------- | --------------------- |
 * | `APIError` with a status (4xx/5xx/529)                   | `http`    | true                  |
 * | `APIError` without status (the SDK's SSE `error` event)  | `stream`  | as given              |
 * | `APIConnectionTimeoutError`, `APIUserAbortError`, `TimeoutError` | `timeout` | as given      |
 * | `APIConnectionError` of a connect timeout                | `timeout`, `errorType` `connect_timeout` | false |
 * | `APIConnectionError` (refused, reset before headers)     | `network` | false                 |
 * | `SyntaxError` (malformed JSON body or SSE data)          | `decode`  | as given, else true   |
 * | anything else (a body or stream cut mid-read)            | `network` | as given              |
 * | any of these but `http` with `streaming` and bytes given | `stream`  | true                  |
 *
 * @example
 * ```ts
 * import { toProviderFailure } from "@am/provider-anthropic"
 * import { ApiKey } from "@am/core"
 * import { Redacted } from "effect"
 * const key = ApiKey.make("k1", Redacted.make("sk-ant-test"))
 * const f = toProviderFailure(new Error("boom"), { providerId: "secondary", model: "claude-haiku-4-5", key })
 * f.kind // "network"
 * ```
 * @since 0.1.0
 */
import { ProviderFailure, parseRetryAfter } from "@am/core"
import {
  CONNECT_TIMEOUT,
  failureIdentity,
  isConnectTimeout,
  pickHeaders,
  type FailureContext as SharedFailureContext,
  scrub
} from "@am/provider-utils"
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "@anthropic-ai/sdk"
import { Cause, Predicate } from "effect"

/**
 * Where a failure happened: the context shared by the three adapters (`@am/provider-utils`).
 * Here `streaming` marks a stream call from its start; with `responseBytesReceived` (content went
 * downstream) every failure but an HTTP status becomes kind `stream`.
 */
export type FailureContext = SharedFailureContext

/** Header prefixes kept in `ProviderFailure.rateLimit`. */
export const RATE_LIMIT_HEADER_PREFIXES: ReadonlyArray<string> = [
  "anthropic-ratelimit-",
  "anthropic-priority-",
  "x-ratelimit-"
]

type HeadersLike = { readonly get: (name: string) => string | null; readonly forEach?: Headers["forEach"] }

/**
 * The `anthropic-ratelimit-*` (and `x-ratelimit-*`) headers of a response, as received.
 *
 * @example
 * ```ts
 * import { rateLimitHeaders } from "@am/provider-anthropic"
 * rateLimitHeaders(new Headers({ "anthropic-ratelimit-requests-remaining": "0", "request-id": "req_1" }))
 * // { "anthropic-ratelimit-requests-remaining": "0" }
 * ```
 */
export const rateLimitHeaders = (headers: HeadersLike | null | undefined): Record<string, string> | undefined =>
  headers === null || headers === undefined || typeof headers.forEach !== "function"
    ? undefined
    : pickHeaders(headers as Headers, (name) => RATE_LIMIT_HEADER_PREFIXES.some((p) => name.startsWith(p)))

const base = (ctx: FailureContext) => failureIdentity("anthropic", ctx)

const clean = (ctx: FailureContext, message: string): string =>
  scrub(message.length > 0 ? message : "(no message)", ctx.key)

/** `message (cause: …)` down a short cause chain: undici hides the useful part ("other side closed") there. */
const withCauses = (error: unknown): string => {
  const parts: Array<string> = []
  let current: unknown = error
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth++) {
    const text = current instanceof Error ? current.message : String(current)
    if (text.length > 0 && !parts.includes(text)) parts.push(text)
    current = current instanceof Error ? (current as { cause?: unknown }).cause : undefined
  }
  return parts.join(" (cause: ") + ")".repeat(Math.max(0, parts.length - 1))
}

const bodyOf = (error: APIError): Record<string, unknown> | undefined =>
  Predicate.isObject(error.error) ? (error.error as Record<string, unknown>) : undefined

const requestIdOf = (error: APIError): string | undefined => {
  const fromBody = bodyOf(error)?.["request_id"]
  const id = error.requestID ?? (typeof fromBody === "string" ? fromBody : undefined)
  return typeof id === "string" && id.length > 0 ? id : undefined
}

/** The provider's own message: `error.message` of the body, else a text body, else the SDK's message. */
const apiMessageOf = (error: APIError): string => {
  if (typeof error.apiMessage === "string" && error.apiMessage.length > 0) return error.apiMessage
  if (typeof error.error === "string" && error.error.length > 0) return error.error
  return error.message
}

type Fields = Omit<ConstructorParameters<typeof ProviderFailure>[0], "provider" | "_tag">

const fromApiError = (error: APIError, ctx: FailureContext): Fields => {
  const headers = error.headers
  const retryAfterMs = headers !== undefined ? parseRetryAfter(headers, ctx.now ?? Date.now()) : undefined
  const rateLimit = rateLimitHeaders(headers)
  const requestId = requestIdOf(error)
  const errorType = error.type ?? undefined
  const errorCode = error.errorCode ?? undefined
  const isHttp = typeof error.status === "number"
  return {
    // The SDK raises an SSE `error` event as an APIError with the 200 response's headers but no status.
    kind: isHttp ? "http" : "stream",
    ...(isHttp ? { status: error.status } : {}),
    ...(errorType !== undefined && errorType !== null ? { errorType } : {}),
    ...(errorCode !== undefined && errorCode !== null ? { errorCode } : {}),
    message: apiMessageOf(error),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(rateLimit !== undefined ? { rateLimit } : {}),
    // An HTTP error status is a response; an SSE error event counts only after content went out.
    responseBytesReceived: isHttp ? true : (ctx.responseBytesReceived ?? false),
    ...(requestId !== undefined ? { requestId } : {})
  }
}

const fieldsOf = (error: unknown, ctx: FailureContext): Fields => {
  const bytes = ctx.responseBytesReceived ?? false
  // Order matters: the timeout, abort and connection classes are APIError subclasses without status.
  if (error instanceof APIConnectionError && isConnectTimeout(error)) {
    // The host never completed the handshake within `connectTimeout`: a timeout of its own meaning.
    return {
      kind: "timeout",
      errorType: CONNECT_TIMEOUT,
      errorCode: "UND_ERR_CONNECT_TIMEOUT",
      message: withCauses(error),
      responseBytesReceived: false
    }
  }
  if (error instanceof APIConnectionTimeoutError || Cause.isTimeoutError(error)) {
    return { kind: "timeout", message: error.message || "Request timed out.", responseBytesReceived: bytes }
  }
  if (error instanceof APIUserAbortError) {
    // Only the adapter's own timeout or interruption aborts a call.
    return { kind: "timeout", message: error.message, responseBytesReceived: bytes }
  }
  if (error instanceof APIConnectionError) {
    return { kind: "network", message: withCauses(error), responseBytesReceived: false }
  }
  if (error instanceof APIError) return fromApiError(error, ctx)
  if (error instanceof SyntaxError) {
    return {
      kind: "decode",
      message: `Malformed response: ${error.message}`,
      responseBytesReceived: ctx.responseBytesReceived ?? true
    }
  }
  return { kind: "network", message: withCauses(error), responseBytesReceived: bytes }
}

/**
 * Normalises anything the SDK throws (or a stream error) into a `ProviderFailure`. The message is
 * sanitised (the call's own secret and any key-shaped text removed) and capped; the key appears
 * only as its id and fingerprint. A `ProviderFailure` passes through unchanged.
 *
 * While streaming (`streaming: true`), `responseBytesReceived` means "a content chunk already went
 * downstream" (the classifier's contract: only then would a retry duplicate output), and every
 * failure after that point is kind `stream`, whatever broke — a retry must not be blind to it.
 *
 * @example
 * ```ts
 * import { ApiKey } from "@am/core"
 * import { toProviderFailure } from "@am/provider-anthropic"
 * import { Redacted } from "effect"
 * const key = ApiKey.make("k1", Redacted.make("sk-ant-test"))
 * toProviderFailure(new TypeError("terminated"), { providerId: "secondary", model: "claude-haiku-4-5", key, streaming: true, responseBytesReceived: true }).kind
 * // "stream"
 * ```
 */
export const toProviderFailure = (error: unknown, ctx: FailureContext): ProviderFailure => {
  if (error instanceof ProviderFailure) return error
  const fields = fieldsOf(error, ctx)
  const midStream = ctx.streaming === true && ctx.responseBytesReceived === true && fields.kind !== "http"
  return new ProviderFailure({
    ...base(ctx),
    ...fields,
    ...(midStream ? { kind: "stream" as const, responseBytesReceived: true } : {}),
    message: clean(ctx, fields.message)
  })
}

const withRequestId = (requestId: string | null | undefined) =>
  requestId !== undefined && requestId !== null && requestId.length > 0 ? { requestId } : {}

/**
 * A failure for a 200 response the adapter cannot read (not a Message, not JSON).
 *
 * @example
 * ```ts
 * import { ApiKey } from "@am/core"
 * import { decodeFailure } from "@am/provider-anthropic"
 * import { Redacted } from "effect"
 * const key = ApiKey.make("k1", Redacted.make("sk-ant-test"))
 * decodeFailure({ providerId: "secondary", model: "claude-haiku-4-5", key }, "not a message", "req_1").kind // "decode"
 * ```
 */
export const decodeFailure = (ctx: FailureContext, message: string, requestId?: string | null): ProviderFailure =>
  new ProviderFailure({
    ...base(ctx),
    kind: "decode",
    message: clean(ctx, message),
    responseBytesReceived: true,
    ...withRequestId(requestId)
  })

/**
 * A stream that ended (cleanly, at the transport level) before `message_stop`.
 *
 * @example
 * ```ts
 * import { ApiKey } from "@am/core"
 * import { streamCutFailure } from "@am/provider-anthropic"
 * import { Redacted } from "effect"
 * const key = ApiKey.make("k1", Redacted.make("sk-ant-test"))
 * streamCutFailure({ providerId: "secondary", model: "claude-haiku-4-5", key, responseBytesReceived: true }).kind // "stream"
 * ```
 */
export const streamCutFailure = (ctx: FailureContext, requestId?: string | null): ProviderFailure =>
  new ProviderFailure({
    ...base(ctx),
    kind: "stream",
    message: "The stream ended before message_stop.",
    responseBytesReceived: ctx.responseBytesReceived ?? true,
    ...withRequestId(requestId)
  })

/**
 * The adapter's own deadline (`timeoutMs`) elapsed: kind `timeout`, or kind `stream` (a stalled
 * stream) once content went downstream.
 *
 * @example
 * ```ts
 * import { ApiKey } from "@am/core"
 * import { timeoutFailure } from "@am/provider-anthropic"
 * import { Redacted } from "effect"
 * const key = ApiKey.make("k1", Redacted.make("sk-ant-test"))
 * timeoutFailure({ providerId: "secondary", model: "claude-haiku-4-5", key }, 30_000).kind // "timeout"
 * ```
 */
export const timeoutFailure = (ctx: FailureContext, timeoutMs: number, requestId?: string | null): ProviderFailure =>
  ctx.streaming === true && ctx.responseBytesReceived === true
    ? new ProviderFailure({
        ...base(ctx),
        kind: "stream",
        message: `The stream stalled: no complete answer within ${timeoutMs} ms.`,
        responseBytesReceived: true,
        ...withRequestId(requestId)
      })
    : new ProviderFailure({
        ...base(ctx),
        kind: "timeout",
        message: `No complete answer within ${timeoutMs} ms.`,
        responseBytesReceived: ctx.responseBytesReceived ?? false,
        ...withRequestId(requestId)
      })
