/**
 * Every row of provider-signals.md A.9, as the official `@anthropic-ai/sdk` client
 * (maxRetries 0) surfaces it: error class, status, error type, `details.error_code` and
 * headers (retry-after, anthropic-ratelimit-*, request-id) — or the stop reason — in
 * JSON and in SSE (including the `error` event after HTTP 200).
 */
import Anthropic from "@anthropic-ai/sdk"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import type { Upstream } from "../src/index.ts"
import { startUpstream } from "../src/index.ts"
import type { ProviderTable } from "./support/expect.ts"
import { assertOutcome } from "./support/expect.ts"
import { callAnthropic } from "./support/sdks.ts"

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/

const ANTHROPIC_TABLE: ProviderTable = [
  [
    "rate_limit",
    {
      cls: Anthropic.RateLimitError,
      status: 429,
      type: "rate_limit_error",
      message: /exceed the rate limit for your organization .* of 50 requests per minute/,
      headers: {
        "retry-after": "7",
        "anthropic-ratelimit-requests-limit": "50",
        "anthropic-ratelimit-requests-remaining": "0",
        "anthropic-ratelimit-requests-reset": RFC3339,
        "anthropic-ratelimit-tokens-reset": RFC3339,
        "request-id": /^req_/
      },
      check: (o) => assert.match(o.error.requestID, /^req_/)
    }
  ],
  [
    "rate_limit_tokens",
    {
      cls: Anthropic.RateLimitError,
      status: 429,
      type: "rate_limit_error",
      message: /input tokens per minute/,
      headers: {
        "retry-after": "7",
        "anthropic-ratelimit-input-tokens-remaining": "0",
        "anthropic-ratelimit-input-tokens-reset": RFC3339
      }
    }
  ],
  // Anthropic has no TPM-specific answer; past the byte limit it is 413 (A.9 row 2).
  ["request_exceeds_tpm", { cls: Anthropic.ContentTooLargeError, status: 413, type: "request_too_large" }],
  [
    "slow_down",
    {
      cls: Anthropic.RampLimitExceededError,
      status: 429,
      type: "rate_limit_error",
      headers: { "retry-after": "7" },
      check: (o) => assert.strictEqual(o.error.errorCode, "ramp_limit_exceeded")
    }
  ],
  [
    "quota_exhausted",
    {
      cls: Anthropic.EnforcedSpendLimitReachedError,
      status: 429,
      type: "rate_limit_error",
      message: /workspace API usage limits/,
      check: (o) => assert.strictEqual(o.error.errorCode, "enforced_spend_limit_reached")
    }
  ],
  [
    "spend_limit",
    { cls: Anthropic.BadRequestError, status: 400, type: "invalid_request_error", message: /API usage limits/ }
  ],
  ["billing_error", { cls: Anthropic.PaymentRequiredError, status: 402, type: "billing_error" }],
  [
    "overloaded",
    {
      cls: Anthropic.OverloadedError,
      status: 529,
      type: "overloaded_error",
      message: /Overloaded/,
      headers: { "x-should-retry": "true" }
    }
  ],
  [
    "overloaded_in_stream",
    { cls: Anthropic.OverloadedError, status: 529, type: "overloaded_error" },
    // HTTP 200, then `event: error` — the SDK throws a bare APIError with no status.
    {
      cls: Anthropic.APIError,
      status: undefined,
      type: "overloaded_error",
      check: (o) => assert.isAtLeast(o.chunks, 1)
    }
  ],
  ["server_error", { cls: Anthropic.InternalServerError, status: 500, type: "api_error" }],
  ["bad_gateway", { cls: Anthropic.InternalServerError, status: 502, message: /502 Bad Gateway/ }],
  ["gateway_timeout", { cls: Anthropic.GatewayTimeoutError, status: 504, type: "timeout_error" }],
  [
    "invalid_key",
    { cls: Anthropic.AuthenticationError, status: 401, type: "authentication_error", message: /invalid x-api-key/ }
  ],
  ["permission_denied", { cls: Anthropic.PermissionDeniedError, status: 403, type: "permission_error" }],
  [
    "model_not_found",
    { cls: Anthropic.NotFoundError, status: 404, type: "not_found_error", message: /model: claude-sonnet-4-6/ }
  ],
  [
    "context_length_exceeded",
    {
      cls: Anthropic.BadRequestError,
      status: 400,
      type: "invalid_request_error",
      message: /prompt is too long: \d+ tokens > 200000 maximum/
    }
  ],
  ["request_too_large", { cls: Anthropic.ContentTooLargeError, status: 413, type: "request_too_large" }],
  ["malformed_request", { cls: Anthropic.BadRequestError, status: 400, type: "invalid_request_error" }],
  ["unprocessable", { cls: Anthropic.UnprocessableEntityError, status: 422, type: "invalid_request_error" }],
  ["conflict", { cls: Anthropic.ConflictError, status: 409, type: "conflict_error" }],
  // No input-side HTTP error: the model refuses with HTTP 200.
  ["input_blocked", { finish: "refusal", check: (o) => assert.strictEqual(o.text, "") }],
  ["invalid_prompt", { finish: "refusal", check: (o) => assert.strictEqual(o.text, "") }],
  // A streaming classifier stops mid-answer: partial text, then `refusal`.
  ["content_filter", { finish: "refusal", check: (o) => assert.isAbove(o.text.length, 0) }],
  ["refusal", { finish: "refusal" }],
  ["max_tokens", { finish: "max_tokens" }],
  ["model_context_window_exceeded", { finish: "model_context_window_exceeded" }],
  ["tool_call", { finish: "tool_use", toolArgsParse: true }],
  ["malformed_tool_call", { finish: "pause_turn" }],
  [
    "ok",
    {
      finish: "end_turn",
      check: (o) => {
        assert.include(o.text, "claude-sonnet-4-6")
        assert.isAbove(o.usage!.input, 0)
        assert.isAbove(o.usage!.output, 0)
      }
    }
  ]
]

describe("@anthropic-ai/sdk against the fake Anthropic upstream", () => {
  let upstream: Upstream
  beforeAll(async () => {
    upstream = await startUpstream({ kind: "anthropic" })
  })
  afterAll(() => upstream.close())

  for (const [fault, json, stream] of ANTHROPIC_TABLE) {
    for (const mode of ["json", "stream"] as const) {
      it(`${fault} (${mode})`, async () => {
        upstream.setScript([{ sequence: [fault] }])
        const o = await callAnthropic(upstream, { stream: mode === "stream", tools: fault.includes("tool_call") })
        assertOutcome(o, mode === "stream" ? (stream ?? json) : json)
        assert.strictEqual(upstream.requests.at(-1)!.fault, fault === "ok" ? undefined : fault)
      })
    }
  }

  it("retryAfterMs sets retry-after (whole seconds) and the reset timestamps", async () => {
    upstream.setScript([{ sequence: [{ fault: "rate_limit", retryAfterMs: 30_500 }] }])
    const before = Date.now()
    const o = await callAnthropic(upstream)
    assertOutcome(o, { cls: Anthropic.RateLimitError, headers: { "retry-after": "31" } })
    const reset = Date.parse(o.error.headers.get("anthropic-ratelimit-requests-reset"))
    assert.isAtLeast(reset, before + 30_000)
    assert.isAtMost(reset, before + 33_000)
  })

  it("a bare status step answers Anthropic's standard body for it", async () => {
    upstream.setScript([{ sequence: [529, 402, 500] }])
    assertOutcome(await callAnthropic(upstream), {
      cls: Anthropic.OverloadedError,
      status: 529,
      type: "overloaded_error"
    })
    assertOutcome(await callAnthropic(upstream), { cls: Anthropic.PaymentRequiredError, type: "billing_error" })
    assertOutcome(await callAnthropic(upstream), { cls: Anthropic.InternalServerError, type: "api_error" })
  })

  it("accepts the key as x-api-key as well as Authorization: Bearer", async () => {
    upstream.setScript([])
    const r = await fetch(`${upstream.origin}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": "sk-ant-raw", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "claude-haiku-4-5", max_tokens: 10, messages: [{ role: "user", content: "hi" }] })
    })
    assert.strictEqual(r.status, 200)
    assert.strictEqual(upstream.requests.at(-1)!.key, "sk-ant-raw")
  })
})
