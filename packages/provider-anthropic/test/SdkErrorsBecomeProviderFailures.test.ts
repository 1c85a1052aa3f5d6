import { ApiKey } from "@am/core"
import { toProviderFailure } from "@am/provider-anthropic"
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  OverloadedError,
  RateLimitError
} from "@anthropic-ai/sdk"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Redacted } from "effect"

const secret = "sk-ant-api03-SECRETSECRETSECRET"
const key = ApiKey.make("anthropic-1", Redacted.make(secret))
const ctx = { providerId: "secondary", model: "claude-haiku-4-5", key }

describe("toProviderFailure", () => {
  it("reads status, type, details.error_code, retry-after, rate-limit headers and request-id", () => {
    const headers = new Headers({
      "retry-after": "7",
      "request-id": "req_011",
      "anthropic-ratelimit-requests-remaining": "0",
      "anthropic-ratelimit-requests-reset": "2026-01-01T00:00:07Z",
      "content-type": "application/json"
    })
    const body = {
      type: "error",
      error: {
        type: "rate_limit_error",
        message: "Spend limit reached",
        details: { error_code: "enforced_spend_limit_reached" }
      },
      request_id: "req_011"
    }
    const f = toProviderFailure(new RateLimitError(429, body, undefined, headers), ctx)
    assert.strictEqual(f.kind, "http")
    assert.strictEqual(f.status, 429)
    assert.strictEqual(f.errorType, "rate_limit_error")
    assert.strictEqual(f.errorCode, "enforced_spend_limit_reached")
    assert.strictEqual(f.message, "Spend limit reached")
    assert.strictEqual(f.retryAfterMs, 7000)
    assert.deepStrictEqual(f.rateLimit, {
      "anthropic-ratelimit-requests-remaining": "0",
      "anthropic-ratelimit-requests-reset": "2026-01-01T00:00:07Z"
    })
    assert.strictEqual(f.requestId, "req_011")
    assert.strictEqual(f.provider, "anthropic")
    assert.strictEqual(f.providerId, "secondary")
    assert.strictEqual(f.keyId, "anthropic-1")
    assert.strictEqual(f.keyFingerprint, key.fingerprint)
    assert.isTrue(f.responseBytesReceived)
  })

  it("prefers retry-after-ms over retry-after", () => {
    const headers = new Headers({ "retry-after-ms": "1500", "retry-after": "9" })
    const f = toProviderFailure(
      new OverloadedError(
        529,
        { type: "error", error: { type: "overloaded_error", message: "Overloaded" } },
        undefined,
        headers
      ),
      ctx
    )
    assert.strictEqual(f.status, 529)
    assert.strictEqual(f.errorType, "overloaded_error")
    assert.strictEqual(f.retryAfterMs, 1500)
  })

  it("treats an APIError without status (the SDK's SSE error event) as a stream failure after bytes", () => {
    const headers = new Headers({ "request-id": "req_sse" })
    const err = new APIError(
      undefined,
      { type: "error", error: { type: "overloaded_error", message: "Overloaded" } },
      undefined,
      headers,
      "overloaded_error"
    )
    const f = toProviderFailure(err, { ...ctx, streaming: true, responseBytesReceived: true })
    assert.strictEqual(f.kind, "stream")
    assert.isUndefined(f.status)
    assert.strictEqual(f.errorType, "overloaded_error")
    assert.strictEqual(f.requestId, "req_sse")
    assert.isTrue(f.responseBytesReceived)
    const beforeContent = toProviderFailure(err, { ...ctx, streaming: true, responseBytesReceived: false })
    assert.strictEqual(beforeContent.kind, "stream")
    assert.isFalse(beforeContent.responseBytesReceived)
  })

  it("reports every failure after content went downstream as kind stream", () => {
    const streaming = { ...ctx, streaming: true, responseBytesReceived: true }
    assert.strictEqual(toProviderFailure(new SyntaxError("bad"), streaming).kind, "stream")
    assert.strictEqual(toProviderFailure(new APIConnectionTimeoutError(), streaming).kind, "stream")
    const early = toProviderFailure(new SyntaxError("bad"), { ...streaming, responseBytesReceived: false })
    assert.strictEqual(early.kind, "decode")
    assert.isFalse(early.responseBytesReceived)
  })

  it("maps connection errors, timeouts and decode errors to their kinds", () => {
    const net = toProviderFailure(
      new APIConnectionError({ cause: new TypeError("fetch failed", { cause: new Error("other side closed") }) }),
      ctx
    )
    assert.strictEqual(net.kind, "network")
    assert.isFalse(net.responseBytesReceived)
    assert.include(net.message, "other side closed")
    const timeout = toProviderFailure(new APIConnectionTimeoutError(), ctx)
    assert.strictEqual(timeout.kind, "timeout")
    assert.isFalse(timeout.responseBytesReceived)
    assert.strictEqual(
      toProviderFailure(new Cause.TimeoutError(), { ...ctx, responseBytesReceived: true }).kind,
      "timeout"
    )
    const decode = toProviderFailure(new SyntaxError("Unexpected token < in JSON"), ctx)
    assert.strictEqual(decode.kind, "decode")
    assert.isTrue(decode.responseBytesReceived)
    const cut = toProviderFailure(new TypeError("terminated"), { ...ctx, responseBytesReceived: true, streaming: true })
    assert.strictEqual(cut.kind, "stream")
    const reset = toProviderFailure(new TypeError("terminated"), { ...ctx, responseBytesReceived: true })
    assert.strictEqual(reset.kind, "network")
    assert.isTrue(reset.responseBytesReceived)
  })

  it("never carries the secret, even when the provider echoes it", () => {
    const body = { type: "error", error: { type: "authentication_error", message: `invalid x-api-key ${secret}` } }
    const f = toProviderFailure(new APIError(401, body, undefined, new Headers()), ctx)
    assert.strictEqual(f.status, 401)
    assert.notInclude(JSON.stringify(f), secret)
    assert.notInclude(JSON.stringify(toProviderFailure(new Error(`boom ${secret}`), ctx)), secret)
  })
})
