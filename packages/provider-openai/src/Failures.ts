/**
 * Everything the `openai` SDK throws (and every way a stream can break) → one core
 * `ProviderFailure`. The SDK's `APIError` keeps the HTTP status in `status`, the response
 * headers in `headers` (a fetch `Headers`), the body's `error` object in `error`, and copies
 * `error.code`, `error.type` and `x-request-id` to `code`, `type` and `requestID`. An SSE
 * `error` event after HTTP 200 arrives as an `APIError` with headers but no status.
 *
 * @example
 * ```ts
 * import { toProviderFailure } from "@am/provider-openai"
 * import { ApiKey } from "@am/core"
 * import { Redacted } from "effect"
 * const key = ApiKey.make("k1", Redacted.make("sk-test-123456789"))
 * const f = toProviderFailure(new Error("boom"), { providerId: "primary", model: "gpt-4o", key })
 * f.kind // "network"
 * ```
 * @since 0.1.0
 */
import type { ProviderFailureKind } from "@am/core"
import { ProviderFailure, parseDurationText, parseRetryAfter } from "@am/core"
import {
  CONNECT_TIMEOUT,
  failureIdentity,
  firstHeader,
  isConnectTimeout,
  pickHeaders,
  REQUEST_ID_HEADERS,
  type FailureContext as SharedFailureContext,
  scrub
} from "@am/provider-utils"
import { Predicate } from "effect"
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai"
import type { OpenAIKind } from "./RequestTranslation.ts"

/**
 * Where a failure happened: the shared context of `@am/provider-utils` plus what only the OpenAI
 * adapter knows. `streaming`: the stream's HTTP 200 had arrived, so every failure but an HTTP
 * status is kind `stream`.
 */
export interface FailureContext extends SharedFailureContext {
  /** `openai` (default) or `openai-compatible`; becomes `ProviderFailure.provider`. */
  readonly provider?: OpenAIKind
  /** @deprecated The old name of `streaming`; read when `streaming` is absent. */
  readonly streamStarted?: boolean
  /** Response headers seen before the error (a stream's), for `requestId`. */
  readonly headers?: Headers | undefined
}

/** Header names that carry rate-limit state: OpenAI/Azure/Groq `x-ratelimit-*` and the IETF `ratelimit-*` draft. */
const isRateLimitHeader = (name: string): boolean => /(^|-)ratelimit-/.test(name) || name === "ratelimit"

/**
 * The rate-limit headers of a response, as received (names lower-cased), or `undefined` when
 * there are none.
 *
 * @example
 * ```ts
 * import { rateLimitHeaders } from "@am/provider-openai"
 * rateLimitHeaders(new Headers({ "x-ratelimit-remaining-requests": "0", "x-request-id": "req_1" }))
 * // { "x-ratelimit-remaining-requests": "0" }
 * ```
 */
export const rateLimitHeaders = (headers: Headers | undefined): Record<string, string> | undefined =>
  pickHeaders(headers, isRateLimitHeader)

/**
 * Reads an `x-ratelimit-reset-*` value in milliseconds: OpenAI's Go durations (`1s`, `6m0s`,
 * `12ms`), Azure's and other servers' integer seconds (`20`), or `undefined` for values that say
 * nothing (`-1`, empty, garbage). `0` is 0.
 *
 * @example
 * ```ts
 * import { parseRateLimitReset } from "@am/provider-openai"
 * parseRateLimitReset("6m0s") // 360000
 * parseRateLimitReset("20") // 20000
 * parseRateLimitReset("-1") // undefined
 * ```
 */
export const parseRateLimitReset = (value: string | null | undefined): number | undefined => {
  if (value == null) return undefined
  const text = value.trim()
  if (text === "") return undefined
  if (/^-?\d+(\.\d+)?$/.test(text)) {
    const seconds = Number(text)
    return seconds >= 0 ? seconds * 1000 : undefined
  }
  return parseDurationText(text)
}

const stringOf = (value: unknown): string | undefined =>
  Predicate.isString(value) && value !== "" ? value : Predicate.isNumber(value) ? String(value) : undefined

/** The innermost `code` on an error's cause chain (`ECONNRESET`, `UND_ERR_SOCKET`, …). */
const causeCode = (error: unknown): string | undefined => {
  let code: string | undefined
  let current: unknown = error
  for (let depth = 0; depth < 5 && Predicate.isObject(current); depth++) {
    const c = (current as { code?: unknown }).code
    if (Predicate.isString(c) && c !== "") code = c
    current = (current as { cause?: unknown }).cause
  }
  return code
}

/** The error's message followed by its causes' messages (`fetch failed: other side closed`). */
const describe = (error: unknown): string => {
  const parts: Array<string> = []
  let current: unknown = error
  for (let depth = 0; depth < 5 && current != null; depth++) {
    const message = Predicate.isObject(current) ? (current as { message?: unknown }).message : current
    if (Predicate.isString(message) && message !== "" && !parts.includes(message)) parts.push(message)
    current = Predicate.isObject(current) ? (current as { cause?: unknown }).cause : undefined
  }
  return parts.length > 0 ? parts.join(": ") : String(error)
}

/** A proxy's HTML error page (`<title>502 Bad Gateway</title>`) says it all in its title. */
const htmlTitle = (text: string): string | undefined => {
  const title = /<title>([^<]{1,200})<\/title>/i.exec(text)?.[1]?.trim()
  return title !== undefined && title !== "" ? title : undefined
}

const isTimeoutLike = (error: unknown): boolean =>
  Predicate.isObject(error) &&
  ((error as { name?: unknown }).name === "TimeoutError" ||
    (error as { code?: unknown }).code === "UND_ERR_HEADERS_TIMEOUT" ||
    (error as { code?: unknown }).code === "UND_ERR_BODY_TIMEOUT")

/**
 * Normalises anything the SDK throws, or a stream error, into a `ProviderFailure`. Messages and
 * every other string are sanitised with the call's own secret; the key appears as id and
 * fingerprint only.
 *
 * @example
 * ```ts
 * import { toProviderFailure } from "@am/provider-openai"
 * import { ApiKey } from "@am/core"
 * import { Redacted } from "effect"
 * import { APIError } from "openai"
 * const key = ApiKey.make("k1", Redacted.make("sk-test-123456789"))
 * const error = APIError.generate(429, { error: { type: "insufficient_quota", code: "insufficient_quota", message: "You exceeded your current quota" } }, undefined, new Headers())
 * toProviderFailure(error, { providerId: "primary", model: "gpt-4o", key }).errorCode // "insufficient_quota"
 * ```
 *
 * | thrown                                      | kind      | responseBytesReceived |
 * | ------------------------------------------- | --------- | --------------------- |
 * | `APIError` with `status` (4xx/5xx)          | `http`    | true                  |
 * | `APIError` without status, with headers (SSE `error` event after 200) | `stream` | from context (default true) |
 * | `APIConnectionTimeoutError`, `TimeoutError` | `timeout` | from context (default false) |
 * | `APIUserAbortError` (our signal aborted)    | `timeout` | from context (default false) |
 * | `APIConnectionError` of a connect timeout    | `timeout`, `errorType` `connect_timeout` | false |
 * | `APIConnectionError`, anything else         | `network` | from context (default false) |
 * | `SyntaxError` (malformed JSON / SSE JSON)   | `decode`  | from context (default true)  |
 *
 * Once a stream's HTTP 200 has arrived (`streaming`), every failure except an HTTP status is
 * kind `stream` — a stall, a cut, a reset or a malformed event mid-stream — so the classifier's
 * "retryable only before output" rule applies to it.
 */
export const toProviderFailure = (error: unknown, context: FailureContext): ProviderFailure => {
  if (error instanceof ProviderFailure) return error
  const clean = (text: string) => scrub(text, context.key)
  const cleanOpt = (text: string | undefined) => (text === undefined ? {} : { value: clean(text) })
  const bytes = context.responseBytesReceived ?? false
  // Bytes that can only come from a response body: assume they arrived unless told otherwise.
  const bodyBytes = context.responseBytesReceived ?? true
  const base = failureIdentity(context.provider ?? "openai", context)
  const streaming = context.streaming ?? context.streamStarted ?? false
  const make = (fields: {
    readonly kind: ProviderFailureKind
    readonly message: string
    readonly responseBytesReceived: boolean
    readonly status?: number | undefined
    readonly errorType?: string | undefined
    readonly errorCode?: string | undefined
    readonly retryAfterMs?: number | undefined
    readonly rateLimit?: Record<string, string> | undefined
    readonly requestId?: string | undefined
  }) => {
    const errorType = cleanOpt(fields.errorType)
    const errorCode = cleanOpt(fields.errorCode)
    const requestId = cleanOpt(fields.requestId)
    const rateLimit =
      fields.rateLimit === undefined
        ? undefined
        : Object.fromEntries(Object.entries(fields.rateLimit).map(([k, v]) => [k, clean(v)]))
    return new ProviderFailure({
      ...base,
      // After a stream's headers every failure is a broken stream (see the table above).
      kind: streaming && fields.kind !== "http" ? "stream" : fields.kind,
      message: clean(fields.message),
      responseBytesReceived: fields.responseBytesReceived,
      ...(fields.status !== undefined ? { status: fields.status } : {}),
      ...("value" in errorType ? { errorType: errorType.value } : {}),
      ...("value" in errorCode ? { errorCode: errorCode.value } : {}),
      ...(fields.retryAfterMs !== undefined ? { retryAfterMs: fields.retryAfterMs } : {}),
      ...(rateLimit !== undefined ? { rateLimit } : {}),
      ...("value" in requestId ? { requestId: requestId.value } : {})
    })
  }
  const headerRequestId = (headers: Headers | undefined) => firstHeader(headers, REQUEST_ID_HEADERS)

  // Before the SDK timeout class: the SDK reports undici's connect timeout as one of its own.
  if (error instanceof APIConnectionError && isConnectTimeout(error)) {
    // The host never completed the handshake within `connectTimeout`: a timeout of its own meaning.
    return make({
      kind: "timeout",
      message: describe(error),
      responseBytesReceived: false,
      errorType: CONNECT_TIMEOUT,
      errorCode: "UND_ERR_CONNECT_TIMEOUT"
    })
  }
  if (error instanceof APIConnectionTimeoutError) {
    return make({
      kind: "timeout",
      message: describe(error),
      responseBytesReceived: bytes,
      requestId: headerRequestId(context.headers)
    })
  }
  if (error instanceof APIUserAbortError) {
    // Only our own signal aborts a call: the attempt was interrupted or ran out of time.
    return make({
      kind: "timeout",
      message: "request aborted",
      responseBytesReceived: bytes,
      requestId: headerRequestId(context.headers)
    })
  }
  if (error instanceof APIConnectionError) {
    const cause = (error as { cause?: unknown }).cause
    return make({
      kind: isTimeoutLike(cause) ? "timeout" : "network",
      message: describe(error),
      responseBytesReceived: bytes,
      errorCode: causeCode(cause),
      requestId: headerRequestId(context.headers)
    })
  }
  if (error instanceof APIError) {
    const body: unknown = error.error
    const bodyMessage = Predicate.isString(body)
      ? body
      : stringOf(Predicate.isObject(body) ? (body as any).message : undefined)
    const headers = error.headers
    const common = {
      message: bodyMessage ?? htmlTitle(error.message) ?? error.message,
      errorType: stringOf(error.type),
      errorCode: stringOf(error.code),
      rateLimit: rateLimitHeaders(headers),
      requestId: stringOf(error.requestID) ?? headerRequestId(headers) ?? headerRequestId(context.headers)
    }
    if (typeof error.status === "number") {
      const retryAfterMs = headers === undefined ? undefined : parseRetryAfter(headers, context.now ?? Date.now())
      return make({ ...common, kind: "http", status: error.status, responseBytesReceived: true, retryAfterMs })
    }
    if (headers !== undefined) return make({ ...common, kind: "stream", responseBytesReceived: bodyBytes })
    return make({ ...common, kind: "network", responseBytesReceived: bytes })
  }
  if (error instanceof SyntaxError) {
    return make({
      kind: "decode",
      message: describe(error),
      responseBytesReceived: bodyBytes,
      requestId: headerRequestId(context.headers)
    })
  }
  if (isTimeoutLike(error)) {
    return make({
      kind: "timeout",
      message: describe(error),
      responseBytesReceived: bytes,
      requestId: headerRequestId(context.headers)
    })
  }
  return make({
    kind: "network",
    message: describe(error),
    responseBytesReceived: bytes,
    errorCode: causeCode(error),
    requestId: headerRequestId(context.headers)
  })
}

/**
 * The failure for an attempt that ran out of its time (the adapter's own timer).
 *
 * @example
 * ```ts
 * import { ApiKey } from "@am/core"
 * import { Redacted } from "effect"
 * import { timeoutFailure } from "./Failures.ts"
 * const key = ApiKey.make("k1", Redacted.make("sk-test-123456789"))
 * timeoutFailure({ providerId: "primary", model: "gpt-4o", key }, 30_000).kind // "timeout"
 * ```
 */
export const timeoutFailure = (context: FailureContext, timeoutMs: number): ProviderFailure =>
  toProviderFailure(
    Object.assign(new Error(`request timed out after ${timeoutMs} ms`), { name: "TimeoutError" }),
    context
  )

/**
 * The failure for a 200 answer the adapter could not read: `decode` for a body that is not a
 * chat completion, `stream` for a stream that broke off (bad chunk, no finish reason).
 *
 * @example
 * ```ts
 * import { ApiKey } from "@am/core"
 * import { Redacted } from "effect"
 * import { decodeFailure } from "./Failures.ts"
 * const key = ApiKey.make("k1", Redacted.make("sk-test-123456789"))
 * decodeFailure({ providerId: "primary", model: "gpt-4o", key }, "response has no choices").kind // "decode"
 * ```
 */
export const decodeFailure = (context: FailureContext, reason: string): ProviderFailure =>
  toProviderFailure(new SyntaxError(reason), context)
