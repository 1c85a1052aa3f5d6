import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import {
  checkRequestSize,
  GuardConfig,
  limitAnswer,
  requestSize,
  resolveGuardConfig,
  type SizeLimits,
  streamLimiter
} from "../src/index.ts"

const limits: SizeLimits = {
  maxRequestChars: 100,
  maxRequestCharsByModel: { "small-model": 10 },
  maxAnswerChars: 8,
  answerOverflow: "truncate"
}

describe("size limits", () => {
  it("counts the text of every message, tool-call arguments included", () => {
    expect(
      requestSize([
        { role: "user", content: [{ type: "text", text: "abc" }] },
        { role: "assistant", content: null, toolCalls: [{ id: "1", name: "fn", arguments: '{"a":1}' }] },
        { role: "tool", toolCallId: "1", content: "12345" }
      ])
    ).toBe(3 + 2 + 7 + 5)
  })

  it("refuses a request above the model's own limit, else the default, with sizes only", () => {
    const messages = [{ role: "user" as const, content: "x".repeat(50) }]
    const error = checkRequestSize(messages, "small-model", limits)
    expect(error).toMatchObject({ _tag: "GuardLimitExceeded", reason: "request_too_large", limit: 10, size: 50 })
    expect(error!.message).not.toContain("xxxx")
    expect(checkRequestSize(messages, "other-model", limits)).toBeUndefined()
    expect(checkRequestSize(messages, "m", { answerOverflow: "fail" })).toBeUndefined()
  })

  it("cuts a long answer with finish reason length, or refuses it, per policy", () => {
    expect(limitAnswer("short", limits)).toEqual({ _tag: "Within", text: "short" })
    expect(limitAnswer("Hello, world", limits)).toEqual({ _tag: "Truncated", text: "Hello, w", finishReason: "length" })
    expect(limitAnswer("Hello, world", { ...limits, answerOverflow: "fail" })).toMatchObject({
      _tag: "TooLarge",
      error: { reason: "answer_too_large", limit: 8, size: 12 }
    })
    // never half a surrogate pair
    expect(limitAnswer("1234567😀", limits)).toEqual({ _tag: "Truncated", text: "1234567", finishReason: "length" })
  })

  it("limits a streamed answer across chunks", () => {
    const l = streamLimiter(limits)
    expect(l.push("Hello")).toEqual({ _tag: "Within", text: "Hello" })
    expect(l.push(", world")).toEqual({ _tag: "Truncated", text: ", w", finishReason: "length" })
    const f = streamLimiter({ ...limits, answerOverflow: "fail" })
    f.push("Hello")
    expect(f.push(", world")).toMatchObject({ _tag: "TooLarge", error: { size: 12 } })
  })

  it("reads the limits, sanitisation and verification from the config file with defaults", () => {
    const decoded = Schema.decodeUnknownSync(GuardConfig)({
      sanitize: { html: "escape" },
      limits: { maxRequestChars: 1000, maxRequestCharsByModel: { "gpt-4o-mini": 500 }, maxAnswerChars: 200 },
      verify: { enabled: true }
    })
    const r = resolveGuardConfig(decoded)
    expect(r.sanitize).toEqual({ controlChars: "strip", html: "escape" })
    expect(r.limits).toEqual({
      maxRequestChars: 1000,
      maxRequestCharsByModel: { "gpt-4o-mini": 500 },
      maxAnswerChars: 200,
      answerOverflow: "truncate"
    })
    expect(r.verify).toEqual({ enabled: true, threshold: 0.7 })
    expect(resolveGuardConfig({}).verify.enabled).toBe(false)
    expect(resolveGuardConfig({}).limits).toEqual({ answerOverflow: "truncate" })
  })

  it("rejects bad limits and policies, naming the field", () => {
    const bad = (input: unknown) => () => Schema.decodeUnknownSync(GuardConfig)(input)
    expect(bad({ limits: { maxAnswerChars: 0 } })).toThrow(/maxAnswerChars/)
    expect(bad({ limits: { answerOverflow: "explode" } })).toThrow(/answerOverflow/)
    expect(bad({ sanitize: { html: "remove" } })).toThrow(/html/)
    expect(bad({ verify: { threshold: 2 } })).toThrow(/threshold/)
  })
})
