import type { Completion } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { classify, contentFailureOf } from "../src/index.ts"

const completion = (over: Partial<Completion>): Completion => ({
  message: { role: "assistant", content: "hello" },
  finishReason: "stop",
  usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 },
  provider: "openai",
  model: "gpt-4o",
  ...over
})

const CONTEXT = { providerId: "primary", keyId: "k1", keyFingerprint: "fp_0123456789ab" }

describe("HTTP-200 outcomes that are not successes", () => {
  it("normal completions (stop, length, tool_calls) are not failures", () => {
    assert.isUndefined(contentFailureOf(completion({ finishReason: "stop", rawFinishReason: "stop" })))
    assert.isUndefined(contentFailureOf(completion({ finishReason: "length", rawFinishReason: "length" })))
    assert.isUndefined(
      contentFailureOf(completion({ provider: "anthropic", finishReason: "tool_calls", rawFinishReason: "tool_use" }))
    )
    assert.isUndefined(
      contentFailureOf(completion({ provider: "gemini", finishReason: "stop", rawFinishReason: "STOP" }))
    )
    assert.isUndefined(
      contentFailureOf(
        completion({ provider: "gemini", finishReason: "stop", blockReason: "BLOCKED_REASON_UNSPECIFIED" })
      )
    )
  })

  it("OpenAI finish_reason content_filter → content_policy/content, with status 200 and key context", () => {
    const f = contentFailureOf(
      completion({ finishReason: "content_filter", rawFinishReason: "content_filter" }),
      CONTEXT
    )
    assert.isDefined(f)
    assert.strictEqual(f!.kind, "content")
    assert.strictEqual(f!.status, 200)
    assert.strictEqual(f!.finishReason, "content_filter")
    assert.strictEqual(f!.keyId, "k1")
    assert.strictEqual(f!.keyFingerprint, "fp_0123456789ab")
    assert.strictEqual(f!.providerId, "primary")
    assert.deepStrictEqual(classify(f!), {
      class: "content_policy",
      scope: "content",
      retryable: false,
      errorType: "content_filter",
      rule: "content.output_filtered"
    })
  })

  it("OpenAI message.refusal (structured outputs) is a refusal even when finish_reason says stop", () => {
    const f = contentFailureOf(
      completion({
        message: { role: "assistant", content: null, refusal: "I can't help with that." },
        finishReason: "stop",
        rawFinishReason: "stop"
      })
    )
    assert.strictEqual(f?.finishReason, "refusal")
    assert.strictEqual(classify(f!).rule, "content.refusal")
  })

  it("Anthropic stop_reason refusal → content.refusal; the refusal text is not copied into the message", () => {
    const f = contentFailureOf(
      completion({
        provider: "anthropic",
        model: "claude-sonnet-4-5",
        message: { role: "assistant", content: null, refusal: "I won't write that about Alice Example." },
        finishReason: "refusal",
        rawFinishReason: "refusal",
        providerRequestId: "req_011"
      })
    )
    const c = classify(f!)
    assert.deepStrictEqual(
      [c.class, c.scope, c.retryable, c.errorType, c.rule],
      ["content_policy", "content", false, "refusal", "content.refusal"]
    )
    assert.notInclude(f!.message, "Alice")
    assert.strictEqual(f!.requestId, "req_011")
  })

  it("Gemini promptFeedback.blockReason → content.prompt_blocked with the block reason as error.type", () => {
    const f = contentFailureOf(
      completion({
        provider: "gemini",
        model: "gemini-2.5-flash",
        message: { role: "assistant", content: null },
        finishReason: "content_filter",
        blockReason: "PROHIBITED_CONTENT"
      })
    )
    assert.strictEqual(f?.blockReason, "PROHIBITED_CONTENT")
    const c = classify(f!)
    assert.deepStrictEqual(
      [c.class, c.scope, c.errorType, c.rule],
      ["content_policy", "content", "PROHIBITED_CONTENT", "content.prompt_blocked"]
    )
  })

  it.each(["SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"])(
    "Gemini finishReason %s → content.output_filtered with that reason",
    (raw) => {
      const f = contentFailureOf(
        completion({
          provider: "gemini",
          finishReason: "content_filter",
          rawFinishReason: raw,
          message: { role: "assistant", content: "" }
        })
      )
      const c = classify(f!)
      assert.deepStrictEqual(
        [c.class, c.scope, c.retryable, c.errorType, c.rule],
        ["content_policy", "content", false, raw, "content.output_filtered"]
      )
    }
  )

  it("a Gemini safety stop is caught even if an adapter left finishReason at stop", () => {
    const f = contentFailureOf(completion({ provider: "gemini", finishReason: "stop", rawFinishReason: "SAFETY" }))
    assert.strictEqual(classify(f!).scope, "content")
  })

  it.each(["MALFORMED_FUNCTION_CALL", "UNEXPECTED_TOOL_CALL", "TOO_MANY_TOOL_CALLS"])(
    "Gemini %s → next model (invalid_request/model), not a policy block and not the provider's health",
    (raw) => {
      const f = contentFailureOf(completion({ provider: "gemini", finishReason: "stop", rawFinishReason: raw }))
      assert.strictEqual(f?.kind, "decode")
      const c = classify(f!)
      assert.deepStrictEqual(
        [c.class, c.scope, c.retryable, c.errorType, c.rule],
        ["invalid_request", "model", false, raw, "gemini.200.tool_call_invalid"]
      )
    }
  )
})
