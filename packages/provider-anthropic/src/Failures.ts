/**
 * Normalises whatever `@anthropic-ai/sdk` throws into a core `ProviderFailure`.
 *
 * | thrown                                         | kind      | responseBytesReceived |
 * | ---------------------------------------------- | --------- | --------------------- |
 * | `APIError` with a status (4xx/5xx/529)          | `http`    | true                  |
 * | `APIError` without status, with headers (SSE `error` event after HTTP 200) | `stream` | true |
 * | `APIConnectionTimeoutError`, `APIUserAbortError`, Effect `TimeoutError` | `timeout` | as given |
 * | `APIConnectionError` (refused, reset before headers) | `network` | false           |
 * | `SyntaxError` (malformed JSON body or SSE data) | `decode`  | true                  |
 * | anything else after bytes arrived while streaming | `stream` | true                 |
 * | anything else                                    | `network` | as given              |
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
import { type ApiKey, ProviderFailure, parseRetryAfter, sanitizeMessage } from "@am/core"
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "@anthropic-ai/sdk"
import { Cause, Predicate, Redacted } from "effect"

/** Where a failure happened, for the fields the error itself does not carry. */
export interface FailureContext {
  /** The configured provider id (`secondary`). */
  readonly providerId: string
  readonly model: string
  readonly key: ApiKey
  /** Whether response bytes (headers or body) had arrived when the failure happened. */
  readonly responseBytesReceived?: boolean
  /** The failure interrupted a stream after HTTP 200: cuts and resets become kind `stream`. */
  readonly streaming?: boolean
  /** Epoch milliseconds, for an HTTP-date `retry-after`; defaults to `Date.now()`. */
  readonly now?: number
}

/** Header prefixes kept in `ProviderFailure.rateLimit`. */
export const RATE_LIMIT_HEADER_PREFIXES: ReadonlyArray<string> = [
  "anthropic-ratelimit-",
  "anthropic-priority-",
  "x-ratelimit-"
]

type HeadersLike = { readonly get: (name: string) => string | null; readonly forEach?: Headers["forEach"] }

/** The `anthropic-ratelimit-*` (and `x-ratelimit-*`) headers of a response, as received. */
export const rateLimitHeaders = (headers: HeadersLike | null | undefined): Record<string, string> | undefined => {
  if (headers === null || headers === undefined || typeof headers.forEach !== "function") return undefined
  const out: Record<string, string> = {}
  headers.forEach((value, name) => {
    const lower = name.toLowerCase()
    if (RATE_LIMIT_HEADER_PREFIXES.some((p) => lower.startsWith(p))) out[lower] = value
  })
  return Object.keys(out).length > 0 ? out : undefined
}

const base = (ctx: FailureContext) => ({
  provider: "anthropic",
  providerId: ctx.providerId,
  model: ctx.model,
  keyId: ctx.key.id,
  keyFingerprint: ctx.key.fingerprint
})

const clean = (ctx: FailureContext, message: string): string =>
  sanitizeMessage(message.length > 0 ? message : "(no message)", [Redacted.value(ctx.key.secret)])

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

const fromApiError = (error: APIError, ctx: FailureContext): ProviderFailure => {
  const headers = error.headers
  const retryAfterMs = headers !== undefined ? parseRetryAfter(headers, ctx.now ?? Date.now()) : undefined
  const rateLimit = rateLimitHeaders(headers)
  const requestId = requestIdOf(error)
  const errorType = error.type ?? undefined
  const errorCode = error.errorCode ?? undefined
  // The SDK raises an SSE `error` event as an APIError with the 200 response's headers but no status.
  const kind = typeof error.status === "number" ? "http" : "stream"
  return new ProviderFailure({
    ...base(ctx),
    kind,
    ...(typeof error.status === "number" ? { status: error.status } : {}),
    ...(errorType !== undefined && errorType !== null ? { errorType } : {}),
    ...(errorCode !== undefined && errorCode !== null ? { errorCode } : {}),
    message: clean(ctx, apiMessageOf(error)),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(rateLimit !== undefined ? { rateLimit } : {}),
    responseBytesReceived: true,
    ...(requestId !== undefined ? { requestId } : {})
  })
}

/**
 * Normalises anything the SDK throws (or a stream error) into a `ProviderFailure`. The message is
 * sanitised (the call's own secret and any key-shaped text removed) and capped; the key appears
 * only as its id and fingerprint. A `ProviderFailure` passes through unchanged.
 */
export const toProviderFailure = (error: unknown, ctx: FailureContext): ProviderFailure => {
  if (error instanceof ProviderFailure) return error
  const bytes = ctx.responseBytesReceived ?? false
  // Order matters: the timeout, abort and connection classes are APIError subclasses without status.
  if (error instanceof APIConnectionTimeoutError || Cause.isTimeoutError(error)) {
    return new ProviderFailure({
      ...base(ctx),
      kind: "timeout",
      message: clean(ctx, error.message || "Request timed out."),
      responseBytesReceived: bytes
    })
  }
  if (error instanceof APIUserAbortError) {
    // Only the adapter's own timeout or interruption aborts a call.
    return new ProviderFailure({
      ...base(ctx),
      kind: "timeout",
      message: clean(ctx, error.message),
      responseBytesReceived: bytes
    })
  }
  if (error instanceof APIConnectionError) {
    return new ProviderFailure({
      ...base(ctx),
      kind: "network",
      message: clean(ctx, withCauses(error)),
      responseBytesReceived: false
    })
  }
  if (error instanceof APIError) return fromApiError(error, ctx)
  if (error instanceof SyntaxError) {
    return new ProviderFailure({
      ...base(ctx),
      kind: "decode",
      message: clean(ctx, `Malformed response: ${error.message}`),
      responseBytesReceived: true
    })
  }
  return new ProviderFailure({
    ...base(ctx),
    kind: bytes && ctx.streaming === true ? "stream" : "network",
    message: clean(ctx, withCauses(error)),
    responseBytesReceived: bytes
  })
}

/** A failure for a 200 response the adapter cannot read (not a Message, not JSON). */
export const decodeFailure = (ctx: FailureContext, message: string, requestId?: string | null): ProviderFailure =>
  new ProviderFailure({
    ...base(ctx),
    kind: "decode",
    message: clean(ctx, message),
    responseBytesReceived: true,
    ...(requestId !== undefined && requestId !== null && requestId.length > 0 ? { requestId } : {})
  })

/** A stream that ended (cleanly, at the transport level) before `message_stop`. */
export const streamCutFailure = (ctx: FailureContext, requestId?: string | null): ProviderFailure =>
  new ProviderFailure({
    ...base(ctx),
    kind: "stream",
    message: "The stream ended before message_stop.",
    responseBytesReceived: true,
    ...(requestId !== undefined && requestId !== null && requestId.length > 0 ? { requestId } : {})
  })

/** The adapter's own deadline (`timeoutMs`) elapsed. */
export const timeoutFailure = (ctx: FailureContext, timeoutMs: number): ProviderFailure =>
  new ProviderFailure({
    ...base(ctx),
    kind: "timeout",
    message: `No complete answer within ${timeoutMs} ms.`,
    responseBytesReceived: ctx.responseBytesReceived ?? false
  })
