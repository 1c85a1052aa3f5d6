/**
 * Classifies a provider failure with the default table.
 *
 * @example
 * ```ts
 * import { classify } from "@am/classifier"
 * import { ProviderFailure } from "@am/core"
 *
 * const c = classify(
 *   new ProviderFailure({
 *     provider: "openai",
 *     kind: "http",
 *     status: 429,
 *     errorType: "insufficient_quota",
 *     errorCode: "insufficient_quota",
 *     message: "You exceeded your current quota",
 *     responseBytesReceived: true
 *   })
 * )
 * // { class: "quota_exhausted", scope: "key", retryable: false, errorType: "insufficient_quota", rule: "openai.429.insufficient_quota" }
 * ```
 * @since 0.1.0
 */
import type { Classification, ProviderFailure } from "@am/core"
import { type ClassifyOptions, classifyWith } from "./ClassificationRule.ts"
import { rules } from "./Rules.ts"

/**
 * `ProviderFailure` → `Classification { class, scope, retryable, retryAfterMs?, errorType, rule }`.
 * Pure and total: never throws; `retryAfterMs` is never negative. Pass `options.now` to resolve
 * RFC 3339 reset headers against a clock other than `Date.now`.
 */
export const classify: (failure: ProviderFailure, options?: ClassifyOptions) => Classification = classifyWith(rules)
