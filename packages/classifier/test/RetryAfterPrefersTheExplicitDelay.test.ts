import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { Classifier, classify } from "../src/index.ts"
import { failure } from "./fixtures/failures.ts"

const NOW = Date.parse("2026-03-01T12:00:00Z")
const at = () => NOW

describe("retryAfterMs for rate limits", () => {
  it("explicit retry-after beats the message, the message beats the reset headers", () => {
    const headers = { "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "6m0s" }
    const msg = "Rate limit reached for requests. Please try again in 1.5s."
    const base = { status: 429, errorCode: "rate_limit_exceeded", rateLimit: headers }
    assert.strictEqual(classify(failure("openai", { ...base, message: msg, retryAfterMs: 700 })).retryAfterMs, 700)
    assert.strictEqual(classify(failure("openai", { ...base, message: msg })).retryAfterMs, 1500)
    assert.strictEqual(classify(failure("openai", { ...base, message: "Rate limit reached." })).retryAfterMs, 360_000)
  })

  it("an explicit retry-after of 0 is kept (retry now), not replaced by headers", () => {
    const c = classify(
      failure("openai", {
        status: 429,
        retryAfterMs: 0,
        message: "Please try again in 5s.",
        rateLimit: { "x-ratelimit-reset-requests": "1m" }
      })
    )
    assert.strictEqual(c.retryAfterMs, 0)
  })

  it("OpenAI reset headers: the exhausted limit's reset, else the one named by error.type, else the earliest", () => {
    const rl = (h: Record<string, string>, errorType?: string) =>
      classify(
        failure("openai", {
          status: 429,
          message: "Rate limit reached.",
          rateLimit: h,
          ...(errorType ? { errorType } : {})
        })
      ).retryAfterMs
    const both = { "x-ratelimit-reset-requests": "1s", "x-ratelimit-reset-tokens": "6m0s" }
    assert.strictEqual(
      rl({ ...both, "x-ratelimit-remaining-tokens": "0", "x-ratelimit-remaining-requests": "5" }),
      360_000
    )
    assert.strictEqual(
      rl({ ...both, "x-ratelimit-remaining-requests": "0", "x-ratelimit-remaining-tokens": "900" }),
      1000
    )
    assert.strictEqual(rl(both, "tokens"), 360_000)
    assert.strictEqual(rl(both, "requests"), 1000)
    assert.strictEqual(rl(both), 1000)
    assert.strictEqual(rl({ "x-ratelimit-reset-requests": "12ms" }), 12)
  })

  it("Azure integer-second resets count; its -1/0 placeholders are ignored", () => {
    const rl = (h: Record<string, string>) =>
      classify(failure("openai", { status: 429, message: "Too many requests", rateLimit: h })).retryAfterMs
    assert.strictEqual(rl({ "x-ratelimit-reset-requests": "7" }), 7000)
    assert.isUndefined(rl({ "x-ratelimit-reset-requests": "-1", "x-ratelimit-reset-tokens": "0" }))
  })

  it("Azure's 'Please retry after 6 seconds' message is read when no header came", () => {
    const c = classify(
      failure("openai", {
        status: 429,
        errorCode: "429",
        message:
          "Requests to the ChatCompletions_Create Operation have exceeded token rate limit. Please retry after 6 seconds."
      })
    )
    assert.strictEqual(c.retryAfterMs, 6000)
  })

  it("Anthropic RFC 3339 resets are measured from the given clock; past resets are ignored", () => {
    const rl = (h: Record<string, string>) =>
      classify(failure("anthropic", { status: 429, errorType: "rate_limit_error", message: "x", rateLimit: h }), {
        now: at
      }).retryAfterMs
    assert.strictEqual(rl({ "anthropic-ratelimit-tokens-reset": "2026-03-01T12:00:30Z" }), 30_000)
    assert.isUndefined(rl({ "anthropic-ratelimit-tokens-reset": "2026-03-01T11:59:00Z" }))
  })

  it("non-rate-limit rows take only the explicit retry-after; request and content rows take none", () => {
    const headers = { "x-ratelimit-reset-requests": "10s" }
    const overloaded = classify(
      failure("openai", { status: 503, message: "Please try again in 3s.", rateLimit: headers })
    )
    assert.isUndefined(overloaded.retryAfterMs)
    const withHeader = classify(failure("openai", { status: 503, message: "overloaded", retryAfterMs: 4000 }))
    assert.strictEqual(withHeader.retryAfterMs, 4000)
    const malformed = classify(failure("openai", { status: 400, message: "bad", retryAfterMs: 4000 }))
    assert.isUndefined(malformed.retryAfterMs)
  })

  it.effect("the Classifier service resolves reset timestamps against the Effect clock (TestClock)", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const classifier = yield* Classifier
      const f = failure("anthropic", {
        status: 429,
        errorType: "rate_limit_error",
        message: "rate limited",
        rateLimit: {
          "anthropic-ratelimit-requests-remaining": "0",
          "anthropic-ratelimit-requests-reset": "2026-03-01T12:01:00Z"
        }
      })
      assert.strictEqual(classifier.classify(f).retryAfterMs, 60_000)
      yield* TestClock.adjust("45 seconds")
      assert.strictEqual(classifier.classify(f).retryAfterMs, 15_000)
    }).pipe(Effect.provide(Classifier.layer))
  )
})
