/**
 * Normalises whatever the `@google/genai` SDK throws into a core `ProviderFailure`.
 *
 * The SDK's `ApiError` carries only `status` and a `message` that is the JSON error body as text
 * (`{"error":{"code":429,"message":…,"status":"RESOURCE_EXHAUSTED","details":[…]}}`); a stream
 * error event after HTTP 200 arrives as `ApiError` with `got status: …. {json}`. Response
 * headers are not on the error, so the adapter captures them itself and passes them in.
 *
 * @example
 * ```ts
 * import { ApiKey } from "@am/core"
 * import { ApiError } from "@google/genai"
 * import { Redacted } from "effect"
 * import { toProviderFailure } from "@am/provider-gemini"
 * const key = ApiKey.make("k1", Redacted.make("AIza-test"))
 * const body = { error: { code: 429, message: "Quota exceeded", status: "RESOURCE_EXHAUSTED",
 *   details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "22s" }] } }
 * const failure = toProviderFailure(new ApiError({ status: 429, message: JSON.stringify(body) }),
 *   { providerId: "primary", model: "gemini-2.5-flash", key })
 * failure.errorType // "RESOURCE_EXHAUSTED"
 * failure.retryAfterMs // 22000
 * ```
 * @since 0.1.0
 */
import { ProviderFailure, type ProviderFailureKind, parseDurationText, parseRetryAfter } from "@am/core"
import {
  CONNECT_TIMEOUT,
  CONNECT_TIMEOUT_CODE,
  failureIdentity,
  firstHeader,
  pickHeaders,
  REQUEST_ID_HEADERS,
  type FailureContext as SharedFailureContext,
  scrub
} from "@am/provider-utils"
import { EmptyResponseError, PROVIDER_KIND } from "./ResponseTranslation.ts"

/**
 * Where the failure happened and what the adapter saw of the HTTP response: the context shared
 * by the three adapters plus the captured headers. `responseBytesReceived` defaults to whether
 * `headers` are given; `streaming` means a stream had answered HTTP 200.
 */
export interface FailureContext extends SharedFailureContext {
  /** Response headers the adapter captured (the SDK's `ApiError` carries none). */
  readonly headers?: Headers | Readonly<Record<string, string>>
}

/** A `google.rpc.Status` error body, as Gemini sends it. */
export interface GoogleErrorStatus {
  readonly code?: number
  readonly message?: string
  readonly status?: string
  readonly details?: ReadonlyArray<Record<string, unknown>>
}

/** What the `details[]` of a Google error say, in the fields the classifier and keyring use. */
export interface GoogleErrorDetails {
  /** `google.rpc.ErrorInfo.reason`, e.g. `API_KEY_INVALID`. */
  readonly reason?: string
  /** Every `google.rpc.QuotaFailure` violation's `quotaId`, joined with `,` (e.g. `GenerateRequestsPerDayPerProjectPerModel-FreeTier`). */
  readonly quotaId?: string
  /** Every violation's `quotaMetric`, joined with `,`. */
  readonly quotaMetric?: string
  /** `google.rpc.RetryInfo.retryDelay` in milliseconds. */
  readonly retryDelayMs?: number
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const tryJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/**
 * Finds the `error` object in an `ApiError` message: the whole message as JSON (HTTP errors),
 * or the JSON after `got status: …. ` (stream error events). Array bodies use their first element.
 *
 * @example
 * ```ts
 * parseGoogleError('{"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE"}}')
 * // { code: 503, message: "overloaded", status: "UNAVAILABLE" }
 * ```
 */
export const parseGoogleError = (text: string): GoogleErrorStatus | undefined => {
  const brace = text.search(/[[{]/)
  if (brace < 0) return undefined
  let parsed = tryJson(text.slice(brace))
  if (Array.isArray(parsed)) parsed = parsed[0]
  if (!isRecord(parsed)) return undefined
  const error = isRecord(parsed.error) ? parsed.error : parsed
  const details = Array.isArray(error.details) ? error.details.filter(isRecord) : undefined
  return {
    ...(typeof error.code === "number" ? { code: error.code } : {}),
    ...(typeof error.message === "string" ? { message: error.message } : {}),
    ...(typeof error.status === "string" ? { status: error.status } : {}),
    ...(details !== undefined ? { details } : {})
  }
}

/** `retryDelay` is `"22s"` in JSON, but a decoded protobuf Duration (`{ seconds, nanos }`) is accepted too. */
const durationMs = (value: unknown): number | undefined => {
  if (typeof value === "string") return parseDurationText(value)
  if (isRecord(value)) {
    const seconds = Number(value.seconds ?? 0)
    const nanos = Number(value.nanos ?? 0)
    if (Number.isFinite(seconds) && Number.isFinite(nanos)) return seconds * 1000 + nanos / 1e6
  }
  return undefined
}

/**
 * Reads `ErrorInfo`, `QuotaFailure` and `RetryInfo` out of a Google error's `details[]`.
 *
 * @example
 * ```ts
 * readGoogleErrorDetails([{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "22s" }])
 * // { retryDelayMs: 22000 }
 * ```
 */
export const readGoogleErrorDetails = (
  details: ReadonlyArray<Record<string, unknown>> | undefined
): GoogleErrorDetails => {
  let reason: string | undefined
  const quotaIds: Array<string> = []
  const quotaMetrics: Array<string> = []
  let retryDelayMs: number | undefined
  for (const detail of details ?? []) {
    const type = typeof detail["@type"] === "string" ? detail["@type"] : ""
    if (type.endsWith("google.rpc.ErrorInfo") && typeof detail.reason === "string") reason ??= detail.reason
    else if (type.endsWith("google.rpc.QuotaFailure") && Array.isArray(detail.violations)) {
      for (const v of detail.violations) {
        if (!isRecord(v)) continue
        if (typeof v.quotaId === "string" && !quotaIds.includes(v.quotaId)) quotaIds.push(v.quotaId)
        if (typeof v.quotaMetric === "string" && !quotaMetrics.includes(v.quotaMetric)) quotaMetrics.push(v.quotaMetric)
      }
    } else if (type.endsWith("google.rpc.RetryInfo")) retryDelayMs ??= durationMs(detail.retryDelay)
  }
  return {
    ...(reason !== undefined ? { reason } : {}),
    ...(quotaIds.length > 0 ? { quotaId: quotaIds.join(",") } : {}),
    ...(quotaMetrics.length > 0 ? { quotaMetric: quotaMetrics.join(",") } : {}),
    ...(retryDelayMs !== undefined ? { retryDelayMs: Math.max(0, retryDelayMs) } : {})
  }
}

const RATE_LIMIT_HEADER = /^(x-ratelimit-|anthropic-ratelimit-|ratelimit)/

interface HeaderView {
  readonly get: (name: string) => string | undefined
  readonly entries: () => Array<[string, string]>
}

const headerView = (headers: FailureContext["headers"]): HeaderView | undefined => {
  if (headers === undefined) return undefined
  if (typeof (headers as Headers).get === "function" && typeof (headers as Headers).entries === "function") {
    const h = headers as Headers
    return { get: (name) => h.get(name) ?? undefined, entries: () => [...h.entries()] }
  }
  const record = headers as Readonly<Record<string, string>>
  const lower = new Map(Object.entries(record).map(([k, v]) => [k.toLowerCase(), v] as const))
  return { get: (name) => lower.get(name.toLowerCase()), entries: () => [...lower.entries()] }
}

const rateLimitOf = (headers: FailureContext["headers"]): Record<string, string> | undefined =>
  pickHeaders(headers, (name) => RATE_LIMIT_HEADER.test(name))

/** Where Gemini (and proxies in front of it) put a response's request id. */
export const GEMINI_REQUEST_ID_HEADERS: ReadonlyArray<string> = [...REQUEST_ID_HEADERS, "x-goog-request-id"]

const requestIdOf = (headers: FailureContext["headers"]): string | undefined =>
  firstHeader(headers, GEMINI_REQUEST_ID_HEADERS)

/** Gemini's 429 text says "Please retry in 22.627s." when RetryInfo is missing (proxies strip details). */
const retryFromMessage = (message: string): number | undefined => {
  const m = /retry in (\d+(?:\.\d+)?(?:ms|s|m|h))/i.exec(message)
  return m === null ? undefined : parseDurationText(m[1]!)
}

const errorName = (e: unknown): string | undefined =>
  isRecord(e) || e instanceof Error
    ? typeof (e as { name?: unknown }).name === "string"
      ? (e as Error).name
      : undefined
    : undefined

const errorMessage = (e: unknown): string =>
  e instanceof Error ? e.message : isRecord(e) && typeof e.message === "string" ? e.message : String(e)

/** The code of the innermost error in a `cause` chain (`ECONNRESET`, `UND_ERR_SOCKET`, …). */
const causeCode = (e: unknown, depth = 0): string | undefined => {
  if (depth > 5 || !(isRecord(e) || e instanceof Error)) return undefined
  const inner = causeCode((e as { cause?: unknown }).cause, depth + 1)
  if (inner !== undefined) return inner
  const code = (e as { code?: unknown }).code
  return typeof code === "string" ? code : undefined
}

const causeMessage = (e: unknown): string | undefined => {
  const cause = (e as { cause?: unknown } | undefined)?.cause
  return cause instanceof Error || isRecord(cause) ? errorMessage(cause) : undefined
}

const TIMEOUT_CODES = new Set([
  "ETIMEDOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT"
])

const isApiError = (e: unknown): e is Error & { status: number } =>
  e instanceof Error && e.name === "ApiError" && typeof (e as { status?: unknown }).status === "number"

/**
 * Normalises anything the SDK throws (or a stream error) into a core `ProviderFailure`:
 *
 * - `ApiError` → `kind: "http"` (or `"stream"` for an error event after HTTP 200), `status`,
 *   `errorType` = `error.status` (`RESOURCE_EXHAUSTED`, `INVALID_ARGUMENT`, …), `errorCode` =
 *   `ErrorInfo.reason` (`API_KEY_INVALID`), else the `QuotaFailure` quota ids joined with `,`;
 *   `rateLimit` = rate-limit headers plus `quota-id` / `quota-metric` from the `QuotaFailure`;
 *   `retryAfterMs` from `RetryInfo.retryDelay`, else `retry-after-ms` / `retry-after` headers.
 * - `AbortError` / `TimeoutError` / undici timeouts → `kind: "timeout"`.
 * - connection failures (`fetch failed`, resets, `terminated`) → `kind: "network"`.
 * - unparseable bodies or empty responses → `kind: "decode"`.
 * - anything that breaks a stream after HTTP 200 (`context.streaming`: a stall, a cut, an
 *   unreadable event) → `kind: "stream"`, with `errorType` `timeout` / `decode` / the socket code.
 *   `responseBytesReceived` is then `context.responseBytesReceived` (has content gone out?), and
 *   `true` when unknown.
 *
 * The message is sanitised (`sanitizeMessage`) against the key that was used; the key appears
 * only as id and fingerprint.
 *
 * @example
 * ```ts
 * import { ApiKey } from "@am/core"
 * import { toProviderFailure } from "@am/provider-gemini"
 * import { Redacted } from "effect"
 * const key = ApiKey.make("g1", Redacted.make("AIza-test"))
 * toProviderFailure(new TypeError("fetch failed"), { providerId: "google", model: "gemini-2.5-flash", key }).kind
 * // "network"
 * ```
 */
export const toProviderFailure = (error: unknown, context: FailureContext): ProviderFailure => {
  if (error instanceof ProviderFailure) return error
  const headers = headerView(context.headers)
  const base = failureIdentity(PROVIDER_KIND, context)
  const requestId = requestIdOf(context.headers)
  const rateLimit = rateLimitOf(context.headers)
  const transport = {
    ...(requestId !== undefined ? { requestId } : {}),
    ...(rateLimit !== undefined ? { rateLimit } : {})
  }
  const make = (kind: ProviderFailureKind, message: string, extra: Partial<ProviderFailure> = {}) =>
    new ProviderFailure({
      ...base,
      kind,
      message: scrub(message, context.key),
      responseBytesReceived: context.responseBytesReceived ?? headers !== undefined,
      ...transport,
      ...extra
    })

  if (isApiError(error)) {
    const raw = error.message
    const fromStream = raw.startsWith("got status:")
    const body = parseGoogleError(raw)
    const details = readGoogleErrorDetails(body?.details)
    const message = body?.message ?? raw
    const errorType = body?.status !== undefined && /^[A-Z][A-Z0-9_]*$/.test(body.status) ? body.status : undefined
    const errorCode = details.reason ?? details.quotaId
    // Gemini sends no rate-limit headers; its quota ids are the nearest thing (the classifier reads `quota-*`).
    const quotas = {
      ...(details.quotaId !== undefined ? { "quota-id": details.quotaId } : {}),
      ...(details.quotaMetric !== undefined ? { "quota-metric": details.quotaMetric } : {})
    }
    const limits = rateLimit !== undefined || Object.keys(quotas).length > 0 ? { ...rateLimit, ...quotas } : undefined
    const retryAfterMs =
      details.retryDelayMs ??
      (headers !== undefined ? parseRetryAfter(headers, context.now ?? Date.now()) : undefined) ??
      (error.status === 429 ? retryFromMessage(message) : undefined)
    const inStream = fromStream || context.streaming === true
    return make(inStream ? "stream" : "http", message, {
      status: error.status,
      // An error event mid-stream is retryable only if no content had gone out before it.
      responseBytesReceived: inStream ? (context.responseBytesReceived ?? true) : true,
      ...(errorType !== undefined ? { errorType } : {}),
      ...(errorCode !== undefined ? { errorCode } : {}),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      ...(limits !== undefined ? { rateLimit: limits } : {})
    })
  }

  const name = errorName(error)
  const code = causeCode(error)
  const message = errorMessage(error)
  const detail = causeMessage(error)
  const describe = detail !== undefined && detail !== message ? `${message}: ${detail}` : message
  const isTimeout = name === "AbortError" || name === "TimeoutError" || (code !== undefined && TIMEOUT_CODES.has(code))
  const isDecode =
    error instanceof EmptyResponseError || error instanceof SyntaxError || message.startsWith("exception parsing")
  // A connect timeout keeps its own meaning (DESIGN's timeouts): errorType connect_timeout, as the other adapters.
  const codes =
    code === CONNECT_TIMEOUT_CODE
      ? { errorType: CONNECT_TIMEOUT, errorCode: code }
      : code !== undefined
        ? { errorType: code, errorCode: code }
        : {}

  if (context.streaming === true || message.startsWith("Incomplete JSON segment")) {
    // A stream that fails after HTTP 200 is a stream failure whatever broke it (a stall, a cut, an
    // unreadable event): part of the answer may already have reached the caller.
    const label = isTimeout ? "stream stalled" : isDecode ? "unreadable stream event" : "stream interrupted"
    const errorType = isTimeout ? "timeout" : isDecode ? "decode" : code
    return make("stream", `${label} (${describe})`, {
      responseBytesReceived: context.responseBytesReceived ?? true,
      ...(errorType !== undefined ? { errorType } : {}),
      ...(code !== undefined ? { errorCode: code } : {})
    })
  }
  if (isTimeout) return make("timeout", `request timed out (${describe})`, codes)
  if (isDecode) return make("decode", describe, { responseBytesReceived: true })
  const networkish =
    (error instanceof TypeError && (message === "fetch failed" || message === "terminated")) ||
    (code !== undefined && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(code))
  if (networkish) return make("network", describe, codes)
  // Anything else the SDK throws (an unexpected body, an internal error) is a response we could not read.
  return make("decode", describe)
}

/**
 * The adapter's own timer fired. A stream whose headers had arrived stalled: kind `stream`,
 * marked as having sent output if a delta had gone downstream; anything else is kind `timeout`.
 *
 * @example
 * ```ts
 * import { ApiKey } from "@am/core"
 * import { timeoutFailure } from "@am/provider-gemini"
 * import { Redacted } from "effect"
 * const key = ApiKey.make("g1", Redacted.make("AIza-test"))
 * timeoutFailure({ providerId: "google", model: "gemini-2.5-flash", key }, 5000).kind // "timeout"
 * ```
 */
export const timeoutFailure = (context: FailureContext, timeoutMs: number): ProviderFailure => {
  const stalled = context.streaming === true && context.headers !== undefined
  return new ProviderFailure({
    ...failureIdentity(PROVIDER_KIND, context),
    kind: stalled ? "stream" : "timeout",
    message: stalled ? `stream did not finish within ${timeoutMs} ms` : `no answer within ${timeoutMs} ms`,
    errorType: "timeout",
    responseBytesReceived: context.responseBytesReceived ?? context.headers !== undefined
  })
}
