import { assert, describe, it } from "@effect/vitest"
import { classify } from "../src/index.ts"
import { type Case, failure, pick } from "./fixtures/failures.ts"

// Every OpenAI row of provider-signals.md A.9, as the OpenAI adapter reports it (`error.type` →
// errorType, `error.code` → errorCode), for both kinds that speak the OpenAI wire format.
const cases = (provider: "openai" | "openai-compatible"): ReadonlyArray<Case> => [
  {
    title: "429 rate_limit_exceeded: the key cools down for the delay quoted in the message",
    failure: failure(provider, {
      status: 429,
      errorType: "tokens",
      errorCode: "rate_limit_exceeded",
      message:
        "Rate limit reached for gpt-4o in organization org-x on tokens per min (TPM): Limit 30000, Used 29000, Requested 1200. Please try again in 1.574s. Visit https://platform.openai.com/account/rate-limits to learn more.",
      rateLimit: {
        "x-ratelimit-limit-tokens": "30000",
        "x-ratelimit-remaining-tokens": "0",
        "x-ratelimit-reset-tokens": "6m0s"
      }
    }),
    expected: {
      class: "rate_limit",
      scope: "key",
      retryable: true,
      retryAfterMs: 1574,
      errorType: "rate_limit_exceeded",
      rule: "openai.429.rate_limit_exceeded"
    }
  },
  {
    title: "429 rate_limit_exceeded with retry-after-ms: the explicit header wins over the message",
    failure: failure(provider, {
      status: 429,
      errorType: "requests",
      errorCode: "rate_limit_exceeded",
      retryAfterMs: 2000,
      message: "Rate limit reached for requests. Please try again in 20ms."
    }),
    expected: {
      class: "rate_limit",
      scope: "key",
      retryable: true,
      retryAfterMs: 2000,
      rule: "openai.429.rate_limit_exceeded"
    }
  },
  {
    title: "429 request larger than the TPM limit: will never fit, fail fast",
    failure: failure(provider, {
      status: 429,
      errorType: "tokens",
      errorCode: "rate_limit_exceeded",
      message:
        "Request too large for gpt-4o in organization org-x on tokens per min (TPM): Limit 30000, Requested 30601. The input or output tokens must be reduced in order to run successfully."
    }),
    expected: {
      class: "request_too_large",
      scope: "request",
      retryable: false,
      retryAfterMs: undefined,
      errorType: "request_too_large",
      rule: "openai.429.request_too_large"
    }
  },
  {
    title: "429 slow_down (traffic ramp): a rate limit on the key",
    failure: failure(provider, {
      status: 429,
      errorCode: "slow_down",
      message: "Please reduce your rate of requests."
    }),
    expected: {
      class: "rate_limit",
      scope: "key",
      retryable: true,
      errorType: "slow_down",
      rule: "openai.429.slow_down"
    }
  },
  {
    title: "503 slow_down (the older form) is still a rate limit, not an overload",
    failure: failure(provider, { status: 503, errorCode: "slow_down", message: "Slow down", retryAfterMs: 5000 }),
    expected: { class: "rate_limit", scope: "key", retryable: true, retryAfterMs: 5000, rule: "openai.429.slow_down" }
  },
  {
    title: "429 insufficient_quota: the key's quota is gone, never retry it",
    failure: failure(provider, {
      status: 429,
      errorType: "insufficient_quota",
      errorCode: "insufficient_quota",
      message: "You exceeded your current quota, please check your plan and billing details."
    }),
    expected: {
      class: "quota_exhausted",
      scope: "key",
      retryable: false,
      errorType: "insufficient_quota",
      rule: "openai.429.insufficient_quota"
    }
  },
  {
    title: "503 engine overloaded: provider overload, retryable",
    failure: failure(provider, {
      status: 503,
      errorType: "server_error",
      message: "The engine is currently overloaded, please try again later"
    }),
    expected: {
      class: "overloaded",
      scope: "provider",
      retryable: true,
      errorType: "server_is_overloaded",
      rule: "openai.503.overloaded"
    }
  },
  {
    title: "500 server_error: provider failure, retryable",
    failure: failure(provider, {
      status: 500,
      errorType: "server_error",
      message: "The server had an error while processing your request. Sorry about that!"
    }),
    expected: {
      class: "server_error",
      scope: "provider",
      retryable: true,
      errorType: "server_error",
      rule: "openai.500.server_error"
    }
  },
  {
    title: "502 bad gateway: provider failure, retryable",
    failure: failure(provider, { status: 502, message: "Bad gateway." }),
    expected: { class: "server_error", scope: "provider", retryable: true, rule: "openai.500.server_error" }
  },
  {
    title: "504 gateway timeout: provider failure, retryable",
    failure: failure(provider, { status: 504, message: "Gateway timeout." }),
    expected: { class: "server_error", scope: "provider", retryable: true, rule: "openai.500.server_error" }
  },
  {
    title: "401 incorrect API key: the key is invalid",
    failure: failure(provider, {
      status: 401,
      errorType: "invalid_request_error",
      errorCode: "invalid_api_key",
      message:
        "Incorrect API key provided: [REDACTED]. You can find your API key at https://platform.openai.com/account/api-keys."
    }),
    expected: {
      class: "auth_invalid",
      scope: "key",
      retryable: false,
      errorType: "invalid_api_key",
      rule: "openai.401.invalid_api_key"
    }
  },
  {
    title: "401 without a code (not a member of the organisation): still the key",
    failure: failure(provider, {
      status: 401,
      errorType: "invalid_request_error",
      message: "You must be a member of an organization to use the API."
    }),
    expected: {
      class: "auth_invalid",
      scope: "key",
      retryable: false,
      errorType: "invalid_api_key",
      rule: "openai.401.invalid_api_key"
    }
  },
  {
    title: "403 country not supported: permission denied on the key, code kept as error.type",
    failure: failure(provider, {
      status: 403,
      errorType: "request_forbidden",
      errorCode: "unsupported_country_region_territory",
      message: "Country, region, or territory not supported"
    }),
    expected: {
      class: "permission_denied",
      scope: "key",
      retryable: false,
      errorType: "unsupported_country_region_territory",
      rule: "openai.403.permission_denied"
    }
  },
  {
    title: "404 model_not_found: skip the model",
    failure: failure(provider, {
      status: 404,
      errorType: "invalid_request_error",
      errorCode: "model_not_found",
      message: "The model `gpt-9` does not exist or you do not have access to it."
    }),
    expected: {
      class: "model_not_found",
      scope: "model",
      retryable: false,
      errorType: "model_not_found",
      rule: "openai.404.model_not_found"
    }
  },
  {
    title: "400 context_length_exceeded: only a larger model can serve it",
    failure: failure(provider, {
      status: 400,
      errorType: "invalid_request_error",
      errorCode: "context_length_exceeded",
      message:
        "This model's maximum context length is 8192 tokens. However, your messages resulted in 8227 tokens. Please reduce the length of the messages."
    }),
    expected: {
      class: "context_length_exceeded",
      scope: "model",
      retryable: false,
      errorType: "context_length_exceeded",
      rule: "openai.400.context_length_exceeded"
    }
  },
  {
    title: "400 content_policy_violation: the prompt was blocked",
    failure: failure(provider, {
      status: 400,
      errorType: "invalid_request_error",
      errorCode: "content_policy_violation",
      message: "Your request was rejected as a result of our safety system."
    }),
    expected: {
      class: "content_policy",
      scope: "content",
      retryable: false,
      errorType: "content_policy_violation",
      rule: "openai.400.content_policy_violation"
    }
  },
  {
    title: "400 invalid_prompt (reasoning models): the prompt was blocked",
    failure: failure(provider, {
      status: 400,
      errorType: "invalid_request_error",
      errorCode: "invalid_prompt",
      message: "Invalid prompt: your prompt was flagged as potentially violating our usage policy."
    }),
    expected: {
      class: "content_policy",
      scope: "content",
      retryable: false,
      errorType: "invalid_prompt",
      rule: "openai.400.invalid_prompt"
    }
  },
  {
    title: "400 content_filter (Azure OpenAI prompt filter): the prompt was blocked",
    failure: failure(provider, {
      status: 400,
      errorCode: "content_filter",
      message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy."
    }),
    expected: {
      class: "content_policy",
      scope: "content",
      retryable: false,
      errorType: "content_filter",
      rule: "openai.400.content_filter"
    }
  },
  {
    title: "413 request too large (bytes): fail fast",
    failure: failure(provider, { status: 413, message: "Request entity too large" }),
    expected: { class: "request_too_large", scope: "request", retryable: false, rule: "openai.413.request_too_large" }
  },
  {
    title: "400 malformed request: fail fast, no fallback",
    failure: failure(provider, {
      status: 400,
      errorType: "invalid_request_error",
      errorCode: "unsupported_parameter",
      message: "Unsupported parameter: 'max_tokens' is not supported with this model."
    }),
    expected: {
      class: "invalid_request",
      scope: "request",
      retryable: false,
      errorType: "invalid_request_error",
      rule: "openai.400.invalid_request_error"
    }
  },
  {
    title: "422 unprocessable entity: fail fast",
    failure: failure(provider, { status: 422, message: "Unprocessable Entity" }),
    expected: { class: "invalid_request", scope: "request", retryable: false, rule: "openai.422.unprocessable_entity" }
  },
  {
    title: "409 conflict: transient, retryable",
    failure: failure(provider, { status: 409, message: "Conflict" }),
    expected: { class: "conflict", scope: "provider", retryable: true, rule: "openai.409.conflict" }
  }
]

describe.each(["openai", "openai-compatible"] as const)("%s failures", (provider) => {
  it.each(cases(provider))("$title", ({ failure, expected }) => {
    assert.deepStrictEqual(pick(classify(failure), expected), expected)
  })
})

describe("OpenAI-compatible servers without codes", () => {
  it("vLLM's 400 'maximum context length' is a context-length failure", () => {
    const c = classify(
      failure("openai-compatible", {
        status: 400,
        errorType: "BadRequestError",
        message:
          "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (4000 in the messages, 1000 in the completion)."
      })
    )
    assert.strictEqual(c.rule, "openai.400.context_length_exceeded")
    assert.strictEqual(c.scope, "model")
  })
  it("an unlisted 5xx (Cloudflare 520) is a server error on the provider", () => {
    const c = classify(
      failure("openai-compatible", { status: 520, message: "Web server is returning an unknown error" })
    )
    assert.deepStrictEqual([c.class, c.scope, c.retryable, c.rule], ["server_error", "provider", true, "http.5xx"])
  })
  it("408 request timeout is a timeout on the provider", () => {
    const c = classify(failure("openai", { status: 408, message: "Request Timeout" }))
    assert.deepStrictEqual([c.class, c.scope, c.retryable, c.rule], ["timeout", "provider", true, "http.408"])
  })
})
