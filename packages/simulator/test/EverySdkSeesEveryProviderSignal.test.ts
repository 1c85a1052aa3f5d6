/**
 * Every row of provider-signals.md A.9, as each official client surfaces it, in JSON and in
 * SSE — one table, a row per fault, a column per SDK:
 *
 * - `openai` (maxRetries 0): error class, status, type, code, message and headers; for HTTP
 *   200 outcomes the finish reason and refusal.
 * - `@anthropic-ai/sdk` (maxRetries 0): error class, status, error type, `details.error_code`
 *   and headers (retry-after, anthropic-ratelimit-*, request-id), including the `error` event
 *   after HTTP 200; or the stop reason.
 * - `@google/genai` (no retries): its `ApiError` carries only `status` and the JSON body as
 *   the message, so the google.rpc status and details (RetryInfo, QuotaFailure, ErrorInfo) are
 *   read from there; HTTP 200 outcomes by finishReason and promptFeedback.blockReason.
 *
 * Then, per SDK, the announced wait of `retryAfterMs`, bare status steps, and what only that
 * provider has.
 */
import Anthropic from "@anthropic-ai/sdk"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { ApiError } from "@google/genai"
import OpenAI from "openai"
import type { FaultName, Upstream, UpstreamKind } from "../src/index.ts"
import { AnswerFaultNames, ProviderFaultNames, startUpstream } from "../src/index.ts"
import type { Expect } from "./support/expect.ts"
import { assertOutcome } from "./support/expect.ts"
import type { CallOptions, Outcome } from "./support/sdks.ts"
import { callAnthropic, callGemini, callOpenAI, geminiBody, geminiDetail } from "./support/sdks.ts"

/** One expectation for JSON and SSE alike, or one each (faults that differ once HTTP 200 is sent). */
type PerMode = Expect | { readonly json: Expect; readonly stream: Expect }

interface Row {
  readonly fault: FaultName | "ok"
  readonly openai: PerMode
  readonly anthropic: PerMode
  readonly gemini: PerMode
}

const forMode = (e: PerMode, mode: "json" | "stream"): Expect => ("json" in e ? e[mode] : e)

// ---- expectation helpers ------------------------------------------------------------

const openaiQuota: Expect = {
  cls: OpenAI.RateLimitError,
  status: 429,
  type: "insufficient_quota",
  code: "insufficient_quota",
  message: /You exceeded your current quota/
}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/

const rpc = (status: number, rpcStatus: string, message?: RegExp, check?: (o: Outcome) => void): Expect => ({
  cls: ApiError,
  status,
  check: (o) => {
    const body = geminiBody(o.error)
    assert.strictEqual(body.error.code, status)
    assert.strictEqual(body.error.status, rpcStatus)
    if (message !== undefined) assert.match(body.error.message, message)
    check?.(o)
  }
})

const quotaId = (o: Outcome) => geminiDetail(o.error, "QuotaFailure")?.violations?.[0]?.quotaId

const okAnswer = (finish: string, model: string): Expect => ({
  finish,
  check: (o) => {
    assert.include(o.text, model)
    assert.isAbove(o.usage!.input, 0)
    assert.isAbove(o.usage!.output, 0)
  }
})

// ---- the table ------------------------------------------------------------------------

const SIGNALS: ReadonlyArray<Row> = [
  {
    fault: "rate_limit",
    openai: {
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
    },
    anthropic: {
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
    },
    gemini: rpc(429, "RESOURCE_EXHAUSTED", /You exceeded your current quota/, (o) => {
      assert.strictEqual(geminiDetail(o.error, "RetryInfo")?.retryDelay, "22s")
      assert.strictEqual(quotaId(o), "GenerateRequestsPerMinutePerProjectPerModel-FreeTier")
    })
  },
  {
    fault: "rate_limit_tokens",
    openai: {
      cls: OpenAI.RateLimitError,
      status: 429,
      type: "tokens",
      code: "rate_limit_exceeded",
      message: /on tokens per min \(TPM\).*Please try again in 1\.574s\./,
      headers: { "x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "1.574s" }
    },
    anthropic: {
      cls: Anthropic.RateLimitError,
      status: 429,
      type: "rate_limit_error",
      message: /input tokens per minute/,
      headers: {
        "retry-after": "7",
        "anthropic-ratelimit-input-tokens-remaining": "0",
        "anthropic-ratelimit-input-tokens-reset": RFC3339
      }
    },
    gemini: rpc(429, "RESOURCE_EXHAUSTED", /input_token_count/, (o) => {
      assert.strictEqual(geminiDetail(o.error, "RetryInfo")?.retryDelay, "22s")
      assert.strictEqual(quotaId(o), "GenerateContentInputTokensPerModelPerMinute-FreeTier")
    })
  },
  {
    fault: "request_exceeds_tpm",
    openai: {
      cls: OpenAI.RateLimitError,
      status: 429,
      type: "tokens",
      code: "rate_limit_exceeded",
      message: /Request too large for gpt-4o-mini .* on tokens per min \(TPM\): Limit 30000, Requested 30601/
    },
    // Anthropic has no TPM-specific answer; past the byte limit it is 413 (A.9 row 2).
    anthropic: { cls: Anthropic.ContentTooLargeError, status: 413, type: "request_too_large" },
    // Gemini has no distinct "too large for the limit" answer: the TPM quota 429 it gives.
    gemini: rpc(429, "RESOURCE_EXHAUSTED", undefined, (o) =>
      assert.strictEqual(quotaId(o), "GenerateContentInputTokensPerModelPerMinute-FreeTier")
    )
  },
  {
    fault: "slow_down",
    openai: { cls: OpenAI.RateLimitError, status: 429, code: "slow_down", message: /reduce your request rate/ },
    anthropic: {
      cls: Anthropic.RampLimitExceededError,
      status: 429,
      type: "rate_limit_error",
      headers: { "retry-after": "7" },
      check: (o) => assert.strictEqual(o.error.errorCode, "ramp_limit_exceeded")
    },
    gemini: rpc(429, "RESOURCE_EXHAUSTED", undefined, (o) => assert.isDefined(geminiDetail(o.error, "RetryInfo")))
  },
  {
    fault: "quota_exhausted",
    openai: openaiQuota,
    anthropic: {
      cls: Anthropic.EnforcedSpendLimitReachedError,
      status: 429,
      type: "rate_limit_error",
      message: /workspace API usage limits/,
      check: (o) => assert.strictEqual(o.error.errorCode, "enforced_spend_limit_reached")
    },
    gemini: rpc(429, "RESOURCE_EXHAUSTED", /limit: 250/, (o) => {
      assert.strictEqual(quotaId(o), "GenerateRequestsPerDayPerProjectPerModel-FreeTier")
      assert.isUndefined(geminiDetail(o.error, "RetryInfo"))
    })
  },
  {
    fault: "spend_limit",
    openai: openaiQuota,
    anthropic: {
      cls: Anthropic.BadRequestError,
      status: 400,
      type: "invalid_request_error",
      message: /API usage limits/
    },
    gemini: rpc(429, "RESOURCE_EXHAUSTED", /prepayment credits are depleted/)
  },
  {
    fault: "billing_error",
    openai: openaiQuota,
    anthropic: { cls: Anthropic.PaymentRequiredError, status: 402, type: "billing_error" },
    gemini: rpc(400, "FAILED_PRECONDITION", /billing account/)
  },
  {
    fault: "overloaded",
    openai: {
      cls: OpenAI.InternalServerError,
      status: 503,
      type: "server_error",
      code: "server_is_overloaded",
      message: /The engine is currently overloaded/
    },
    anthropic: {
      cls: Anthropic.OverloadedError,
      status: 529,
      type: "overloaded_error",
      message: /Overloaded/,
      headers: { "x-should-retry": "true" }
    },
    gemini: rpc(503, "UNAVAILABLE", /The model is overloaded/)
  },
  {
    fault: "overloaded_in_stream",
    openai: {
      json: { cls: OpenAI.InternalServerError, status: 503, code: "server_is_overloaded" },
      // After HTTP 200 the error arrives as a `data: {"error":…}` event: a plain APIError without status.
      stream: {
        cls: OpenAI.APIError,
        status: undefined,
        type: "server_error",
        code: "server_is_overloaded",
        check: (o) => assert.isAtLeast(o.chunks, 1)
      }
    },
    anthropic: {
      json: { cls: Anthropic.OverloadedError, status: 529, type: "overloaded_error" },
      // HTTP 200, then `event: error` — the SDK throws a bare APIError with no status.
      stream: {
        cls: Anthropic.APIError,
        status: undefined,
        type: "overloaded_error",
        check: (o) => assert.isAtLeast(o.chunks, 1)
      }
    },
    gemini: {
      json: rpc(503, "UNAVAILABLE"),
      // HTTP 200, then a `data: {"error":…}` chunk: the SDK throws ApiError with the chunk's code.
      stream: {
        cls: ApiError,
        status: 503,
        message: /^got status: UNAVAILABLE\./,
        check: (o) => assert.strictEqual(geminiBody(o.error).error.status, "UNAVAILABLE")
      }
    }
  },
  {
    fault: "server_error",
    openai: {
      cls: OpenAI.InternalServerError,
      status: 500,
      type: "server_error",
      code: null,
      message: /The server had an error while processing your request/
    },
    anthropic: { cls: Anthropic.InternalServerError, status: 500, type: "api_error" },
    gemini: rpc(500, "INTERNAL", /An internal error has occurred/)
  },
  {
    fault: "bad_gateway",
    openai: { cls: OpenAI.InternalServerError, status: 502, message: /502 Bad Gateway/ },
    anthropic: { cls: Anthropic.InternalServerError, status: 502, message: /502 Bad Gateway/ },
    // An HTML page from the front end: the SDK wraps the text in {error:{message,code,status}}.
    gemini: {
      cls: ApiError,
      status: 502,
      check: (o) => assert.match(geminiBody(o.error).error.message, /502 Server Error/)
    }
  },
  {
    fault: "gateway_timeout",
    openai: { cls: OpenAI.InternalServerError, status: 504, message: /504 Gateway Time-out/ },
    anthropic: { cls: Anthropic.GatewayTimeoutError, status: 504, type: "timeout_error" },
    gemini: rpc(504, "DEADLINE_EXCEEDED")
  },
  {
    fault: "invalid_key",
    openai: {
      cls: OpenAI.AuthenticationError,
      status: 401,
      type: "invalid_request_error",
      code: "invalid_api_key",
      message: /Incorrect API key provided: sk-test\*+1234\./,
      check: (o) => assert.notInclude(String(o.error.message), "sk-test-openai-0000000000001234")
    },
    anthropic: {
      cls: Anthropic.AuthenticationError,
      status: 401,
      type: "authentication_error",
      message: /invalid x-api-key/
    },
    gemini: rpc(400, "INVALID_ARGUMENT", /API key not valid/, (o) => {
      const info = geminiDetail(o.error, "ErrorInfo")
      assert.strictEqual(info?.reason, "API_KEY_INVALID")
      assert.strictEqual(info?.domain, "googleapis.com")
    })
  },
  {
    fault: "permission_denied",
    openai: {
      cls: OpenAI.PermissionDeniedError,
      status: 403,
      code: "unsupported_country_region_territory",
      message: /Country, region, or territory not supported/
    },
    anthropic: { cls: Anthropic.PermissionDeniedError, status: 403, type: "permission_error" },
    gemini: rpc(403, "PERMISSION_DENIED")
  },
  {
    fault: "model_not_found",
    openai: {
      cls: OpenAI.NotFoundError,
      status: 404,
      type: "invalid_request_error",
      code: "model_not_found",
      message: /The model `gpt-4o-mini` does not exist or you do not have access to it\./
    },
    anthropic: {
      cls: Anthropic.NotFoundError,
      status: 404,
      type: "not_found_error",
      message: /model: claude-sonnet-4-6/
    },
    gemini: rpc(
      404,
      "NOT_FOUND",
      /models\/gemini-2\.5-flash is not found for API version v1(beta)?, or is not supported for generateContent/
    )
  },
  {
    fault: "context_length_exceeded",
    openai: {
      cls: OpenAI.BadRequestError,
      status: 400,
      type: "invalid_request_error",
      code: "context_length_exceeded",
      message: /maximum context length is 8192 tokens\. However, your messages resulted in \d+ tokens/,
      check: (o) => assert.strictEqual(o.error.param, "messages")
    },
    anthropic: {
      cls: Anthropic.BadRequestError,
      status: 400,
      type: "invalid_request_error",
      message: /prompt is too long: \d+ tokens > 200000 maximum/
    },
    gemini: rpc(
      400,
      "INVALID_ARGUMENT",
      /The input token count \(\d+\) exceeds the maximum number of tokens allowed \(1048576\)/
    )
  },
  {
    fault: "request_too_large",
    openai: { cls: OpenAI.APIError, status: 413, type: "invalid_request_error" },
    anthropic: { cls: Anthropic.ContentTooLargeError, status: 413, type: "request_too_large" },
    gemini: rpc(400, "INVALID_ARGUMENT", /Request payload size exceeds the limit/)
  },
  {
    fault: "malformed_request",
    openai: { cls: OpenAI.BadRequestError, status: 400, type: "invalid_request_error" },
    anthropic: { cls: Anthropic.BadRequestError, status: 400, type: "invalid_request_error" },
    gemini: rpc(400, "INVALID_ARGUMENT", /contents is not specified/)
  },
  {
    fault: "unprocessable",
    openai: { cls: OpenAI.UnprocessableEntityError, status: 422 },
    anthropic: { cls: Anthropic.UnprocessableEntityError, status: 422, type: "invalid_request_error" },
    gemini: rpc(400, "INVALID_ARGUMENT", /Invalid JSON payload received/)
  },
  {
    fault: "conflict",
    openai: { cls: OpenAI.ConflictError, status: 409 },
    anthropic: { cls: Anthropic.ConflictError, status: 409, type: "conflict_error" },
    gemini: rpc(409, "ABORTED")
  },
  {
    fault: "input_blocked",
    openai: {
      cls: OpenAI.BadRequestError,
      status: 400,
      type: "invalid_request_error",
      code: "content_policy_violation",
      message: /rejected as a result of our safety system/
    },
    // No input-side HTTP error: the model refuses with HTTP 200.
    anthropic: { finish: "refusal", check: (o) => assert.strictEqual(o.text, "") },
    // HTTP 200 with no candidates and promptFeedback.blockReason.
    gemini: { blockReason: "SAFETY", finish: undefined, check: (o) => assert.strictEqual(o.text, "") }
  },
  {
    fault: "invalid_prompt",
    openai: {
      cls: OpenAI.BadRequestError,
      status: 400,
      code: "invalid_prompt",
      message: /Invalid prompt: your prompt was flagged/
    },
    anthropic: { finish: "refusal", check: (o) => assert.strictEqual(o.text, "") },
    gemini: { blockReason: "PROHIBITED_CONTENT", finish: undefined }
  },
  {
    fault: "content_filter",
    openai: { finish: "content_filter" },
    // A streaming classifier stops mid-answer: partial text, then `refusal`.
    anthropic: { finish: "refusal", check: (o) => assert.isAbove(o.text.length, 0) },
    gemini: { finish: "SAFETY", check: (o) => assert.strictEqual(o.text, "") }
  },
  {
    fault: "refusal",
    openai: { finish: "stop", refusal: /can't help/, check: (o) => assert.strictEqual(o.text, "") },
    anthropic: { finish: "refusal" },
    gemini: { finish: "SAFETY" }
  },
  {
    fault: "max_tokens",
    openai: { finish: "length" },
    anthropic: { finish: "max_tokens" },
    gemini: { finish: "MAX_TOKENS" }
  },
  {
    fault: "model_context_window_exceeded",
    openai: { finish: "length" },
    anthropic: { finish: "model_context_window_exceeded" },
    gemini: { finish: "MAX_TOKENS" }
  },
  {
    fault: "tool_call",
    openai: { finish: "tool_calls", toolArgsParse: true },
    anthropic: { finish: "tool_use", toolArgsParse: true },
    gemini: { finish: "STOP", toolArgsParse: true }
  },
  {
    fault: "malformed_tool_call",
    openai: { finish: "tool_calls", toolArgsParse: false },
    anthropic: { finish: "pause_turn" },
    gemini: { finish: "MALFORMED_FUNCTION_CALL" }
  },
  {
    fault: "ok",
    openai: okAnswer("stop", "gpt-4o-mini"),
    anthropic: okAnswer("end_turn", "claude-sonnet-4-6"),
    gemini: okAnswer("STOP", "gemini-2.5-flash")
  }
]

// ---- per SDK: the client, announced waits, bare status steps, what only it has -------

interface Sdk {
  readonly title: string
  readonly call: (u: Upstream, o?: CallOptions) => Promise<Outcome>
  /** `rate_limit` with `retryAfterMs`: where the wait shows (message, headers, RetryInfo). */
  readonly retryAfter: {
    readonly title: string
    readonly ms: number
    readonly expect: Expect
    readonly check?: (o: Outcome, before: number) => void
  }
  /** A sequence of bare HTTP status steps and what each answers with. */
  readonly statuses: ReadonlyArray<readonly [status: number, expect: Expect]>
  readonly more: ReadonlyArray<readonly [title: string, run: (u: Upstream) => Promise<void>]>
}

const SDKS: Record<UpstreamKind, Sdk> = {
  openai: {
    title: "openai SDK against the simulated OpenAI upstream",
    call: callOpenAI,
    retryAfter: {
      title: "retryAfterMs sets the Go-style wait in the message and the reset header",
      ms: 360_000,
      expect: {
        cls: OpenAI.RateLimitError,
        message: /Please try again in 6m0s\./,
        headers: { "x-ratelimit-reset-requests": "6m0s" }
      }
    },
    statuses: [
      [503, { cls: OpenAI.InternalServerError, status: 503, code: "server_is_overloaded" }],
      [401, { cls: OpenAI.AuthenticationError, status: 401, code: "invalid_api_key" }],
      [418, { cls: OpenAI.APIError, status: 418, type: "invalid_request_error" }]
    ],
    more: [
      [
        "max_tokens smaller than the answer truncates it with finish_reason length",
        async (u) => {
          u.setScript([])
          const o = await callOpenAI(u, { maxTokens: 3 })
          assertOutcome(o, { finish: "length", check: (r) => assert.isAtMost(r.text.length, 12) })
        }
      ]
    ]
  },
  anthropic: {
    title: "@anthropic-ai/sdk against the simulated Anthropic upstream",
    call: callAnthropic,
    retryAfter: {
      title: "retryAfterMs sets retry-after (whole seconds) and the reset timestamps",
      ms: 30_500,
      expect: { cls: Anthropic.RateLimitError, headers: { "retry-after": "31" } },
      check: (o, before) => {
        const reset = Date.parse(o.error.headers.get("anthropic-ratelimit-requests-reset"))
        assert.isAtLeast(reset, before + 30_000)
        assert.isAtMost(reset, before + 33_000)
      }
    },
    statuses: [
      [529, { cls: Anthropic.OverloadedError, status: 529, type: "overloaded_error" }],
      [402, { cls: Anthropic.PaymentRequiredError, type: "billing_error" }],
      [500, { cls: Anthropic.InternalServerError, type: "api_error" }]
    ],
    more: [
      [
        "accepts the key as x-api-key as well as Authorization: Bearer",
        async (u) => {
          u.setScript([])
          const r = await fetch(`${u.origin}/v1/messages`, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              "x-api-key": "sk-ant-raw",
              "anthropic-version": "2023-06-01"
            },
            body: JSON.stringify({
              model: "claude-haiku-4-5",
              max_tokens: 10,
              messages: [{ role: "user", content: "hi" }]
            })
          })
          assert.strictEqual(r.status, 200)
          assert.strictEqual(u.requests.at(-1)!.key, "sk-ant-raw")
        }
      ]
    ]
  },
  gemini: {
    title: "@google/genai against the simulated Gemini upstream",
    call: callGemini,
    retryAfter: {
      title: "retryAfterMs becomes RetryInfo.retryDelay and the message's 'Please retry in'",
      ms: 1500,
      expect: rpc(429, "RESOURCE_EXHAUSTED", /Please retry in 1\.5s\./),
      check: (o) => assert.strictEqual(geminiDetail(o.error, "RetryInfo")?.retryDelay, "1.5s")
    },
    statuses: [
      [401, rpc(401, "UNAUTHENTICATED")],
      [503, rpc(503, "UNAVAILABLE")],
      [499, rpc(499, "CANCELLED")]
    ],
    more: [
      [
        "blockReason and finishReason options pick the other documented values",
        async (u) => {
          u.setScript([
            {
              sequence: [
                { fault: "input_blocked", blockReason: "BLOCKLIST" },
                { fault: "content_filter", finishReason: "RECITATION" },
                { fault: "malformed_tool_call", finishReason: "TOO_MANY_TOOL_CALLS" }
              ]
            }
          ])
          assertOutcome(await callGemini(u), { blockReason: "BLOCKLIST" })
          assertOutcome(await callGemini(u), { finish: "RECITATION" })
          assertOutcome(await callGemini(u), { finish: "TOO_MANY_TOOL_CALLS" })
        }
      ],
      [
        "usageMetadata, responseId and modelVersion come with every answer and chunk",
        async (u) => {
          u.setScript([])
          const r = await fetch(`${u.origin}/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse&key=AIza-q`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hello" }] }] })
          })
          const chunks = (await r.text())
            .split("\r\n\r\n")
            .filter((s) => s.startsWith("data: "))
            .map((s) => JSON.parse(s.slice(6)))
          assert.isAbove(chunks.length, 1)
          for (const c of chunks) {
            assert.isAbove(c.usageMetadata.promptTokenCount, 0)
            assert.strictEqual(c.modelVersion, "gemini-2.5-pro")
            assert.isString(c.responseId)
          }
          assert.strictEqual(u.requests.at(-1)!.key, "AIza-q")
        }
      ]
    ]
  }
}

// ---- the runs -------------------------------------------------------------------------

describe("the signal table", () => {
  it("has one row per provider and answer fault, and ok", () => {
    assert.deepStrictEqual(
      SIGNALS.map((r) => r.fault),
      [...ProviderFaultNames, ...AnswerFaultNames, "ok"]
    )
  })
})

for (const kind of ["openai", "anthropic", "gemini"] as const) {
  const sdk = SDKS[kind]
  describe(sdk.title, () => {
    let upstream: Upstream
    beforeAll(async () => {
      upstream = await startUpstream({ kind })
    })
    afterAll(() => upstream.close())

    for (const row of SIGNALS) {
      for (const mode of ["json", "stream"] as const) {
        it(`${row.fault} (${mode})`, async () => {
          upstream.setScript([{ sequence: [row.fault] }])
          const o = await sdk.call(upstream, { stream: mode === "stream", tools: row.fault.includes("tool_call") })
          assertOutcome(o, forMode(row[kind], mode))
          assert.strictEqual(upstream.requests.at(-1)!.fault, row.fault === "ok" ? undefined : row.fault)
        })
      }
    }

    it(sdk.retryAfter.title, async () => {
      upstream.setScript([{ sequence: [{ fault: "rate_limit", retryAfterMs: sdk.retryAfter.ms }] }])
      const before = Date.now()
      const o = await sdk.call(upstream)
      assertOutcome(o, sdk.retryAfter.expect)
      sdk.retryAfter.check?.(o, before)
    })

    it(`a bare status step answers the provider's standard body for it (${sdk.statuses.map(([s]) => s).join(", ")})`, async () => {
      upstream.setScript([{ sequence: sdk.statuses.map(([status]) => status) }])
      for (const [, expect] of sdk.statuses) assertOutcome(await sdk.call(upstream), expect)
    })

    for (const [title, run] of sdk.more) it(title, () => run(upstream))
  })
}
