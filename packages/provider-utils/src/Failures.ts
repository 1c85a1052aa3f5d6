/**
 * The parts of failure normalisation that do not depend on an SDK: where a failure happened,
 * the identity fields every `ProviderFailure` carries, the secret scrub, and reading response
 * headers (rate-limit state, request ids) whether the SDK hands over a `Headers` or a record.
 *
 * @example
 * ```ts
 * import { ApiKey } from "@am/core"
 * import { failureIdentity } from "@am/provider-utils"
 * import { Redacted } from "effect"
 * const key = ApiKey.make("k1", Redacted.make("sk-test-123456789"))
 * failureIdentity("openai", { providerId: "primary", model: "gpt-4o", key })
 * // { provider: "openai", providerId: "primary", model: "gpt-4o", keyId: "k1", keyFingerprint: "fp_…" }
 * ```
 * @since 0.1.0
 */
import { type ApiKey, type ProviderKind, sanitizeMessage } from "@am/core"
import { Predicate, Redacted } from "effect"

/** Where a failure happened, for the fields the error itself does not carry. Each adapter may add fields. */
export interface FailureContext {
  /** The configured provider id (`primary`). */
  readonly providerId: string
  readonly model: string
  readonly key: ApiKey
  /**
   * Becomes `ProviderFailure.responseBytesReceived` for failures that are not HTTP statuses.
   * Whole calls: whether the response had started. Streams: whether a content chunk
   * (`TextDelta` / `ToolCallDelta`) had gone downstream — only then would a retry duplicate
   * output (the classifier's contract).
   */
  readonly responseBytesReceived?: boolean
  /** The failure ended a stream: failures other than an HTTP status then become kind `stream` (each adapter's docs say when). */
  readonly streaming?: boolean
  /** Epoch milliseconds for an HTTP-date `retry-after`; defaults to the wall clock, which the date is relative to. */
  readonly now?: number
}

/**
 * The identity fields of a `ProviderFailure`: the key appears as id and fingerprint only.
 *
 * @example
 * ```ts
 * import { ApiKey, ProviderFailure } from "@am/core"
 * import { failureIdentity } from "@am/provider-utils"
 * import { Redacted } from "effect"
 * const context = { providerId: "google", model: "gemini-2.5-flash", key: ApiKey.make("g1", Redacted.make("AIza-test")) }
 * new ProviderFailure({ ...failureIdentity("gemini", context), kind: "network", message: "reset", responseBytesReceived: false })
 * ```
 */
export const failureIdentity = (provider: ProviderKind, context: FailureContext) => ({
  provider,
  providerId: context.providerId,
  model: context.model,
  keyId: context.key.id,
  keyFingerprint: context.key.fingerprint
})

/**
 * Sanitises text for a failure with the call's own secret (and core's key-shaped patterns).
 *
 * @example
 * ```ts
 * import { ApiKey } from "@am/core"
 * import { scrub } from "@am/provider-utils"
 * import { Redacted } from "effect"
 * scrub("bad key sk-test-123456789", ApiKey.make("k1", Redacted.make("sk-test-123456789")))
 * // "bad key [REDACTED]" (core's placeholder)
 * ```
 */
export const scrub = (text: string, key: ApiKey): string => sanitizeMessage(text, [Redacted.value(key.secret)])

/** Response headers as the SDKs hand them over: a fetch `Headers` or a plain record. */
export type HeadersInput = { readonly forEach: Headers["forEach"] } | Readonly<Record<string, string>>

const entriesOf = (headers: HeadersInput): Array<readonly [string, string]> => {
  const out: Array<readonly [string, string]> = []
  if (Predicate.isFunction((headers as Headers).forEach)) {
    ;(headers as Headers).forEach((value, name) => {
      out.push([name.toLowerCase(), value])
    })
  } else {
    for (const [name, value] of Object.entries(headers as Readonly<Record<string, string>>)) {
      if (Predicate.isString(value)) out.push([name.toLowerCase(), value])
    }
  }
  return out
}

/**
 * The headers whose lower-cased name passes `test`, names lower-cased, or `undefined` when none
 * does — what `ProviderFailure.rateLimit` keeps.
 *
 * @example
 * ```ts
 * import { pickHeaders } from "@am/provider-utils"
 * pickHeaders(new Headers({ "X-RateLimit-Remaining-Requests": "0", "x-request-id": "r1" }), (n) => n.startsWith("x-ratelimit-"))
 * // { "x-ratelimit-remaining-requests": "0" }
 * ```
 */
export const pickHeaders = (
  headers: HeadersInput | null | undefined,
  test: (lowerCaseName: string) => boolean
): Record<string, string> | undefined => {
  if (headers == null) return undefined
  const out: Record<string, string> = {}
  let any = false
  for (const [name, value] of entriesOf(headers)) {
    if (!test(name)) continue
    out[name] = value
    any = true
  }
  return any ? out : undefined
}

/**
 * The value of the first of `names` the headers carry (non-empty), or `undefined`.
 *
 * @example
 * ```ts
 * import { firstHeader, REQUEST_ID_HEADERS } from "@am/provider-utils"
 * firstHeader({ "request-id": "req_1" }, REQUEST_ID_HEADERS) // "req_1"
 * ```
 */
export const firstHeader = (
  headers: HeadersInput | null | undefined,
  names: ReadonlyArray<string>
): string | undefined => {
  if (headers == null) return undefined
  const entries = new Map(entriesOf(headers))
  for (const name of names) {
    const value = entries.get(name.toLowerCase())
    if (value !== undefined && value !== "") return value
  }
  return undefined
}

/** Where the providers put a response's request id (OpenAI `x-request-id`, Anthropic `request-id`). */
export const REQUEST_ID_HEADERS: ReadonlyArray<string> = ["x-request-id", "request-id"]
