import { assert, describe, it } from "@effect/vitest"
import { classify } from "../src/index.ts"
import { type Case, failure, pick } from "./fixtures/failures.ts"

// Every Anthropic row of provider-signals.md A.8/A.9, as the Anthropic adapter reports it
// (`error.type` → errorType, `error.details.error_code` → errorCode).
const NOW = Date.parse("2026-03-01T12:00:00Z")

const cases: ReadonlyArray<Case> = [
  {
    title: "429 rate_limit_error with retry-after: the key cools down that long",
    failure: failure("anthropic", {
      status: 429,
      errorType: "rate_limit_error",
      message: "This request would exceed your organization's rate limit of 50 requests per minute.",
      retryAfterMs: 20_000,
      rateLimit: {
        "anthropic-ratelimit-requests-remaining": "0",
        "anthropic-ratelimit-requests-reset": "2026-03-01T12:00:45Z"
      }
    }),
    expected: {
      class: "rate_limit",
      scope: "key",
      retryable: true,
      retryAfterMs: 20_000,
      errorType: "rate_limit_error",
      rule: "anthropic.429.rate_limit_error"
    }
  },
  {
    title: "429 rate_limit_error without retry-after: the exhausted limit's RFC 3339 reset decides",
    failure: failure("anthropic", {
      status: 429,
      errorType: "rate_limit_error",
      message: "This request would exceed your organization's rate limit.",
      rateLimit: {
        "anthropic-ratelimit-requests-remaining": "12",
        "anthropic-ratelimit-requests-reset": "2026-03-01T12:00:05Z",
        "anthropic-ratelimit-input-tokens-remaining": "0",
        "anthropic-ratelimit-input-tokens-reset": "2026-03-01T12:00:42Z"
      }
    }),
    expected: { class: "rate_limit", scope: "key", retryable: true, retryAfterMs: 42_000 }
  },
  {
    title: "429 acceleration limit (sharp ramp): a rate limit",
    failure: failure("anthropic", {
      status: 429,
      errorType: "rate_limit_error",
      message: "Your organization's usage increased too quickly (acceleration limit). Please ramp up gradually.",
      retryAfterMs: 3_000
    }),
    expected: { class: "rate_limit", scope: "key", retryable: true, rule: "anthropic.429.rate_limit_error" }
  },
  {
    title: "429 rate_limit_error + enforced_spend_limit_reached: quota, never retried",
    failure: failure("anthropic", {
      status: 429,
      errorType: "rate_limit_error",
      errorCode: "enforced_spend_limit_reached",
      message: "You have reached your spend limit.",
      retryAfterMs: 1_000
    }),
    expected: {
      class: "quota_exhausted",
      scope: "key",
      retryable: false,
      errorType: "enforced_spend_limit_reached",
      rule: "anthropic.429.enforced_spend_limit_reached"
    }
  },
  {
    title: "400 workspace spend limit: quota on the key",
    failure: failure("anthropic", {
      status: 400,
      errorType: "invalid_request_error",
      message:
        "You have reached your specified workspace API usage limits. You will regain access on 2025-06-01 at 00:00 UTC."
    }),
    expected: { class: "quota_exhausted", scope: "key", retryable: false, rule: "anthropic.400.spend_limit" }
  },
  {
    title: "400 credit balance too low: quota on the key",
    failure: failure("anthropic", {
      status: 400,
      errorType: "invalid_request_error",
      message:
        "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."
    }),
    expected: { class: "quota_exhausted", scope: "key", retryable: false, rule: "anthropic.400.spend_limit" }
  },
  {
    title: "402 billing_error: quota on the key",
    failure: failure("anthropic", { status: 402, errorType: "billing_error", message: "Billing issue." }),
    expected: {
      class: "quota_exhausted",
      scope: "key",
      retryable: false,
      errorType: "billing_error",
      rule: "anthropic.402.billing_error"
    }
  },
  {
    title: "400 'prompt is too long': context length (the one message match)",
    failure: failure("anthropic", {
      status: 400,
      errorType: "invalid_request_error",
      message: "prompt is too long: 208656 tokens > 200000 maximum"
    }),
    expected: {
      class: "context_length_exceeded",
      scope: "model",
      retryable: false,
      errorType: "prompt_too_long",
      rule: "anthropic.400.prompt_too_long"
    }
  },
  {
    title: "400 'input length and max_tokens exceed context limit': context length",
    failure: failure("anthropic", {
      status: 400,
      errorType: "invalid_request_error",
      message:
        "input length and `max_tokens` exceed context limit: 178959 + 64000 > 200000, decrease input length or `max_tokens` and try again"
    }),
    expected: {
      class: "context_length_exceeded",
      scope: "model",
      rule: "anthropic.400.prompt_too_long",
      retryable: false
    }
  },
  {
    title: "400 invalid_request_error (malformed): fail fast",
    failure: failure("anthropic", {
      status: 400,
      errorType: "invalid_request_error",
      message: 'messages: roles must alternate between "user" and "assistant"'
    }),
    expected: {
      class: "invalid_request",
      scope: "request",
      retryable: false,
      errorType: "invalid_request_error",
      rule: "anthropic.400.invalid_request_error"
    }
  },
  {
    title: "401 authentication_error: the key is invalid",
    failure: failure("anthropic", { status: 401, errorType: "authentication_error", message: "invalid x-api-key" }),
    expected: {
      class: "auth_invalid",
      scope: "key",
      retryable: false,
      errorType: "authentication_error",
      rule: "anthropic.401.authentication_error"
    }
  },
  {
    title: "403 permission_error: permission denied on the key",
    failure: failure("anthropic", {
      status: 403,
      errorType: "permission_error",
      message: "Your API key does not have permission to use the specified resource."
    }),
    expected: {
      class: "permission_denied",
      scope: "key",
      retryable: false,
      errorType: "permission_error",
      rule: "anthropic.403.permission_error"
    }
  },
  {
    title: "404 not_found_error: skip the model",
    failure: failure("anthropic", { status: 404, errorType: "not_found_error", message: "model: claude-9" }),
    expected: {
      class: "model_not_found",
      scope: "model",
      retryable: false,
      errorType: "not_found_error",
      rule: "anthropic.404.not_found_error"
    }
  },
  {
    title: "409 conflict_error: transient",
    failure: failure("anthropic", { status: 409, errorType: "conflict_error", message: "Conflict" }),
    expected: { class: "conflict", scope: "provider", retryable: true, rule: "anthropic.409.conflict_error" }
  },
  {
    title: "413 request_too_large (Cloudflare, 32 MB): fail fast",
    failure: failure("anthropic", {
      status: 413,
      errorType: "request_too_large",
      message: "Request exceeds the maximum allowed number of bytes."
    }),
    expected: {
      class: "request_too_large",
      scope: "request",
      retryable: false,
      retryAfterMs: undefined,
      rule: "anthropic.413.request_too_large"
    }
  },
  {
    title: "500 api_error: provider failure, retryable",
    failure: failure("anthropic", { status: 500, errorType: "api_error", message: "Internal server error" }),
    expected: {
      class: "server_error",
      scope: "provider",
      retryable: true,
      errorType: "api_error",
      rule: "anthropic.500.api_error"
    }
  },
  {
    title: "504 timeout_error: provider failure, retryable",
    failure: failure("anthropic", { status: 504, errorType: "timeout_error", message: "Request timed out" }),
    expected: {
      class: "server_error",
      scope: "provider",
      retryable: true,
      errorType: "timeout_error",
      rule: "anthropic.504.timeout_error"
    }
  },
  {
    title: "529 overloaded_error: provider overload, retryable, retry-after kept for the breaker",
    failure: failure("anthropic", {
      status: 529,
      errorType: "overloaded_error",
      message: "Overloaded",
      retryAfterMs: 10_000
    }),
    expected: {
      class: "overloaded",
      scope: "provider",
      retryable: true,
      retryAfterMs: 10_000,
      errorType: "overloaded_error",
      rule: "anthropic.529.overloaded_error"
    }
  },
  {
    title: "SSE error event overloaded_error after 200, before any content: overloaded, retryable",
    failure: failure("anthropic", {
      kind: "stream",
      errorType: "overloaded_error",
      message: "Overloaded",
      responseBytesReceived: false
    }),
    expected: {
      class: "overloaded",
      scope: "provider",
      retryable: true,
      errorType: "overloaded_error",
      rule: "stream.overloaded"
    }
  },
  {
    title: "SSE error event overloaded_error after content went out: overloaded, not retryable",
    failure: failure("anthropic", {
      kind: "stream",
      errorType: "overloaded_error",
      message: "Overloaded",
      responseBytesReceived: true
    }),
    expected: { class: "overloaded", scope: "provider", retryable: false, rule: "stream.overloaded" }
  },
  {
    title: "SSE error event api_error mid-stream before content: server error, retryable",
    failure: failure("anthropic", {
      kind: "stream",
      errorType: "api_error",
      message: "Internal server error",
      responseBytesReceived: false
    }),
    expected: { class: "server_error", scope: "provider", retryable: true, rule: "stream.server_error" }
  }
]

describe("anthropic failures", () => {
  it.each(cases)("$title", ({ failure, expected }) => {
    assert.deepStrictEqual(pick(classify(failure, { now: () => NOW }), expected), expected)
  })
})
