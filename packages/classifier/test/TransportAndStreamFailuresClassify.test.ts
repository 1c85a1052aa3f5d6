import { assert, describe, it } from "@effect/vitest"
import { classify } from "../src/index.ts"
import { failure } from "./fixtures/failures.ts"

const summary = (c: ReturnType<typeof classify>) => [c.class, c.scope, c.retryable, c.errorType, c.rule]

describe.each(["openai", "anthropic", "gemini", "openai-compatible"])("%s transport failures", (provider) => {
  it("a connection reset is a network failure on the provider, retryable", () => {
    const c = classify(
      failure(provider, {
        kind: "network",
        errorCode: "ECONNRESET",
        message: "socket hang up",
        responseBytesReceived: false
      })
    )
    assert.deepStrictEqual(summary(c), ["network", "provider", true, "ECONNRESET", "network.connection"])
  })

  it("a client timeout is retryable even after response bytes arrived: nothing was forwarded", () => {
    const c = classify(
      failure(provider, { kind: "timeout", message: "Request timed out.", responseBytesReceived: true })
    )
    assert.deepStrictEqual(summary(c), ["timeout", "provider", true, "timeout", "timeout.client"])
  })

  it("a stream cut before the first content token is retryable", () => {
    const c = classify(failure(provider, { kind: "stream", message: "terminated", responseBytesReceived: false }))
    assert.deepStrictEqual(summary(c), [
      "stream_interrupted",
      "provider",
      true,
      "stream_interrupted",
      "stream.interrupted"
    ])
  })

  it("a stream cut after content reached the caller is not retryable (a retry would duplicate output)", () => {
    const c = classify(failure(provider, { kind: "stream", message: "stalled", responseBytesReceived: true }))
    assert.deepStrictEqual(summary(c), [
      "stream_interrupted",
      "provider",
      false,
      "stream_interrupted",
      "stream.interrupted"
    ])
  })

  it("an unparseable body is a server error on the provider", () => {
    const c = classify(
      failure(provider, {
        kind: "decode",
        status: 200,
        message: "Unexpected token < in JSON",
        responseBytesReceived: true
      })
    )
    assert.deepStrictEqual(summary(c), ["server_error", "provider", true, "decode_error", "decode.response"])
  })
})

describe("providers the table has no rows for", () => {
  const other = (fields: Parameters<typeof failure>[1]) => classify(failure("mistral", fields))
  it("fall back to the status-only rows", () => {
    assert.deepStrictEqual(summary(other({ status: 429, message: "" })), [
      "rate_limit",
      "key",
      true,
      "rate_limit",
      "http.429"
    ])
    assert.deepStrictEqual(summary(other({ status: 401, errorCode: "unauthorized", message: "" })), [
      "auth_invalid",
      "key",
      false,
      "unauthorized",
      "http.401"
    ])
    assert.strictEqual(other({ status: 402, message: "" }).class, "quota_exhausted")
    assert.strictEqual(other({ status: 403, message: "" }).class, "permission_denied")
    assert.strictEqual(other({ status: 404, message: "" }).scope, "model")
    assert.strictEqual(other({ status: 413, message: "" }).class, "request_too_large")
    assert.strictEqual(other({ status: 422, message: "" }).scope, "request")
    assert.strictEqual(other({ status: 409, message: "" }).class, "conflict")
    assert.strictEqual(other({ status: 500, message: "" }).class, "server_error")
    assert.strictEqual(other({ status: 502, message: "" }).class, "server_error")
    assert.strictEqual(other({ status: 503, message: "" }).class, "overloaded")
    assert.strictEqual(other({ status: 504, message: "" }).class, "server_error")
    assert.strictEqual(other({ status: 529, message: "" }).class, "overloaded")
    assert.deepStrictEqual(summary(other({ status: 418, message: "" })), [
      "invalid_request",
      "request",
      false,
      "http_418",
      "http.4xx"
    ])
    assert.deepStrictEqual(summary(other({ status: 599, errorType: "edge_failure", message: "" })), [
      "server_error",
      "provider",
      true,
      "edge_failure",
      "http.5xx"
    ])
  })

  it("an unrecognised signal is unknown: provider scope, retryable, error.type from what the provider sent", () => {
    assert.deepStrictEqual(summary(other({ status: 302, message: "Found" })), [
      "unknown",
      "provider",
      true,
      "http_302",
      "unknown"
    ])
    assert.deepStrictEqual(summary(other({ errorType: "weird_thing", message: "?" })), [
      "unknown",
      "provider",
      true,
      "weird_thing",
      "unknown"
    ])
    assert.deepStrictEqual(summary(classify(failure("openai", { message: "no status at all" }))), [
      "unknown",
      "provider",
      true,
      "unknown",
      "unknown"
    ])
  })
})
