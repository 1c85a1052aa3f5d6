/**
 * Every row of provider-signals.md A.9, as the official `@google/genai` client (no
 * retries) surfaces it. Its `ApiError` carries only `status` and the JSON body as the
 * message, so the google.rpc status and details (RetryInfo, QuotaFailure, ErrorInfo)
 * are read from there; HTTP 200 outcomes by finishReason and promptFeedback.blockReason.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { ApiError } from "@google/genai"
import type { Upstream } from "../src/index.ts"
import { startUpstream } from "../src/index.ts"
import type { Expect, ProviderTable } from "./support/expect.ts"
import { assertOutcome } from "./support/expect.ts"
import type { Outcome } from "./support/sdks.ts"
import { callGemini, geminiBody, geminiDetail } from "./support/sdks.ts"

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

const GEMINI_TABLE: ProviderTable = [
  [
    "rate_limit",
    rpc(429, "RESOURCE_EXHAUSTED", /You exceeded your current quota/, (o) => {
      assert.strictEqual(geminiDetail(o.error, "RetryInfo")?.retryDelay, "22s")
      assert.strictEqual(quotaId(o), "GenerateRequestsPerMinutePerProjectPerModel-FreeTier")
    })
  ],
  [
    "rate_limit_tokens",
    rpc(429, "RESOURCE_EXHAUSTED", /input_token_count/, (o) => {
      assert.strictEqual(geminiDetail(o.error, "RetryInfo")?.retryDelay, "22s")
      assert.strictEqual(quotaId(o), "GenerateContentInputTokensPerModelPerMinute-FreeTier")
    })
  ],
  // Gemini has no distinct "too large for the limit" answer: the TPM quota 429 it gives.
  [
    "request_exceeds_tpm",
    rpc(429, "RESOURCE_EXHAUSTED", undefined, (o) =>
      assert.strictEqual(quotaId(o), "GenerateContentInputTokensPerModelPerMinute-FreeTier")
    )
  ],
  ["slow_down", rpc(429, "RESOURCE_EXHAUSTED", undefined, (o) => assert.isDefined(geminiDetail(o.error, "RetryInfo")))],
  [
    "quota_exhausted",
    rpc(429, "RESOURCE_EXHAUSTED", /limit: 250/, (o) => {
      assert.strictEqual(quotaId(o), "GenerateRequestsPerDayPerProjectPerModel-FreeTier")
      assert.isUndefined(geminiDetail(o.error, "RetryInfo"))
    })
  ],
  ["spend_limit", rpc(429, "RESOURCE_EXHAUSTED", /prepayment credits are depleted/)],
  ["billing_error", rpc(400, "FAILED_PRECONDITION", /billing account/)],
  ["overloaded", rpc(503, "UNAVAILABLE", /The model is overloaded/)],
  [
    "overloaded_in_stream",
    rpc(503, "UNAVAILABLE"),
    // HTTP 200, then a `data: {"error":…}` chunk: the SDK throws ApiError with the chunk's code.
    {
      cls: ApiError,
      status: 503,
      message: /^got status: UNAVAILABLE\./,
      check: (o) => assert.strictEqual(geminiBody(o.error).error.status, "UNAVAILABLE")
    }
  ],
  ["server_error", rpc(500, "INTERNAL", /An internal error has occurred/)],
  // An HTML page from the front end: the SDK wraps the text in {error:{message,code,status}}.
  [
    "bad_gateway",
    {
      cls: ApiError,
      status: 502,
      check: (o) => assert.match(geminiBody(o.error).error.message, /502 Server Error/)
    }
  ],
  ["gateway_timeout", rpc(504, "DEADLINE_EXCEEDED")],
  [
    "invalid_key",
    rpc(400, "INVALID_ARGUMENT", /API key not valid/, (o) => {
      const info = geminiDetail(o.error, "ErrorInfo")
      assert.strictEqual(info?.reason, "API_KEY_INVALID")
      assert.strictEqual(info?.domain, "googleapis.com")
    })
  ],
  ["permission_denied", rpc(403, "PERMISSION_DENIED")],
  [
    "model_not_found",
    rpc(
      404,
      "NOT_FOUND",
      /models\/gemini-2\.5-flash is not found for API version v1(beta)?, or is not supported for generateContent/
    )
  ],
  [
    "context_length_exceeded",
    rpc(
      400,
      "INVALID_ARGUMENT",
      /The input token count \(\d+\) exceeds the maximum number of tokens allowed \(1048576\)/
    )
  ],
  ["request_too_large", rpc(400, "INVALID_ARGUMENT", /Request payload size exceeds the limit/)],
  ["malformed_request", rpc(400, "INVALID_ARGUMENT", /contents is not specified/)],
  ["unprocessable", rpc(400, "INVALID_ARGUMENT", /Invalid JSON payload received/)],
  ["conflict", rpc(409, "ABORTED")],
  // HTTP 200 with no candidates and promptFeedback.blockReason.
  ["input_blocked", { blockReason: "SAFETY", finish: undefined, check: (o) => assert.strictEqual(o.text, "") }],
  ["invalid_prompt", { blockReason: "PROHIBITED_CONTENT", finish: undefined }],
  ["content_filter", { finish: "SAFETY", check: (o) => assert.strictEqual(o.text, "") }],
  ["refusal", { finish: "SAFETY" }],
  ["max_tokens", { finish: "MAX_TOKENS" }],
  ["model_context_window_exceeded", { finish: "MAX_TOKENS" }],
  ["tool_call", { finish: "STOP", toolArgsParse: true }],
  ["malformed_tool_call", { finish: "MALFORMED_FUNCTION_CALL" }],
  [
    "ok",
    {
      finish: "STOP",
      check: (o) => {
        assert.include(o.text, "gemini-2.5-flash")
        assert.isAbove(o.usage!.input, 0)
        assert.isAbove(o.usage!.output, 0)
      }
    }
  ]
]

describe("@google/genai against the fake Gemini upstream", () => {
  let upstream: Upstream
  beforeAll(async () => {
    upstream = await startUpstream({ kind: "gemini" })
  })
  afterAll(() => upstream.close())

  for (const [fault, json, stream] of GEMINI_TABLE) {
    for (const mode of ["json", "stream"] as const) {
      it(`${fault} (${mode})`, async () => {
        upstream.setScript([{ sequence: [fault] }])
        const o = await callGemini(upstream, { stream: mode === "stream", tools: fault.includes("tool_call") })
        assertOutcome(o, mode === "stream" ? (stream ?? json) : json)
        assert.strictEqual(upstream.requests.at(-1)!.fault, fault === "ok" ? undefined : fault)
      })
    }
  }

  it("retryAfterMs becomes RetryInfo.retryDelay and the message's 'Please retry in'", async () => {
    upstream.setScript([{ sequence: [{ fault: "rate_limit", retryAfterMs: 1500 }] }])
    const o = await callGemini(upstream)
    assertOutcome(o, rpc(429, "RESOURCE_EXHAUSTED", /Please retry in 1\.5s\./))
    assert.strictEqual(geminiDetail(o.error, "RetryInfo")?.retryDelay, "1.5s")
  })

  it("blockReason and finishReason options pick the other documented values", async () => {
    upstream.setScript([
      {
        sequence: [
          { fault: "input_blocked", blockReason: "BLOCKLIST" },
          { fault: "content_filter", finishReason: "RECITATION" },
          { fault: "malformed_tool_call", finishReason: "TOO_MANY_TOOL_CALLS" }
        ]
      }
    ])
    assertOutcome(await callGemini(upstream), { blockReason: "BLOCKLIST" })
    assertOutcome(await callGemini(upstream), { finish: "RECITATION" })
    assertOutcome(await callGemini(upstream), { finish: "TOO_MANY_TOOL_CALLS" })
  })

  it("usageMetadata, responseId and modelVersion come with every answer and chunk", async () => {
    upstream.setScript([])
    const r = await fetch(`${upstream.origin}/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse&key=AIza-q`, {
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
    assert.strictEqual(upstream.requests.at(-1)!.key, "AIza-q")
  })

  it("a bare status step answers the google.rpc status for it", async () => {
    upstream.setScript([{ sequence: [401, 503, 499] }])
    assertOutcome(await callGemini(upstream), rpc(401, "UNAUTHENTICATED"))
    assertOutcome(await callGemini(upstream), rpc(503, "UNAVAILABLE"))
    assertOutcome(await callGemini(upstream), rpc(499, "CANCELLED"))
  })
})
