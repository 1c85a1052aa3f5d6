// biome-ignore-all lint/suspicious/noThenProperty: a rule's `then` is a plain object, never a function, so a rule is not a thenable.
/** Google Gemini. */
import type { ClassificationRule } from "../../ClassificationRule.ts"
import { all, any, code, message, quotaHint, status, type } from "../Predicates.ts"
import { messageFormRules } from "./MessageForms.ts"

// --- Google Gemini ------------------------------------------------------------------------------------

// Daily quotas (`GenerateRequestsPerDayPerProjectPerModel-FreeTier`, metric `…_per_day`) and a
// free tier the model does not have at all ("…, limit: 0, model: gemini-3-pro").
const DAILY_QUOTA = /PerDay|per_day|limit: 0\b/i

export const geminiRules: ReadonlyArray<ClassificationRule> = [
  {
    // Invalid, expired or unknown key: 400 INVALID_ARGUMENT + ErrorInfo.reason API_KEY_INVALID (not 401).
    name: "gemini.400.api_key_invalid",
    provider: "gemini",
    when: any(
      code("API_KEY_INVALID", "API_KEY_EXPIRED"),
      all(status(400), message(/API key (?:not valid|expired|not found)/i))
    ),
    then: { class: "auth_invalid", scope: "key", retryable: false, errorType: "API_KEY_INVALID" }
  },
  {
    name: "gemini.401.unauthenticated",
    provider: "gemini",
    when: any(status(401), type("UNAUTHENTICATED")),
    then: { class: "auth_invalid", scope: "key", retryable: false, errorType: "UNAUTHENTICATED" }
  },
  {
    // Key lacks permission, API not enabled for the project, tuned-model auth.
    name: "gemini.403.permission_denied",
    provider: "gemini",
    when: any(status(403), type("PERMISSION_DENIED")),
    then: { class: "permission_denied", scope: "key", retryable: false, errorType: "PERMISSION_DENIED" }
  },
  {
    // A violated daily quota (QuotaFailure quotaId containing PerDay) will not recover by backing off.
    name: "gemini.429.daily_quota_exhausted",
    provider: "gemini",
    when: all(any(status(429), type("RESOURCE_EXHAUSTED")), quotaHint(DAILY_QUOTA)),
    then: { class: "quota_exhausted", scope: "key", retryable: false, errorType: "RESOURCE_EXHAUSTED" }
  },
  {
    // RPM/TPM; RetryInfo.retryDelay arrives as retryAfterMs, or the message says "Please retry in 45.5s".
    name: "gemini.429.resource_exhausted",
    provider: "gemini",
    when: any(status(429), type("RESOURCE_EXHAUSTED")),
    then: {
      class: "rate_limit",
      scope: "key",
      retryable: true,
      errorType: "RESOURCE_EXHAUSTED",
      retryAfter: "rate-limit"
    }
  },
  {
    // Billing not enabled / free tier unavailable in the region: this key's project cannot serve.
    name: "gemini.400.failed_precondition",
    provider: "gemini",
    when: type("FAILED_PRECONDITION"),
    then: { class: "quota_exhausted", scope: "key", retryable: false, errorType: "FAILED_PRECONDITION" }
  },
  {
    // "The input token count (3475108) exceeds the maximum number of tokens allowed (1048576)."
    name: "gemini.400.input_token_count_exceeded",
    provider: "gemini",
    when: all(any(status(400), type("INVALID_ARGUMENT")), message(/input token count.*exceeds the maximum/i)),
    then: { class: "context_length_exceeded", scope: "model", retryable: false, errorType: "INVALID_ARGUMENT" }
  },
  {
    // "Request payload size exceeds the limit: 20971520 bytes." (Gemini sends 400, not 413.)
    name: "gemini.400.payload_too_large",
    provider: "gemini",
    when: any(status(413), all(any(status(400), type("INVALID_ARGUMENT")), message(/payload size exceeds the limit/i))),
    then: { class: "request_too_large", scope: "request", retryable: false, errorType: "INVALID_ARGUMENT" }
  },
  ...messageFormRules("gemini", "gemini", any(status(400), type("INVALID_ARGUMENT"))),
  {
    name: "gemini.400.invalid_argument",
    provider: "gemini",
    when: any(status(400), type("INVALID_ARGUMENT")),
    then: { class: "invalid_request", scope: "request", retryable: false, errorType: "INVALID_ARGUMENT" }
  },
  {
    // "models/x is not found for API version v1beta".
    name: "gemini.404.not_found",
    provider: "gemini",
    when: any(status(404), type("NOT_FOUND")),
    then: { class: "model_not_found", scope: "model", retryable: false, errorType: "NOT_FOUND" }
  },
  {
    name: "gemini.409.aborted",
    provider: "gemini",
    when: any(status(409), type("ABORTED")),
    then: { class: "conflict", scope: "provider", retryable: true, errorType: "ABORTED" }
  },
  {
    // The troubleshooting page lists "input context is too long" under 500 INTERNAL.
    name: "gemini.500.input_context_too_long",
    provider: "gemini",
    when: all(any(status(500), type("INTERNAL")), message(/input context (?:is )?too long/i)),
    then: { class: "context_length_exceeded", scope: "model", retryable: false, errorType: "INTERNAL" }
  },
  {
    name: "gemini.500.internal",
    provider: "gemini",
    when: any(status(500), type("INTERNAL")),
    then: { class: "server_error", scope: "provider", retryable: true, errorType: "INTERNAL" }
  },
  {
    // Overloaded — "unrelated to your quota".
    name: "gemini.503.unavailable",
    provider: "gemini",
    when: any(status(503), type("UNAVAILABLE")),
    then: { class: "overloaded", scope: "provider", retryable: true, errorType: "UNAVAILABLE" }
  },
  {
    name: "gemini.504.deadline_exceeded",
    provider: "gemini",
    when: any(status(504), type("DEADLINE_EXCEEDED")),
    then: { class: "server_error", scope: "provider", retryable: true, errorType: "DEADLINE_EXCEEDED" }
  }
]
