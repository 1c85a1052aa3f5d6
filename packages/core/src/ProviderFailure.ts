/**
 * The one normalised failure shape every provider adapter produces.
 *
 * @example
 * ```ts
 * import { ProviderFailure } from "@am/core"
 * const f = ProviderFailure.make({ provider: "openai", kind: "http", status: 503, message: "overloaded", responseBytesReceived: true })
 * ```
 * @since 0.1.0
 */
import { Schema } from "effect"

/** Longest message a failure carries, after sanitising. */
export const MAX_FAILURE_MESSAGE = 500

const SECRET_PATTERNS: ReadonlyArray<RegExp> = [
  /sk-ant-[A-Za-z0-9_-]{8,}/g,
  /sk-(?:proj-)?[A-Za-z0-9_-]{8,}/g,
  /AIza[0-9A-Za-z_-]{20,}/g,
  /Bearer\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /([?&](?:key|api_key|apikey|access_token)=)[^&\s"']+/gi,
  // OpenAI's 401 quotes a masked key ("Incorrect API key provided: sk-abc***xyz").
  /(api key provided:\s*)\S+/gi
]

/**
 * Removes key material from a provider's message and caps its length. Extra secrets (the key
 * that was used for the call) are replaced wherever they occur.
 */
export const sanitizeMessage = (message: string, secrets: ReadonlyArray<string> = []): string => {
  let out = message
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join("[REDACTED]")
  }
  for (const pattern of SECRET_PATTERNS) {
    out = out.replace(pattern, (_m, prefix?: string) =>
      typeof prefix === "string" && prefix.length > 0 && !prefix.startsWith("sk") ? `${prefix}[REDACTED]` : "[REDACTED]"
    )
  }
  return out.length > MAX_FAILURE_MESSAGE ? `${out.slice(0, MAX_FAILURE_MESSAGE - 1)}…` : out
}

export const ProviderFailureKind = Schema.Literals([
  /** The provider answered with an HTTP error status. */
  "http",
  /** The connection failed or was reset. */
  "network",
  /** The call ran out of time (client timeout or the request's deadline). */
  "timeout",
  /** A stream failed after HTTP 200 (an SSE `error` event, a cut or stalled stream). */
  "stream",
  /** HTTP 200 with a refusal, a content filter or a safety block. */
  "content",
  /** The response could not be parsed. */
  "decode"
])
export type ProviderFailureKind = typeof ProviderFailureKind.Type

const fields = {
  /** Provider kind (`openai`, `anthropic`, `gemini`, `openai-compatible`). */
  provider: Schema.String,
  /** The configured provider id (`primary`), when the adapter knows it. */
  providerId: Schema.optionalKey(Schema.String),
  model: Schema.optionalKey(Schema.String),
  keyId: Schema.optionalKey(Schema.String),
  keyFingerprint: Schema.optionalKey(Schema.String),
  kind: ProviderFailureKind,
  status: Schema.optionalKey(Schema.Int),
  /** Provider error type (`rate_limit_error`, `RESOURCE_EXHAUSTED`, `invalid_request_error`). */
  errorType: Schema.optionalKey(Schema.String),
  /** Provider error code (`insufficient_quota`, `model_not_found`, `API_KEY_INVALID`). */
  errorCode: Schema.optionalKey(Schema.String),
  /** Sanitised provider message, at most `MAX_FAILURE_MESSAGE` characters. */
  message: Schema.String,
  /** Parsed from `retry-after-ms`, `retry-after` (seconds or HTTP date) or Gemini `RetryInfo`. */
  retryAfterMs: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))),
  /** Rate-limit headers as received (`x-ratelimit-*`, `anthropic-ratelimit-*`). */
  rateLimit: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
  /** Whether any response bytes arrived before the failure (a retry may duplicate output). */
  responseBytesReceived: Schema.Boolean,
  /** For `content` failures: the provider's finish/stop reason (`content_filter`, `refusal`, `SAFETY`). */
  finishReason: Schema.optionalKey(Schema.String),
  /** For Gemini prompt blocks: `promptFeedback.blockReason`. */
  blockReason: Schema.optionalKey(Schema.String),
  /** The provider's request id, for support tickets. */
  requestId: Schema.optionalKey(Schema.String)
}

/**
 * A failed provider call. Carries no key material: `message` is sanitised and capped, and the
 * key appears only as its id and fingerprint.
 */
export class ProviderFailure extends Schema.TaggedError<ProviderFailure>()("ProviderFailure", fields) {
  constructor(
    props: Schema.TaggedStruct<"ProviderFailure", typeof fields>["~type.make.in"],
    options?: Schema.MakeOptions
  ) {
    // No stack: a failure is data about a remote call, and the adapter line that built it says
    // nothing the fields do not; capturing one was ~25 µs of each failed call in `./am bench engine`.
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    try {
      super(props, options)
    } finally {
      Error.stackTraceLimit = limit
    }
  }
}

/** Parses `retry-after-ms`, `retry-after` (delay-seconds, float or HTTP-date); negatives clamp to 0. */
export const parseRetryAfter = (
  headers: { readonly get: (name: string) => string | null | undefined },
  now: number
): number | undefined => {
  const ms = headers.get("retry-after-ms")
  if (ms != null && ms.trim() !== "") {
    const v = Number.parseFloat(ms)
    if (Number.isFinite(v)) return Math.max(0, v)
  }
  const ra = headers.get("retry-after")
  if (ra == null || ra.trim() === "") return undefined
  const secs = Number(ra.trim())
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000)
  const date = Date.parse(ra)
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined
}

/** Parses a Go/protobuf duration like `22s`, `1.5s`, `250ms`, `6m0s`, `1h2m` into milliseconds. */
export const parseDurationText = (text: string): number | undefined => {
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g
  let total = 0
  let matched = ""
  for (const m of text.trim().matchAll(re)) {
    const n = Number.parseFloat(m[1]!)
    total += m[2] === "h" ? n * 3_600_000 : m[2] === "m" ? n * 60_000 : m[2] === "s" ? n * 1000 : n
    matched += m[0]
  }
  return matched.length > 0 && matched === text.trim() ? total : undefined
}
