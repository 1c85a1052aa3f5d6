import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { ApiKey, fingerprint, parseDurationText, parseRetryAfter, sanitizeMessage } from "../src/index.ts"

describe("key material never leaves in failure messages", () => {
  it("removes the call's own key wherever it occurs", () => {
    const out = sanitizeMessage("bad key my-custom-secret-1234 in header my-custom-secret-1234", [
      "my-custom-secret-1234"
    ])
    assert.notInclude(out, "my-custom-secret-1234")
  })
  it("removes OpenAI, Anthropic and Gemini key shapes and masked echoes", () => {
    const out = sanitizeMessage(
      "Incorrect API key provided: sk-abc1***wxyz. also sk-ant-api03-AAAAAAAAAAAA and AIzaSyA1234567890123456789012345678 ?key=AIzaXYZ"
    )
    assert.notMatch(out, /sk-abc1|sk-ant-api03-A|AIzaSyA1|AIzaXYZ/)
    assert.include(out, "Incorrect API key provided: [REDACTED]")
  })
  it("caps the message length", () => {
    assert.isAtMost(sanitizeMessage("x".repeat(5000)).length, 500)
  })
  it.effect("a key's fingerprint is stable, distinct per key and not the secret", () =>
    Effect.sync(() => {
      const a = ApiKey.make("k1", Redacted.make("sk-test-aaaaaaaaaaaa"))
      const b = ApiKey.make("k2", Redacted.make("sk-test-bbbbbbbbbbbb"))
      assert.strictEqual(a.fingerprint, fingerprint("sk-test-aaaaaaaaaaaa"))
      assert.notStrictEqual(a.fingerprint, b.fingerprint)
      assert.match(a.fingerprint, /^fp_[0-9a-f]{12}$/)
      assert.notInclude(JSON.stringify(ApiKey.ref(a)), "sk-test")
      assert.notInclude(String(a.secret), "sk-test")
    })
  )
})

describe("retry-after parsing", () => {
  const h = (o: Record<string, string>) => ({ get: (n: string) => o[n] })
  it("prefers retry-after-ms, accepts float seconds and HTTP dates, clamps past dates", () => {
    assert.strictEqual(parseRetryAfter(h({ "retry-after-ms": "1500", "retry-after": "9" }), 0), 1500)
    assert.strictEqual(parseRetryAfter(h({ "retry-after": "2.5" }), 0), 2500)
    const now = Date.parse("2026-01-01T00:00:00Z")
    assert.strictEqual(parseRetryAfter(h({ "retry-after": "Thu, 01 Jan 2026 00:00:30 GMT" }), now), 30_000)
    assert.strictEqual(parseRetryAfter(h({ "retry-after": "Wed, 31 Dec 2025 00:00:00 GMT" }), now), 0)
    assert.strictEqual(parseRetryAfter(h({}), now), undefined)
  })
  it("parses Go and protobuf durations", () => {
    assert.strictEqual(parseDurationText("22s"), 22_000)
    assert.strictEqual(parseDurationText("6m0s"), 360_000)
    assert.strictEqual(parseDurationText("12ms"), 12)
    assert.strictEqual(parseDurationText("1.5s"), 1500)
    assert.strictEqual(parseDurationText("soon"), undefined)
  })
})
