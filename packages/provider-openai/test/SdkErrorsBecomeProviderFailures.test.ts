import { ApiKey } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Redacted } from "effect"
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai"
import { parseRateLimitReset, toProviderFailure } from "../src/index.ts"

const SECRET = "sk-proj-SuperSecretValue0123456789"
const key = ApiKey.make("k1", Redacted.make(SECRET))
const context = { providerId: "primary", model: "gpt-4o", key }

const httpError = (status: number, error: unknown, headers: Record<string, string> = {}) =>
  APIError.generate(status, { error }, undefined, new Headers({ "x-request-id": "req_123", ...headers }))

describe("SDK errors become ProviderFailures", () => {
  it("an HTTP error carries status, type, code, message, retry-after, rate-limit headers and request id", () => {
    const error = httpError(
      429,
      {
        message: "Rate limit reached for gpt-4o on requests per min (RPM): Limit 500. Please try again in 1.574s.",
        type: "requests",
        code: "rate_limit_exceeded",
        param: null
      },
      {
        "retry-after-ms": "1574",
        "x-ratelimit-limit-requests": "500",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "1.574s",
        "openai-processing-ms": "12"
      }
    )
    const f = toProviderFailure(error, context)
    assert.strictEqual(f._tag, "ProviderFailure")
    assert.deepInclude(f, {
      provider: "openai",
      providerId: "primary",
      model: "gpt-4o",
      keyId: "k1",
      keyFingerprint: key.fingerprint,
      kind: "http",
      status: 429,
      errorType: "requests",
      errorCode: "rate_limit_exceeded",
      retryAfterMs: 1574,
      responseBytesReceived: true,
      requestId: "req_123"
    })
    assert.match(f.message, /^Rate limit reached for gpt-4o/)
    assert.deepStrictEqual(f.rateLimit, {
      "x-ratelimit-limit-requests": "500",
      "x-ratelimit-remaining-requests": "0",
      "x-ratelimit-reset-requests": "1.574s"
    })
  })

  it("a proxy's HTML error page is summarised by its title", () => {
    const html = "<html>\r\n<head><title>502 Bad Gateway</title></head><body><center>cloudflare</center></body></html>"
    const f = toProviderFailure(APIError.generate(502, undefined, html, new Headers()), context)
    assert.strictEqual(f.message, "502 Bad Gateway")
  })

  it("reads retry-after in seconds and as an HTTP date", () => {
    assert.strictEqual(
      toProviderFailure(httpError(503, { message: "busy" }, { "retry-after": "2" }), context).retryAfterMs,
      2000
    )
    const now = Date.parse("2025-01-01T00:00:00Z")
    const dated = toProviderFailure(
      httpError(503, { message: "busy" }, { "retry-after": "Wed, 01 Jan 2025 00:00:05 GMT" }),
      {
        ...context,
        now
      }
    )
    assert.strictEqual(dated.retryAfterMs, 5000)
    assert.isUndefined(toProviderFailure(httpError(500, { message: "boom" }), context).retryAfterMs)
  })

  it("tolerates compatible servers: string error bodies, numeric codes, -1 and integer-second resets", () => {
    const f = toProviderFailure(
      httpError(
        429,
        { message: "slow down", type: "rate_limit", code: 429 },
        { "x-ratelimit-reset-requests": "-1", "x-ratelimit-reset-tokens": "20" }
      ),
      { ...context, provider: "openai-compatible" }
    )
    assert.strictEqual(f.provider, "openai-compatible")
    assert.strictEqual(f.errorCode, "429")
    assert.deepStrictEqual(f.rateLimit, { "x-ratelimit-reset-requests": "-1", "x-ratelimit-reset-tokens": "20" })
    const stringBody = toProviderFailure(httpError(401, "Unauthorized"), context)
    assert.strictEqual(stringBody.message, "Unauthorized")
    assert.isUndefined(stringBody.errorType)
    const noBody = toProviderFailure(
      APIError.generate(502, undefined, "<html>Bad Gateway</html>", new Headers()),
      context
    )
    assert.strictEqual(noBody.status, 502)
    assert.strictEqual(noBody.kind, "http")

    assert.strictEqual(parseRateLimitReset("6m0s"), 360_000)
    assert.strictEqual(parseRateLimitReset("12ms"), 12)
    assert.strictEqual(parseRateLimitReset("1.574s"), 1574)
    assert.strictEqual(parseRateLimitReset("20"), 20_000)
    assert.strictEqual(parseRateLimitReset("0"), 0)
    assert.isUndefined(parseRateLimitReset("-1"))
    assert.isUndefined(parseRateLimitReset(""))
    assert.isUndefined(parseRateLimitReset("soon"))
  })

  it("an SSE error event after HTTP 200 is a stream failure with the event's type; bytes mean output sent", () => {
    const sse = new APIError(
      undefined,
      { message: "The engine is currently overloaded", type: "server_error", code: "server_is_overloaded" },
      undefined,
      new Headers({ "x-request-id": "req_sse" })
    )
    assert.deepInclude(toProviderFailure(sse, { ...context, streaming: true, responseBytesReceived: true }), {
      kind: "stream",
      errorType: "server_error",
      errorCode: "server_is_overloaded",
      responseBytesReceived: true,
      requestId: "req_sse"
    })
    // Before any content went downstream the same event is safe to retry.
    assert.deepInclude(toProviderFailure(sse, { ...context, streaming: true, responseBytesReceived: false }), {
      kind: "stream",
      responseBytesReceived: false
    })
    // Told nothing, assume output went out.
    assert.isTrue(toProviderFailure(sse, context).responseBytesReceived)
  })

  it("connection errors are network, timeouts are timeout, bad JSON is decode", () => {
    const reset = new APIConnectionError({
      message: "Connection error.",
      cause: Object.assign(new TypeError("fetch failed"), {
        cause: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })
      })
    })
    assert.deepInclude(toProviderFailure(reset, context), {
      kind: "network",
      errorCode: "ECONNRESET",
      responseBytesReceived: false
    })
    assert.match(toProviderFailure(reset, context).message, /socket hang up/)
    assert.deepInclude(toProviderFailure(new APIConnectionTimeoutError(), context), {
      kind: "timeout",
      responseBytesReceived: false
    })
    assert.deepInclude(toProviderFailure(new APIUserAbortError(), { ...context, responseBytesReceived: true }), {
      kind: "timeout",
      responseBytesReceived: true
    })
    assert.deepInclude(toProviderFailure(new SyntaxError("Unexpected token < in JSON"), context), {
      kind: "decode",
      responseBytesReceived: true
    })
  })

  it("after a stream's headers every failure but an HTTP status is a broken stream", () => {
    const streaming = { ...context, streaming: true, responseBytesReceived: false }
    assert.strictEqual(toProviderFailure(new APIConnectionTimeoutError(), streaming).kind, "stream")
    assert.strictEqual(toProviderFailure(new TypeError("terminated"), streaming).kind, "stream")
    assert.strictEqual(toProviderFailure(new SyntaxError("malformed server-sent event JSON"), streaming).kind, "stream")
    assert.strictEqual(toProviderFailure(httpError(503, { message: "busy" }), streaming).kind, "http")
    assert.isFalse(toProviderFailure(new SyntaxError("bad event"), streaming).responseBytesReceived)
    assert.strictEqual(
      toProviderFailure(new TypeError("terminated"), { ...context, responseBytesReceived: true }).kind,
      "network"
    )
    assert.strictEqual(
      toProviderFailure(new APIConnectionTimeoutError(), { ...context, streaming: false }).kind,
      "timeout"
    )
  })

  it("never carries the secret, wherever the upstream echoes it", () => {
    const failures = [
      toProviderFailure(
        httpError(401, {
          message: `Incorrect API key provided: ${SECRET}.`,
          type: "invalid_request_error",
          code: SECRET
        }),
        context
      ),
      toProviderFailure(httpError(429, { message: "x" }, { "x-ratelimit-limit-requests": SECRET }), context),
      toProviderFailure(new Error(`connect failed for Bearer ${SECRET}`), context),
      toProviderFailure(new APIConnectionError({ message: `bad ${SECRET}`, cause: new Error(SECRET) }), context)
    ]
    for (const f of failures) {
      const json = JSON.stringify(f)
      assert.notInclude(json, SECRET)
      assert.notInclude(json, SECRET.slice(8, 30))
    }
  })
})
