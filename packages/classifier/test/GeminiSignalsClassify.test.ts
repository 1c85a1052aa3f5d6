import { assert, describe, it } from "@effect/vitest"
import { classify } from "../src/index.ts"
import { type Case, failure, pick } from "./fixtures/failures.ts"

// Every Gemini row of provider-signals.md A.8/A.9, as the Gemini adapter reports it
// (`error.status` → errorType, `ErrorInfo.reason` — or the QuotaFailure quotaId when there is no
// reason — → errorCode, `RetryInfo.retryDelay` → retryAfterMs).
const cases: ReadonlyArray<Case> = [
  {
    title: "429 RESOURCE_EXHAUSTED per-minute quota with RetryInfo: rate limit, wait the retryDelay",
    failure: failure("gemini", {
      status: 429,
      errorType: "RESOURCE_EXHAUSTED",
      errorCode: "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
      retryAfterMs: 22_000,
      message:
        "You exceeded your current quota, please check your plan and billing details. * Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 10, model: gemini-2.5-flash Please retry in 21.5s."
    }),
    expected: {
      class: "rate_limit",
      scope: "key",
      retryable: true,
      retryAfterMs: 22_000,
      errorType: "RESOURCE_EXHAUSTED",
      rule: "gemini.429.resource_exhausted"
    }
  },
  {
    title: "429 RESOURCE_EXHAUSTED without RetryInfo: the 'Please retry in' delay from the message",
    failure: failure("gemini", {
      status: 429,
      errorType: "RESOURCE_EXHAUSTED",
      message: "You exceeded your current quota. Please retry in 45.5s."
    }),
    expected: { class: "rate_limit", scope: "key", retryable: true, retryAfterMs: 45_500 }
  },
  {
    title: "429 RESOURCE_EXHAUSTED with nothing to wait on (Vertex 'try again later'): rate limit, no delay",
    failure: failure("gemini", {
      status: 429,
      errorType: "RESOURCE_EXHAUSTED",
      message: "Resource exhausted. Please try again later."
    }),
    expected: { class: "rate_limit", scope: "key", retryable: true, retryAfterMs: undefined }
  },
  {
    title: "429 daily quota (quotaId …PerDay… in errorCode): quota exhausted, not retryable",
    failure: failure("gemini", {
      status: 429,
      errorType: "RESOURCE_EXHAUSTED",
      errorCode: "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
      retryAfterMs: 30_000,
      message: "You exceeded your current quota, please check your plan and billing details."
    }),
    expected: {
      class: "quota_exhausted",
      scope: "key",
      retryable: false,
      errorType: "RESOURCE_EXHAUSTED",
      rule: "gemini.429.daily_quota_exhausted"
    }
  },
  {
    title: "429 daily quota (quota hint in rateLimit, ErrorInfo reason in errorCode): quota exhausted",
    failure: failure("gemini", {
      status: 429,
      errorType: "RESOURCE_EXHAUSTED",
      errorCode: "RATE_LIMIT_EXCEEDED",
      rateLimit: {
        "quota-id":
          "GenerateRequestsPerMinutePerProjectPerModel-FreeTier,GenerateRequestsPerDayPerProjectPerModel-FreeTier"
      },
      message: "You exceeded your current quota."
    }),
    expected: { class: "quota_exhausted", scope: "key", retryable: false, rule: "gemini.429.daily_quota_exhausted" }
  },
  {
    title: "429 free tier not available for the model ('limit: 0'): quota exhausted",
    failure: failure("gemini", {
      status: 429,
      errorType: "RESOURCE_EXHAUSTED",
      message:
        "You exceeded your current quota. * Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 0, model: gemini-3-pro Please retry in 45.578569677s."
    }),
    expected: { class: "quota_exhausted", scope: "key", retryable: false, rule: "gemini.429.daily_quota_exhausted" }
  },
  {
    title: "400 FAILED_PRECONDITION (billing / region): quota on the key",
    failure: failure("gemini", {
      status: 400,
      errorType: "FAILED_PRECONDITION",
      message: "User location is not supported for the API use without a billing account linked."
    }),
    expected: {
      class: "quota_exhausted",
      scope: "key",
      retryable: false,
      errorType: "FAILED_PRECONDITION",
      rule: "gemini.400.failed_precondition"
    }
  },
  {
    title: "400 INVALID_ARGUMENT + API_KEY_INVALID: the key is invalid (not 401)",
    failure: failure("gemini", {
      status: 400,
      errorType: "INVALID_ARGUMENT",
      errorCode: "API_KEY_INVALID",
      message: "API key not valid. Please pass a valid API key."
    }),
    expected: {
      class: "auth_invalid",
      scope: "key",
      retryable: false,
      errorType: "API_KEY_INVALID",
      rule: "gemini.400.api_key_invalid"
    }
  },
  {
    title: "400 'API key expired' without details: the key is invalid",
    failure: failure("gemini", {
      status: 400,
      errorType: "INVALID_ARGUMENT",
      message: "API key expired. Please renew the API key."
    }),
    expected: { class: "auth_invalid", scope: "key", retryable: false, rule: "gemini.400.api_key_invalid" }
  },
  {
    title: "401 UNAUTHENTICATED (OAuth paths): the key is invalid",
    failure: failure("gemini", {
      status: 401,
      errorType: "UNAUTHENTICATED",
      message: "Request had invalid authentication credentials."
    }),
    expected: { class: "auth_invalid", scope: "key", retryable: false, rule: "gemini.401.unauthenticated" }
  },
  {
    title: "403 PERMISSION_DENIED: permission denied on the key",
    failure: failure("gemini", {
      status: 403,
      errorType: "PERMISSION_DENIED",
      message: "You do not have permission to access tuned model tunedModels/x."
    }),
    expected: {
      class: "permission_denied",
      scope: "key",
      retryable: false,
      errorType: "PERMISSION_DENIED",
      rule: "gemini.403.permission_denied"
    }
  },
  {
    title: "404 NOT_FOUND: skip the model",
    failure: failure("gemini", {
      status: 404,
      errorType: "NOT_FOUND",
      message: "models/gemini-9 is not found for API version v1beta, or is not supported for generateContent."
    }),
    expected: {
      class: "model_not_found",
      scope: "model",
      retryable: false,
      errorType: "NOT_FOUND",
      rule: "gemini.404.not_found"
    }
  },
  {
    title: "400 input token count exceeds the maximum: context length",
    failure: failure("gemini", {
      status: 400,
      errorType: "INVALID_ARGUMENT",
      message: "The input token count (3475108) exceeds the maximum number of tokens allowed (1048576)."
    }),
    expected: {
      class: "context_length_exceeded",
      scope: "model",
      retryable: false,
      rule: "gemini.400.input_token_count_exceeded"
    }
  },
  {
    title: "500 INTERNAL 'input context is too long': context length, not a server error",
    failure: failure("gemini", {
      status: 500,
      errorType: "INTERNAL",
      message: "An internal error has occurred. Your input context is too long."
    }),
    expected: {
      class: "context_length_exceeded",
      scope: "model",
      retryable: false,
      rule: "gemini.500.input_context_too_long"
    }
  },
  {
    title: "400 payload size exceeds the limit: request too large",
    failure: failure("gemini", {
      status: 400,
      errorType: "INVALID_ARGUMENT",
      message: "Request payload size exceeds the limit: 20971520 bytes."
    }),
    expected: { class: "request_too_large", scope: "request", retryable: false, rule: "gemini.400.payload_too_large" }
  },
  {
    title: "400 INVALID_ARGUMENT (malformed): fail fast",
    failure: failure("gemini", {
      status: 400,
      errorType: "INVALID_ARGUMENT",
      message: 'Invalid JSON payload received. Unknown name "foo": Cannot find field.'
    }),
    expected: {
      class: "invalid_request",
      scope: "request",
      retryable: false,
      errorType: "INVALID_ARGUMENT",
      rule: "gemini.400.invalid_argument"
    }
  },
  {
    title: "409 ABORTED: transient conflict",
    failure: failure("gemini", { status: 409, errorType: "ABORTED", message: "Aborted" }),
    expected: { class: "conflict", scope: "provider", retryable: true, rule: "gemini.409.aborted" }
  },
  {
    title: "500 INTERNAL: provider failure, retryable",
    failure: failure("gemini", { status: 500, errorType: "INTERNAL", message: "An internal error has occurred." }),
    expected: {
      class: "server_error",
      scope: "provider",
      retryable: true,
      errorType: "INTERNAL",
      rule: "gemini.500.internal"
    }
  },
  {
    title: "503 UNAVAILABLE: provider overload (unrelated to quota), retryable",
    failure: failure("gemini", {
      status: 503,
      errorType: "UNAVAILABLE",
      message: "The model is overloaded. Please try again later."
    }),
    expected: {
      class: "overloaded",
      scope: "provider",
      retryable: true,
      errorType: "UNAVAILABLE",
      rule: "gemini.503.unavailable"
    }
  },
  {
    title: "504 DEADLINE_EXCEEDED: provider failure, retryable",
    failure: failure("gemini", { status: 504, errorType: "DEADLINE_EXCEEDED", message: "Deadline expired." }),
    expected: {
      class: "server_error",
      scope: "provider",
      retryable: true,
      errorType: "DEADLINE_EXCEEDED",
      rule: "gemini.504.deadline_exceeded"
    }
  },
  {
    title: "stream cut with UNAVAILABLE before any content: overloaded, retryable",
    failure: failure("gemini", {
      kind: "stream",
      status: 503,
      errorType: "UNAVAILABLE",
      message: "The model is overloaded.",
      responseBytesReceived: false
    }),
    expected: { class: "overloaded", scope: "provider", retryable: true, rule: "stream.overloaded" }
  }
]

describe("gemini failures", () => {
  it.each(cases)("$title", ({ failure, expected }) => {
    assert.deepStrictEqual(pick(classify(failure), expected), expected)
  })
})
