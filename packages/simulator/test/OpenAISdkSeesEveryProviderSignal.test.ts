/**
 * Every row of provider-signals.md A.9, as the official `openai` client (maxRetries 0)
 * surfaces it: error class, status, type, code, message and headers — or, for HTTP 200
 * outcomes, the finish reason and refusal — in JSON and in SSE.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import OpenAI from "openai"
import type { Upstream } from "../src/index.ts"
import { startUpstream } from "../src/index.ts"
import type { Expect, ProviderTable } from "./support/expect.ts"
import { assertOutcome } from "./support/expect.ts"
import { callOpenAI } from "./support/sdks.ts"

const quota: Expect = {
  cls: OpenAI.RateLimitError,
  status: 429,
  type: "insufficient_quota",
  code: "insufficient_quota",
  message: /You exceeded your current quota/
}

const OPENAI_TABLE: ProviderTable = [
  [
    "rate_limit",
    {
      cls: OpenAI.RateLimitError,
      status: 429,
      type: "requests",
      code: "rate_limit_exceeded",
      message: /on requests per min \(RPM\).*Please try again in 1\.574s\./,
      headers: {
        "x-ratelimit-limit-requests": "500",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "1.574s",
        "x-request-id": /^req_/
      }
    }
  ],
  [
    "rate_limit_tokens",
    {
      cls: OpenAI.RateLimitError,
      status: 429,
      type: "tokens",
      code: "rate_limit_exceeded",
      message: /on tokens per min \(TPM\).*Please try again in 1\.574s\./,
      headers: { "x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "1.574s" }
    }
  ],
  [
    "request_exceeds_tpm",
    {
      cls: OpenAI.RateLimitError,
      status: 429,
      type: "tokens",
      code: "rate_limit_exceeded",
      message: /Request too large for gpt-4o-mini .* on tokens per min \(TPM\): Limit 30000, Requested 30601/
    }
  ],
  ["slow_down", { cls: OpenAI.RateLimitError, status: 429, code: "slow_down", message: /reduce your request rate/ }],
  ["quota_exhausted", quota],
  ["spend_limit", quota],
  ["billing_error", quota],
  [
    "overloaded",
    {
      cls: OpenAI.InternalServerError,
      status: 503,
      type: "server_error",
      code: "server_is_overloaded",
      message: /The engine is currently overloaded/
    }
  ],
  [
    "overloaded_in_stream",
    { cls: OpenAI.InternalServerError, status: 503, code: "server_is_overloaded" },
    // After HTTP 200 the error arrives as a `data: {"error":…}` event: a plain APIError without status.
    {
      cls: OpenAI.APIError,
      status: undefined,
      type: "server_error",
      code: "server_is_overloaded",
      check: (o) => assert.isAtLeast(o.chunks, 1)
    }
  ],
  [
    "server_error",
    {
      cls: OpenAI.InternalServerError,
      status: 500,
      type: "server_error",
      code: null,
      message: /The server had an error while processing your request/
    }
  ],
  ["bad_gateway", { cls: OpenAI.InternalServerError, status: 502, message: /502 Bad Gateway/ }],
  ["gateway_timeout", { cls: OpenAI.InternalServerError, status: 504, message: /504 Gateway Time-out/ }],
  [
    "invalid_key",
    {
      cls: OpenAI.AuthenticationError,
      status: 401,
      type: "invalid_request_error",
      code: "invalid_api_key",
      message: /Incorrect API key provided: sk-test\*+1234\./,
      check: (o) => assert.notInclude(String(o.error.message), "sk-test-openai-0000000000001234")
    }
  ],
  [
    "permission_denied",
    {
      cls: OpenAI.PermissionDeniedError,
      status: 403,
      code: "unsupported_country_region_territory",
      message: /Country, region, or territory not supported/
    }
  ],
  [
    "model_not_found",
    {
      cls: OpenAI.NotFoundError,
      status: 404,
      type: "invalid_request_error",
      code: "model_not_found",
      message: /The model `gpt-4o-mini` does not exist or you do not have access to it\./
    }
  ],
  [
    "context_length_exceeded",
    {
      cls: OpenAI.BadRequestError,
      status: 400,
      type: "invalid_request_error",
      code: "context_length_exceeded",
      message: /maximum context length is 8192 tokens\. However, your messages resulted in \d+ tokens/,
      check: (o) => assert.strictEqual(o.error.param, "messages")
    }
  ],
  ["request_too_large", { cls: OpenAI.APIError, status: 413, type: "invalid_request_error" }],
  ["malformed_request", { cls: OpenAI.BadRequestError, status: 400, type: "invalid_request_error" }],
  ["unprocessable", { cls: OpenAI.UnprocessableEntityError, status: 422 }],
  ["conflict", { cls: OpenAI.ConflictError, status: 409 }],
  [
    "input_blocked",
    {
      cls: OpenAI.BadRequestError,
      status: 400,
      type: "invalid_request_error",
      code: "content_policy_violation",
      message: /rejected as a result of our safety system/
    }
  ],
  [
    "invalid_prompt",
    {
      cls: OpenAI.BadRequestError,
      status: 400,
      code: "invalid_prompt",
      message: /Invalid prompt: your prompt was flagged/
    }
  ],
  ["content_filter", { finish: "content_filter" }],
  ["refusal", { finish: "stop", refusal: /can't help/, check: (o) => assert.strictEqual(o.text, "") }],
  ["max_tokens", { finish: "length" }],
  ["model_context_window_exceeded", { finish: "length" }],
  ["tool_call", { finish: "tool_calls", toolArgsParse: true }],
  ["malformed_tool_call", { finish: "tool_calls", toolArgsParse: false }],
  [
    "ok",
    {
      finish: "stop",
      check: (o) => {
        assert.include(o.text, "gpt-4o-mini")
        assert.isAbove(o.usage!.input, 0)
        assert.isAbove(o.usage!.output, 0)
      }
    }
  ]
]

describe("openai SDK against the fake OpenAI upstream", () => {
  let upstream: Upstream
  beforeAll(async () => {
    upstream = await startUpstream({ kind: "openai" })
  })
  afterAll(() => upstream.close())

  for (const [fault, json, stream] of OPENAI_TABLE) {
    for (const mode of ["json", "stream"] as const) {
      it(`${fault} (${mode})`, async () => {
        upstream.setScript([{ sequence: [fault] }])
        const o = await callOpenAI(upstream, { stream: mode === "stream", tools: fault.includes("tool_call") })
        assertOutcome(o, mode === "stream" ? (stream ?? json) : json)
        assert.strictEqual(upstream.requests.at(-1)!.fault, fault === "ok" ? undefined : fault)
      })
    }
  }

  it("retryAfterMs sets the Go-style wait in the message and the reset header", async () => {
    upstream.setScript([{ sequence: [{ fault: "rate_limit", retryAfterMs: 360_000 }] }])
    const o = await callOpenAI(upstream)
    assertOutcome(o, {
      cls: OpenAI.RateLimitError,
      message: /Please try again in 6m0s\./,
      headers: { "x-ratelimit-reset-requests": "6m0s" }
    })
  })

  it("a bare status step answers OpenAI's standard body for it", async () => {
    upstream.setScript([{ sequence: [503, 401, 418] }])
    assertOutcome(await callOpenAI(upstream), {
      cls: OpenAI.InternalServerError,
      status: 503,
      code: "server_is_overloaded"
    })
    assertOutcome(await callOpenAI(upstream), { cls: OpenAI.AuthenticationError, status: 401, code: "invalid_api_key" })
    assertOutcome(await callOpenAI(upstream), { cls: OpenAI.APIError, status: 418, type: "invalid_request_error" })
  })

  it("max_tokens smaller than the answer truncates it with finish_reason length", async () => {
    upstream.setScript([])
    const o = await callOpenAI(upstream, { maxTokens: 3 })
    assertOutcome(o, { finish: "length", check: (r) => assert.isAtMost(r.text.length, 12) })
  })
})
