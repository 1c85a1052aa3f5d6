import type { ProviderFailure } from "@am/core"
import { parseDurationText } from "@am/core"

/** A finite, non-negative number of milliseconds, or nothing. */
export const nonNegativeMs = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isFinite(value) ? Math.max(0, value) : undefined

/** The failure's own retry-after (`retry-after-ms`, `retry-after`, Gemini `RetryInfo`), as the adapter parsed it. */
export const explicitRetryAfter = (failure: ProviderFailure): number | undefined => nonNegativeMs(failure.retryAfterMs)

// OpenAI "Please try again in 1.574s" / "in 20ms" / "in 6m0s"; Gemini "Please retry in 45.578569677s."
const DURATION_IN_MESSAGE = /(?:try again|retry) in\s+((?:\d+(?:\.\d+)?(?:ms|h|m|s))+)(?![a-z])/i
// Azure OpenAI "Please retry after 6 seconds."; "try again in 20 seconds".
const SECONDS_IN_MESSAGE = /(?:retry after|try again in|retry in)\s+(\d+(?:\.\d+)?)\s*sec(?:ond)?s?\b/i

/** A delay the provider wrote into its message, when it gave no header. */
export const messageRetryAfter = (message: unknown): number | undefined => {
  if (typeof message !== "string") return undefined
  const duration = DURATION_IN_MESSAGE.exec(message)
  if (duration !== null) {
    const ms = nonNegativeMs(parseDurationText(duration[1]!))
    if (ms !== undefined) return ms
  }
  const seconds = SECONDS_IN_MESSAGE.exec(message)
  return seconds === null ? undefined : nonNegativeMs(Number.parseFloat(seconds[1]!) * 1000)
}

const PLAIN_NUMBER = /^-?\d+(?:\.\d+)?$/
const RFC3339 = /^\d{4}-\d{2}-\d{2}T/

/**
 * One reset header's value as a delay from `now`: a Go duration (`1s`, `6m0s`, OpenAI), an RFC 3339
 * timestamp (Anthropic), plain seconds (Azure OpenAI) or an epoch timestamp (some OpenAI-compatible
 * hosts). Non-positive results are dropped: Azure reports `-1`/`0` when it does not know.
 */
const parseReset = (value: string, now: () => number): number | undefined => {
  const text = value.trim()
  let ms: number | undefined
  if (PLAIN_NUMBER.test(text)) {
    const n = Number(text)
    ms = n >= 1e11 ? n - now() : n >= 1e9 ? n * 1000 - now() : n * 1000
  } else if (RFC3339.test(text)) {
    ms = Date.parse(text) - now()
  } else {
    ms = parseDurationText(text)
  }
  return ms !== undefined && Number.isFinite(ms) && ms > 0 ? ms : undefined
}

/**
 * The wait the rate-limit reset headers imply. Prefers the limits that are exhausted (their
 * `…remaining…` header is 0; the longest of them, since all must recover); then the limit OpenAI
 * named in `error.type` (`requests` or `tokens`); otherwise the earliest reset.
 */
export const resetHeaderRetryAfter = (failure: ProviderFailure, now: () => number): number | undefined => {
  const headers = failure.rateLimit
  if (headers === undefined || headers === null || typeof headers !== "object") return undefined
  const lower = new Map<string, string>()
  for (const [k, v] of Object.entries(headers)) if (typeof v === "string") lower.set(k.toLowerCase(), v)
  const resets: Array<{ readonly name: string; readonly ms: number }> = []
  for (const [name, value] of lower) {
    if (!name.includes("reset")) continue
    const ms = parseReset(value, now)
    if (ms !== undefined) resets.push({ name, ms })
  }
  if (resets.length === 0) return undefined
  const exhausted = resets.filter((r) => {
    const remaining = lower.get(r.name.replace("reset", "remaining"))
    return remaining !== undefined && Number(remaining.trim()) <= 0
  })
  if (exhausted.length > 0) return Math.max(...exhausted.map((r) => r.ms))
  const limitType = failure.errorType === "requests" || failure.errorType === "tokens" ? failure.errorType : undefined
  const named = limitType === undefined ? undefined : resets.find((r) => r.name.endsWith(`reset-${limitType}`))
  return named !== undefined ? named.ms : Math.min(...resets.map((r) => r.ms))
}
