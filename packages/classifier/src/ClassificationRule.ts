// biome-ignore-all lint/suspicious/noThenProperty: a rule's `then` is a plain object, never a function, so a rule is not a thenable.
/**
 * A classification rule (one row of the table) and the matcher that runs a table.
 *
 * @example
 * ```ts
 * import { classifyWith, rules, type ClassificationRule } from "@am/classifier"
 *
 * // An in-house gateway answers 499 when its own queue is full.
 * const queueFull: ClassificationRule = {
 *   name: "acme.499.queue_full",
 *   when: (f) => f.status === 499,
 *   then: { class: "overloaded", scope: "provider", retryable: true, errorType: "queue_full" }
 * }
 * const classify = classifyWith([queueFull, ...rules])
 * ```
 * @since 0.1.0
 */
import type { Classification, ProviderFailure, ProviderKind } from "@am/core"
import { explicitRetryAfter, messageRetryAfter, nonNegativeMs, resetHeaderRetryAfter } from "./internal/RetryAfter.ts"

/**
 * Where a rule takes `retryAfterMs` from:
 * - `"explicit"` — the failure's own `retryAfterMs` (`retry-after-ms`, `retry-after`, Gemini `RetryInfo`);
 * - `"rate-limit"` — the explicit one, else a delay quoted in the message ("Please try again in
 *   1.574s"), else the rate-limit reset headers;
 * - `"none"` — never (model-, request- and content-scoped rows: waiting does not help).
 */
export type RetryAfterSource = "explicit" | "rate-limit" | "none"

/**
 * Failure fields a rule may take its `errorType` from, first present wins (`status` gives
 * `http_<status>`).
 */
export type ErrorTypeField = "errorCode" | "errorType" | "finishReason" | "blockReason" | "status"

/** One row of the classification table. The first row whose `provider` and `when` match decides. */
export interface ClassificationRule {
  /** Stable row name, reported as `Classification.rule` (`openai.429.insufficient_quota`). */
  readonly name: string
  /** Provider kinds the row applies to; absent means every provider. */
  readonly provider?: ProviderKind | ReadonlyArray<ProviderKind>
  readonly when: (failure: ProviderFailure) => boolean
  readonly then: Omit<Classification, "rule" | "retryAfterMs"> & {
    /** Default: `"explicit"` for `key` and `provider` scope; `"none"` for `model`, `request`, `content`. */
    readonly retryAfter?: RetryAfterSource
    /** Take `errorType` from these failure fields when present (else `then.errorType`). */
    readonly errorTypeFrom?: ReadonlyArray<ErrorTypeField>
    /**
     * Streams: retryable only while no output has been produced (`responseBytesReceived` is
     * `false`); once content may have reached the caller a retry would duplicate it.
     */
    readonly onlyBeforeOutput?: boolean
  }
}

/** Options for one classification. */
export interface ClassifyOptions {
  /** The current time in ms, for RFC 3339 reset headers. Default `Date.now`. */
  readonly now?: () => number
}

// OTel `error.type` must stay low-cardinality: only short token-like provider values pass through.
const TOKEN = /^[A-Za-z0-9_.:-]{1,64}$/

const errorTypeOf = (rule: ClassificationRule, failure: ProviderFailure): string => {
  for (const field of rule.then.errorTypeFrom ?? []) {
    if (field === "status") {
      const status = failure.status
      if (typeof status === "number" && Number.isInteger(status) && status >= 100 && status <= 999) {
        return `http_${status}`
      }
      continue
    }
    const value = failure[field]
    if (typeof value === "string" && TOKEN.test(value)) return value
  }
  return rule.then.errorType
}

const retryAfterOf = (rule: ClassificationRule, failure: ProviderFailure, now: () => number): number | undefined => {
  const source =
    rule.then.retryAfter ?? (rule.then.scope === "key" || rule.then.scope === "provider" ? "explicit" : "none")
  if (source === "none") return undefined
  const explicit = explicitRetryAfter(failure)
  if (source === "explicit" || explicit !== undefined) return explicit
  return nonNegativeMs(messageRetryAfter(failure.message) ?? resetHeaderRetryAfter(failure, now))
}

// A row prepared once per table: the provider filter as a set, checked before the predicate.
interface CompiledRule {
  readonly rule: ClassificationRule
  readonly providers: ReadonlySet<string> | undefined
}

const compile = (rule: ClassificationRule): CompiledRule => ({
  rule,
  providers:
    rule.provider === undefined
      ? undefined
      : new Set(typeof rule.provider === "string" ? [rule.provider] : rule.provider)
})

const matches =
  (failure: ProviderFailure) =>
  ({ rule, providers }: CompiledRule): boolean => {
    if (providers !== undefined && !providers.has(failure.provider)) return false
    try {
      return rule.when(failure) === true
    } catch {
      // A throwing rule (a user rule reading a field that is absent) is a rule that does not match.
      return false
    }
  }

/**
 * The last row of every table: a signal nothing recognised is transient, bounded by the engine's
 * attempts and retry budget. Its `errorType` is the provider's code, type or `http_<status>`.
 */
export const unknownRule: ClassificationRule = {
  name: "unknown",
  when: () => true,
  then: {
    class: "unknown",
    scope: "provider",
    retryable: true,
    errorType: "unknown",
    errorTypeFrom: ["errorCode", "errorType", "status"]
  }
}

const UNKNOWN: Classification = {
  class: "unknown",
  scope: "provider",
  retryable: true,
  errorType: "unknown",
  rule: "unknown"
}

const toClassification = (rule: ClassificationRule, failure: ProviderFailure, now: () => number): Classification => {
  const { then } = rule
  const retryable = then.retryable && (then.onlyBeforeOutput !== true || failure.responseBytesReceived === false)
  const retryAfterMs = retryAfterOf(rule, failure, now)
  const base = {
    class: then.class,
    scope: then.scope,
    retryable,
    errorType: errorTypeOf(rule, failure),
    rule: rule.name
  }
  return retryAfterMs === undefined ? base : { ...base, retryAfterMs }
}

/**
 * Builds a classifier from a table: the first matching row decides; when none matches the
 * failure is `unknown` (scope `provider`, retryable). Never throws.
 *
 * @example
 * ```ts
 * import { classifyWith, rules } from "@am/classifier"
 * const classify = classifyWith(rules)
 * ```
 */
export const classifyWith = (
  table: ReadonlyArray<ClassificationRule>
): ((failure: ProviderFailure, options?: ClassifyOptions) => Classification) => {
  const compiled = table.map(compile)
  return (failure, options) => {
    const now = options?.now ?? Date.now
    const rule = compiled.find(matches(failure))?.rule ?? unknownRule
    try {
      return toClassification(rule, failure, now)
    } catch {
      // Only a rule with a broken `then` (a user rule) gets here; stay total.
      return UNKNOWN
    }
  }
}
