import { ApiKey } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { ApiError } from "@google/genai"
import { Redacted } from "effect"
import { EmptyResponseError, parseGoogleError, readGoogleErrorDetails, toProviderFailure } from "../src/index.ts"

const SECRET = "AIzaSyTestSecretKey0123456789abcdefg"
const key = ApiKey.make("g1", Redacted.make(SECRET))
const ctx = { providerId: "primary", model: "gemini-2.5-flash", key }

const apiError = (status: number, error: Record<string, unknown>) =>
  new ApiError({ status, message: JSON.stringify({ error: { code: status, ...error } }) })

const RETRY = (delay: string) => ({ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: delay })
const INFO = (reason: string) => ({
  "@type": "type.googleapis.com/google.rpc.ErrorInfo",
  reason,
  domain: "googleapis.com",
  metadata: { service: "generativelanguage.googleapis.com" }
})
const QUOTA = (quotaId: string) => ({
  "@type": "type.googleapis.com/google.rpc.QuotaFailure",
  violations: [{ quotaMetric: "generativelanguage.googleapis.com/generate_content_free_tier_requests", quotaId }]
})

describe("SDK errors become ProviderFailures", () => {
  it("an invalid key (400 INVALID_ARGUMENT + ErrorInfo API_KEY_INVALID) carries the reason as errorCode", () => {
    const f = toProviderFailure(
      apiError(400, {
        message: "API key not valid. Please pass a valid API key.",
        status: "INVALID_ARGUMENT",
        details: [INFO("API_KEY_INVALID")]
      }),
      ctx
    )
    assert.strictEqual(f.kind, "http")
    assert.strictEqual(f.status, 400)
    assert.strictEqual(f.errorType, "INVALID_ARGUMENT")
    assert.strictEqual(f.errorCode, "API_KEY_INVALID")
    assert.strictEqual(f.message, "API key not valid. Please pass a valid API key.")
    assert.strictEqual(f.provider, "gemini")
    assert.strictEqual(f.providerId, "primary")
    assert.strictEqual(f.model, "gemini-2.5-flash")
    assert.strictEqual(f.keyId, "g1")
    assert.strictEqual(f.keyFingerprint, key.fingerprint)
    assert.isTrue(f.responseBytesReceived)
  })

  it("a rate limit (429 RESOURCE_EXHAUSTED) reads RetryInfo.retryDelay and the QuotaFailure quotaId", () => {
    const f = toProviderFailure(
      apiError(429, {
        message: "You exceeded your current quota. Please retry in 22.627s.",
        status: "RESOURCE_EXHAUSTED",
        details: [QUOTA("GenerateRequestsPerMinutePerProjectPerModel-FreeTier"), RETRY("22s")]
      }),
      ctx
    )
    assert.strictEqual(f.status, 429)
    assert.strictEqual(f.errorType, "RESOURCE_EXHAUSTED")
    assert.strictEqual(f.errorCode, "GenerateRequestsPerMinutePerProjectPerModel-FreeTier")
    assert.strictEqual(f.retryAfterMs, 22_000)
    assert.deepStrictEqual(f.rateLimit, {
      "quota-id": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
      "quota-metric": "generativelanguage.googleapis.com/generate_content_free_tier_requests"
    })
  })

  it("several QuotaFailure violations are all kept, joined with commas", () => {
    const f = toProviderFailure(
      apiError(429, {
        message: "quota",
        status: "RESOURCE_EXHAUSTED",
        details: [
          QUOTA("GenerateRequestsPerMinutePerProjectPerModel"),
          QUOTA("GenerateRequestsPerDayPerProjectPerModel")
        ]
      }),
      ctx
    )
    assert.strictEqual(
      f.errorCode,
      "GenerateRequestsPerMinutePerProjectPerModel,GenerateRequestsPerDayPerProjectPerModel"
    )
    assert.strictEqual(f.rateLimit?.["quota-id"], f.errorCode)
  })

  it("without RetryInfo, retry-after headers, then the message's 'retry in' are used", () => {
    const headers = new Headers({ "retry-after": "3", "x-request-id": "rid-1", "x-ratelimit-remaining-requests": "0" })
    const fromHeader = toProviderFailure(apiError(429, { message: "slow down", status: "RESOURCE_EXHAUSTED" }), {
      ...ctx,
      headers
    })
    assert.strictEqual(fromHeader.retryAfterMs, 3000)
    assert.strictEqual(fromHeader.requestId, "rid-1")
    assert.deepStrictEqual(fromHeader.rateLimit, { "x-ratelimit-remaining-requests": "0" })
    const fromText = toProviderFailure(
      apiError(429, { message: "Quota exceeded. Please retry in 1.5s.", status: "RESOURCE_EXHAUSTED" }),
      ctx
    )
    assert.strictEqual(fromText.retryAfterMs, 1500)
  })

  it("each Gemini status keeps its google.rpc code as errorType", () => {
    const rows: Array<[number, string]> = [
      [400, "FAILED_PRECONDITION"],
      [403, "PERMISSION_DENIED"],
      [404, "NOT_FOUND"],
      [409, "ABORTED"],
      [500, "INTERNAL"],
      [503, "UNAVAILABLE"],
      [504, "DEADLINE_EXCEEDED"]
    ]
    for (const [status, type] of rows) {
      const f = toProviderFailure(apiError(status, { message: `${type} happened`, status: type }), ctx)
      assert.strictEqual(f.status, status)
      assert.strictEqual(f.errorType, type)
      assert.strictEqual(f.kind, "http")
      assert.isUndefined(f.errorCode)
    }
  })

  it("a non-Google error body (a proxy's HTML) keeps the status and no errorType", () => {
    const f = toProviderFailure(
      new ApiError({
        status: 502,
        message: JSON.stringify({ error: { message: "<html>bad gateway</html>", code: 502, status: "Bad Gateway" } })
      }),
      ctx
    )
    assert.strictEqual(f.status, 502)
    assert.isUndefined(f.errorType)
    assert.strictEqual(f.message, "<html>bad gateway</html>")
  })

  it("an error event inside a 200 stream is kind stream with the event's type", () => {
    const event = { error: { code: 503, message: "The model is overloaded.", status: "UNAVAILABLE" } }
    const f = toProviderFailure(
      new ApiError({ status: 503, message: `got status: UNAVAILABLE. ${JSON.stringify(event)}` }),
      ctx
    )
    assert.strictEqual(f.kind, "stream")
    assert.strictEqual(f.status, 503)
    assert.strictEqual(f.errorType, "UNAVAILABLE")
    assert.strictEqual(f.message, "The model is overloaded.")
    assert.isTrue(f.responseBytesReceived)
  })

  it("aborts and undici timeouts are kind timeout", () => {
    const abort = toProviderFailure(new DOMException("This operation was aborted", "AbortError"), ctx)
    assert.strictEqual(abort.kind, "timeout")
    assert.isFalse(abort.responseBytesReceived)
    const headers = toProviderFailure(
      Object.assign(new TypeError("fetch failed"), {
        cause: Object.assign(new Error("Headers Timeout Error"), { code: "UND_ERR_HEADERS_TIMEOUT" })
      }),
      ctx
    )
    assert.strictEqual(headers.kind, "timeout")
    assert.strictEqual(headers.errorType, "UND_ERR_HEADERS_TIMEOUT")
    const stalled = toProviderFailure(new DOMException("This operation was aborted", "AbortError"), {
      ...ctx,
      streaming: true
    })
    assert.strictEqual(stalled.kind, "stream")
    assert.isTrue(stalled.responseBytesReceived)
  })

  it("connection failures are kind network; after a 200 stream they are kind stream", () => {
    const refused = Object.assign(new TypeError("fetch failed"), {
      cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" })
    })
    const f = toProviderFailure(refused, ctx)
    assert.strictEqual(f.kind, "network")
    assert.strictEqual(f.errorType, "ECONNREFUSED")
    assert.isFalse(f.responseBytesReceived)
    assert.include(f.message, "ECONNREFUSED")
    const cut = Object.assign(new TypeError("terminated"), {
      cause: Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" })
    })
    const s = toProviderFailure(cut, { ...ctx, streaming: true })
    assert.strictEqual(s.kind, "stream")
    assert.isTrue(s.responseBytesReceived)
  })

  it("unparseable bodies and empty responses are kind decode", () => {
    assert.strictEqual(toProviderFailure(new SyntaxError("Unexpected token < in JSON"), ctx).kind, "decode")
    assert.strictEqual(toProviderFailure(new EmptyResponseError("no candidates"), ctx).kind, "decode")
    // Mid-stream, an unreadable event is a stream failure: part of the answer may be out already.
    const midStream = toProviderFailure(new Error("exception parsing stream chunk {oops. SyntaxError"), {
      ...ctx,
      streaming: true,
      responseBytesReceived: false
    })
    assert.strictEqual(midStream.kind, "stream")
    assert.strictEqual(midStream.errorType, "decode")
    assert.isFalse(midStream.responseBytesReceived)
    assert.strictEqual(
      toProviderFailure(new Error("Incomplete JSON segment at the end"), { ...ctx, streaming: true }).kind,
      "stream"
    )
  })

  it("the key never appears in the failure, even when the upstream echoes it", () => {
    const f = toProviderFailure(
      apiError(400, {
        message: `API key ${SECRET} not valid (https://x/?key=${SECRET})`,
        status: "INVALID_ARGUMENT",
        details: [INFO("API_KEY_INVALID")]
      }),
      ctx
    )
    const json = JSON.stringify(f)
    assert.notInclude(json, SECRET)
    assert.notInclude(f.message, SECRET)
    assert.include(f.message, "[REDACTED]")
  })

  it("error bodies in arrays, and protobuf-style durations, are understood", () => {
    const parsed = parseGoogleError(
      JSON.stringify([{ error: { code: 429, message: "m", status: "RESOURCE_EXHAUSTED" } }])
    )
    assert.deepStrictEqual(parsed, { code: 429, message: "m", status: "RESOURCE_EXHAUSTED" })
    const details = readGoogleErrorDetails([
      { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: { seconds: 2, nanos: 500_000_000 } }
    ])
    assert.strictEqual(details.retryDelayMs, 2500)
  })
})
