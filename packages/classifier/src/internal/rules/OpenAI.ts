// biome-ignore-all lint/suspicious/noThenProperty: a rule's `then` is a plain object, never a function, so a rule is not a thenable.
/** OpenAI and OpenAI-compatible servers. */
import type { ProviderKind } from "@am/core"
import type { ClassificationRule } from "../../ClassificationRule.ts"
import { all, any, code, message, status, type } from "../Predicates.ts"
import { messageFormRules } from "./MessageForms.ts"

const OPENAI: ReadonlyArray<ProviderKind> = ["openai", "openai-compatible"]

// --- OpenAI and OpenAI-compatible ------------------------------------------------------------------

export const openaiRules: ReadonlyArray<ClassificationRule> = [
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
  // 400s without a telling code: safety blocks, retired models, features this model lacks.
  ...messageFormRules("openai", OPENAI, status(400)),
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
