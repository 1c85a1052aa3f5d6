// biome-ignore-all lint/suspicious/noThenProperty: a rule's `then` is a plain object, never a function, so a rule is not a thenable.
/** Anthropic. */
import type { ClassificationRule } from "../../ClassificationRule.ts"
import { all, any, code, message, status, type } from "../Predicates.ts"
import { messageFormRules } from "./MessageForms.ts"

// --- Anthropic ---------------------------------------------------------------------------------------

export const anthropicRules: ReadonlyArray<ClassificationRule> = [
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
  // `invalid_request_error` is all Anthropic sends for a content block ("Output blocked by content
  // filtering policy"), a retired model or a feature the model lacks: the message tells them apart.
  ...messageFormRules("anthropic", "anthropic", any(status(400), type("invalid_request_error"))),
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
