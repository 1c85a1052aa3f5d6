// biome-ignore-all lint/suspicious/noThenProperty: a rule's `then` is a plain object, never a function, so a rule is not a thenable.
/**
 * The default classification table, as data, in match order. Sources: `provider-signals.md`
 * (A.6–A.9) and the providers' error pages. Provider codes and types are preferred; message text
 * is matched only where the provider sends nothing more specific (each such row says so).
 *
 * @example
 * ```ts
 * import { rules } from "@am/classifier"
 * rules.map((r) => r.name) // ["gemini.200.tool_call_invalid", "content.refusal", …, "unknown"]
 * ```
 * @since 0.1.0
 */
import type { ProviderKind } from "@am/core"
import { type ClassificationRule, unknownRule } from "./ClassificationRule.ts"
import {
  all,
  any,
  code,
  finishReason,
  hasBlockReason,
  kind,
  message,
  quotaHint,
  status,
  statusIn,
  type
} from "./internal/predicates.ts"

const OPENAI: ReadonlyArray<ProviderKind> = ["openai", "openai-compatible"]

/** Gemini finish reasons for a tool call the model got wrong (not a policy outcome). */
export const TOOL_CALL_FINISH_REASONS: ReadonlyArray<string> = [
  "MALFORMED_FUNCTION_CALL",
  "UNEXPECTED_TOOL_CALL",
  "TOO_MANY_TOOL_CALLS"
]

// --- Outcomes that are not HTTP errors: content, streams, transport -----------------------------

const outcomeRules: ReadonlyArray<ClassificationRule> = [
  {
    // Decision: the model produced an unusable tool call. Not a policy block (no rewrite), not the
    // provider's health (no breaker), not the key. Another model may call the tool correctly; the
    // same model with the same prompt usually repeats the mistake. So: next model, no blind retry.
    name: "gemini.200.tool_call_invalid",
    when: finishReason(...TOOL_CALL_FINISH_REASONS),
    then: {
      class: "invalid_request",
      scope: "model",
      retryable: false,
      errorType: "MALFORMED_FUNCTION_CALL",
      errorTypeFrom: ["finishReason"]
    }
  },
  {
    // Anthropic `stop_reason: "refusal"`, OpenAI `message.refusal` / Responses `refusal` content.
    name: "content.refusal",
    when: all(kind("content"), finishReason("refusal")),
    then: { class: "content_policy", scope: "content", retryable: false, errorType: "refusal" }
  },
  {
    // Gemini `promptFeedback.blockReason` (SAFETY, OTHER, BLOCKLIST, PROHIBITED_CONTENT, IMAGE_SAFETY, …).
    name: "content.prompt_blocked",
    when: all(kind("content"), hasBlockReason),
    then: {
      class: "content_policy",
      scope: "content",
      retryable: false,
      errorType: "prompt_blocked",
      errorTypeFrom: ["blockReason"]
    }
  },
  {
    // OpenAI `finish_reason: "content_filter"`, Gemini `finishReason` SAFETY/RECITATION/…, anything else of kind content.
    name: "content.output_filtered",
    when: kind("content"),
    then: {
      class: "content_policy",
      scope: "content",
      retryable: false,
      errorType: "content_filter",
      errorTypeFrom: ["finishReason"]
    }
  },
  {
    // Anthropic SSE `error` event `overloaded_error` after HTTP 200 (also a Gemini stream cut with UNAVAILABLE).
    name: "stream.overloaded",
    when: all(kind("stream"), any(type("overloaded_error", "UNAVAILABLE", "server_is_overloaded"), status(503, 529))),
    then: {
      class: "overloaded",
      scope: "provider",
      retryable: true,
      errorType: "overloaded_error",
      errorTypeFrom: ["errorType"],
      onlyBeforeOutput: true
    }
  },
  {
    name: "stream.server_error",
    when: all(kind("stream"), any(type("api_error", "server_error", "INTERNAL"), status(500, 502, 504))),
    then: {
      class: "server_error",
      scope: "provider",
      retryable: true,
      errorType: "api_error",
      errorTypeFrom: ["errorType"],
      onlyBeforeOutput: true
    }
  },
  {
    name: "stream.rate_limit",
    when: all(kind("stream"), any(type("rate_limit_error", "RESOURCE_EXHAUSTED"), code("rate_limit_exceeded"))),
    then: {
      class: "rate_limit",
      scope: "key",
      retryable: true,
      errorType: "rate_limit_error",
      errorTypeFrom: ["errorType"],
      retryAfter: "rate-limit",
      onlyBeforeOutput: true
    }
  },
  {
    // A cut, stalled or otherwise failed stream after HTTP 200.
    name: "stream.interrupted",
    when: kind("stream"),
    then: {
      class: "stream_interrupted",
      scope: "provider",
      retryable: true,
      errorType: "stream_interrupted",
      errorTypeFrom: ["errorType"],
      onlyBeforeOutput: true
    }
  },
  {
    // SDK APITimeoutError / the attempt's deadline. Nothing reached the caller (only streams forward output).
    name: "timeout.client",
    when: kind("timeout"),
    then: { class: "timeout", scope: "provider", retryable: true, errorType: "timeout" }
  },
  {
    // SDK APIConnectionError: refused, reset, DNS, TLS.
    name: "network.connection",
    when: kind("network"),
    then: { class: "network", scope: "provider", retryable: true, errorType: "network", errorTypeFrom: ["errorCode"] }
  },
  {
    // The body was not what the wire format promises (an HTML error page from a proxy, truncated JSON).
    name: "decode.response",
    when: kind("decode"),
    then: { class: "server_error", scope: "provider", retryable: true, errorType: "decode_error" }
  }
]

// --- OpenAI and OpenAI-compatible ------------------------------------------------------------------

const openaiRules: ReadonlyArray<ClassificationRule> = [
  {
    name: "openai.429.insufficient_quota",
    provider: OPENAI,
    when: any(code("insufficient_quota", "billing_hard_limit_reached"), type("insufficient_quota")),
    then: { class: "quota_exhausted", scope: "key", retryable: false, errorType: "insufficient_quota" }
  },
  {
    // "Request too large for gpt-4o on tokens per min (TPM): Limit 30000, Requested 30601" — same
    // code as a rate limit, but it will never fit; only the message tells them apart.
    name: "openai.429.request_too_large",
    provider: OPENAI,
    when: all(status(429), message(/request too large/i)),
    then: { class: "request_too_large", scope: "request", retryable: false, errorType: "request_too_large" }
  },
  {
    // Traffic ramped too fast (429, formerly 503).
    name: "openai.429.slow_down",
    provider: OPENAI,
    when: any(code("slow_down"), type("slow_down")),
    then: { class: "rate_limit", scope: "key", retryable: true, errorType: "slow_down", retryAfter: "rate-limit" }
  },
  {
    name: "openai.429.rate_limit_exceeded",
    provider: OPENAI,
    when: any(status(429), code("rate_limit_exceeded")),
    then: {
      class: "rate_limit",
      scope: "key",
      retryable: true,
      errorType: "rate_limit_exceeded",
      retryAfter: "rate-limit"
    }
  },
  {
    // vLLM and other compatible servers send no code; "maximum context length" is their message.
    name: "openai.400.context_length_exceeded",
    provider: OPENAI,
    when: any(code("context_length_exceeded"), all(status(400), message(/maximum context length/i))),
    then: { class: "context_length_exceeded", scope: "model", retryable: false, errorType: "context_length_exceeded" }
  },
  {
    name: "openai.400.content_policy_violation",
    provider: OPENAI,
    when: code("content_policy_violation"),
    then: { class: "content_policy", scope: "content", retryable: false, errorType: "content_policy_violation" }
  },
  {
    // Reasoning models: "Invalid prompt: your prompt was flagged as potentially violating our usage policy".
    name: "openai.400.invalid_prompt",
    provider: OPENAI,
    when: code("invalid_prompt"),
    then: { class: "content_policy", scope: "content", retryable: false, errorType: "invalid_prompt" }
  },
  {
    // Azure OpenAI prompt filter: 400 `code: content_filter` (innererror ResponsibleAIPolicyViolation).
    name: "openai.400.content_filter",
    provider: OPENAI,
    when: code("content_filter", "ResponsibleAIPolicyViolation"),
    then: { class: "content_policy", scope: "content", retryable: false, errorType: "content_filter" }
  },
  {
    name: "openai.401.invalid_api_key",
    provider: OPENAI,
    when: status(401),
    then: {
      class: "auth_invalid",
      scope: "key",
      retryable: false,
      errorType: "invalid_api_key",
      errorTypeFrom: ["errorCode"]
    }
  },
  {
    // "Country, region, or territory not supported" and other permission refusals.
    name: "openai.403.permission_denied",
    provider: OPENAI,
    when: status(403),
    then: {
      class: "permission_denied",
      scope: "key",
      retryable: false,
      errorType: "permission_denied",
      errorTypeFrom: ["errorCode"]
    }
  },
  {
    name: "openai.404.model_not_found",
    provider: OPENAI,
    when: any(code("model_not_found"), status(404)),
    then: { class: "model_not_found", scope: "model", retryable: false, errorType: "model_not_found" }
  },
  {
    name: "openai.409.conflict",
    provider: OPENAI,
    when: status(409),
    then: { class: "conflict", scope: "provider", retryable: true, errorType: "conflict" }
  },
  {
    name: "openai.413.request_too_large",
    provider: OPENAI,
    when: status(413),
    then: { class: "request_too_large", scope: "request", retryable: false, errorType: "request_too_large" }
  },
  {
    name: "openai.422.unprocessable_entity",
    provider: OPENAI,
    when: status(422),
    then: { class: "invalid_request", scope: "request", retryable: false, errorType: "unprocessable_entity" }
  },
  {
    name: "openai.400.invalid_request_error",
    provider: OPENAI,
    when: status(400),
    then: { class: "invalid_request", scope: "request", retryable: false, errorType: "invalid_request_error" }
  },
  {
    // "The engine is currently overloaded" / `server_is_overloaded`.
    name: "openai.503.overloaded",
    provider: OPENAI,
    when: any(status(503), code("server_is_overloaded"), type("server_is_overloaded")),
    then: { class: "overloaded", scope: "provider", retryable: true, errorType: "server_is_overloaded" }
  },
  {
    name: "openai.500.server_error",
    provider: OPENAI,
    when: any(status(500, 502, 504), type("server_error")),
    then: { class: "server_error", scope: "provider", retryable: true, errorType: "server_error" }
  }
]

// --- Anthropic ---------------------------------------------------------------------------------------

const anthropicRules: ReadonlyArray<ClassificationRule> = [
  {
    // 429 rate_limit_error + error.details.error_code: retries fail until the spend limit resets.
    name: "anthropic.429.enforced_spend_limit_reached",
    provider: "anthropic",
    when: code("enforced_spend_limit_reached"),
    then: { class: "quota_exhausted", scope: "key", retryable: false, errorType: "enforced_spend_limit_reached" }
  },
  {
    // 400 invalid_request_error with no code: "Your credit balance is too low…", "You have reached your
    // specified (workspace) API usage limits. You will regain access on …". Message is all there is.
    name: "anthropic.400.spend_limit",
    provider: "anthropic",
    when: all(
      any(status(400), type("invalid_request_error")),
      message(/credit balance is too low|api usage limits|spend(?:ing)? limit/i)
    ),
    then: { class: "quota_exhausted", scope: "key", retryable: false, errorType: "billing_error" }
  },
  {
    name: "anthropic.402.billing_error",
    provider: "anthropic",
    when: any(status(402), type("billing_error")),
    then: { class: "quota_exhausted", scope: "key", retryable: false, errorType: "billing_error" }
  },
  {
    // "prompt is too long: 208656 tokens > 200000 maximum"; "input length and `max_tokens` exceed
    // context limit: 178959 + 64000 > 200000". Anthropic has no code for it: the one message match
    // the issue asks for.
    name: "anthropic.400.prompt_too_long",
    provider: "anthropic",
    when: all(
      any(status(400), type("invalid_request_error")),
      message(/prompt is too long|exceed(?:s)? context limit/i)
    ),
    then: { class: "context_length_exceeded", scope: "model", retryable: false, errorType: "prompt_too_long" }
  },
  {
    name: "anthropic.401.authentication_error",
    provider: "anthropic",
    when: any(status(401), type("authentication_error")),
    then: { class: "auth_invalid", scope: "key", retryable: false, errorType: "authentication_error" }
  },
  {
    name: "anthropic.403.permission_error",
    provider: "anthropic",
    when: any(status(403), type("permission_error")),
    then: { class: "permission_denied", scope: "key", retryable: false, errorType: "permission_error" }
  },
  {
    name: "anthropic.404.not_found_error",
    provider: "anthropic",
    when: any(status(404), type("not_found_error")),
    then: { class: "model_not_found", scope: "model", retryable: false, errorType: "not_found_error" }
  },
  {
    name: "anthropic.409.conflict_error",
    provider: "anthropic",
    when: any(status(409), type("conflict_error")),
    then: { class: "conflict", scope: "provider", retryable: true, errorType: "conflict_error" }
  },
  {
    // Sent by Cloudflare before the API (32 MB Messages limit).
    name: "anthropic.413.request_too_large",
    provider: "anthropic",
    when: any(status(413), type("request_too_large")),
    then: { class: "request_too_large", scope: "request", retryable: false, errorType: "request_too_large" }
  },
  {
    // RPM/ITPM/OTPM and acceleration limits.
    name: "anthropic.429.rate_limit_error",
    provider: "anthropic",
    when: any(status(429), type("rate_limit_error")),
    then: {
      class: "rate_limit",
      scope: "key",
      retryable: true,
      errorType: "rate_limit_error",
      retryAfter: "rate-limit"
    }
  },
  {
    // Malformed request; Anthropic also uses it for other unlisted 4xx.
    name: "anthropic.400.invalid_request_error",
    provider: "anthropic",
    when: any(status(400), type("invalid_request_error")),
    then: { class: "invalid_request", scope: "request", retryable: false, errorType: "invalid_request_error" }
  },
  {
    name: "anthropic.529.overloaded_error",
    provider: "anthropic",
    when: any(status(529), type("overloaded_error")),
    then: { class: "overloaded", scope: "provider", retryable: true, errorType: "overloaded_error" }
  },
  {
    name: "anthropic.504.timeout_error",
    provider: "anthropic",
    when: any(status(504), type("timeout_error")),
    then: { class: "server_error", scope: "provider", retryable: true, errorType: "timeout_error" }
  },
  {
    name: "anthropic.500.api_error",
    provider: "anthropic",
    when: any(status(500), type("api_error")),
    then: { class: "server_error", scope: "provider", retryable: true, errorType: "api_error" }
  }
]

// --- Google Gemini ------------------------------------------------------------------------------------

// Daily quotas (`GenerateRequestsPerDayPerProjectPerModel-FreeTier`, metric `…_per_day`) and a
// free tier the model does not have at all ("…, limit: 0, model: gemini-3-pro").
const DAILY_QUOTA = /PerDay|per_day|limit: 0\b/i

const geminiRules: ReadonlyArray<ClassificationRule> = [
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

// --- Any provider, by HTTP status --------------------------------------------------------------------

const http = (code: number, then: ClassificationRule["then"], name = `http.${code}`): ClassificationRule => ({
  name,
  when: status(code),
  then: { errorTypeFrom: ["errorCode", "errorType"], ...then }
})

const httpRules: ReadonlyArray<ClassificationRule> = [
  http(400, { class: "invalid_request", scope: "request", retryable: false, errorType: "invalid_request" }),
  http(401, { class: "auth_invalid", scope: "key", retryable: false, errorType: "authentication_error" }),
  http(402, { class: "quota_exhausted", scope: "key", retryable: false, errorType: "billing_error" }),
  http(403, { class: "permission_denied", scope: "key", retryable: false, errorType: "permission_denied" }),
  http(404, { class: "model_not_found", scope: "model", retryable: false, errorType: "not_found" }),
  http(408, { class: "timeout", scope: "provider", retryable: true, errorType: "request_timeout" }),
  http(409, { class: "conflict", scope: "provider", retryable: true, errorType: "conflict" }),
  http(413, { class: "request_too_large", scope: "request", retryable: false, errorType: "request_too_large" }),
  http(422, { class: "invalid_request", scope: "request", retryable: false, errorType: "unprocessable_entity" }),
  http(429, { class: "rate_limit", scope: "key", retryable: true, errorType: "rate_limit", retryAfter: "rate-limit" }),
  http(500, { class: "server_error", scope: "provider", retryable: true, errorType: "server_error" }),
  http(502, { class: "server_error", scope: "provider", retryable: true, errorType: "bad_gateway" }),
  http(503, { class: "overloaded", scope: "provider", retryable: true, errorType: "overloaded" }),
  http(504, { class: "server_error", scope: "provider", retryable: true, errorType: "gateway_timeout" }),
  http(529, { class: "overloaded", scope: "provider", retryable: true, errorType: "overloaded" }),
  {
    // Other client errors are deterministic: Anthropic documents "other unlisted 4XX" as invalid_request_error.
    name: "http.4xx",
    when: statusIn(400, 499),
    then: {
      class: "invalid_request",
      scope: "request",
      retryable: false,
      errorType: "invalid_request",
      errorTypeFrom: ["errorCode", "errorType", "status"]
    }
  },
  {
    name: "http.5xx",
    when: statusIn(500, 599),
    then: {
      class: "server_error",
      scope: "provider",
      retryable: true,
      errorType: "server_error",
      errorTypeFrom: ["errorCode", "errorType", "status"]
    }
  },
  unknownRule
]

/**
 * The default table, in match order: non-HTTP outcomes (content, stream, timeout, network,
 * decode), then OpenAI, Anthropic and Gemini rows, then status-only rows for any provider, then
 * `unknown`.
 */
export const rules: ReadonlyArray<ClassificationRule> = [
  ...outcomeRules,
  ...openaiRules,
  ...anthropicRules,
  ...geminiRules,
  ...httpRules
]
