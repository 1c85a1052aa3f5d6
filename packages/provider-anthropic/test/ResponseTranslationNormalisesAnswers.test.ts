import { fromMessage, mapFinishReason, toUsage } from "@am/provider-anthropic"
import type { Message } from "@anthropic-ai/sdk/resources/messages"
import { assert, describe, it } from "@effect/vitest"

const message = (over: Partial<Message>): Message =>
  ({
    id: "msg_01",
    type: "message",
    role: "assistant",
    model: "claude-haiku-4-5-20251001",
    content: [{ type: "text", text: "Hello", citations: null }],
    stop_reason: "end_turn",
    stop_sequence: null,
    stop_details: null,
    container: null,
    diagnostics: null,
    usage: {
      input_tokens: 10,
      output_tokens: 5,
      cache_read_input_tokens: null,
      cache_creation_input_tokens: null,
      cache_creation: null,
      inference_geo: null,
      output_tokens_details: null,
      server_tool_use: null,
      service_tier: null,
      speed: null
    },
    ...over
  }) as Message

describe("response translation", () => {
  it("maps every Anthropic stop_reason to the core finish reason", () => {
    assert.strictEqual(mapFinishReason("end_turn"), "stop")
    assert.strictEqual(mapFinishReason("stop_sequence"), "stop")
    assert.strictEqual(mapFinishReason("max_tokens"), "length")
    assert.strictEqual(mapFinishReason("model_context_window_exceeded"), "length")
    assert.strictEqual(mapFinishReason("tool_use"), "tool_calls")
    assert.strictEqual(mapFinishReason("refusal"), "refusal")
    assert.strictEqual(mapFinishReason("pause_turn"), "length")
    assert.strictEqual(mapFinishReason("something_new"), "stop")
    assert.strictEqual(mapFinishReason(null), "stop")
  })

  it("sums uncached and cached input into inputTokens and reports the cache counts on their own", () => {
    const usage = toUsage({
      input_tokens: 7,
      output_tokens: 20,
      cache_read_input_tokens: 100,
      cache_creation_input_tokens: 30,
      output_tokens_details: { thinking_tokens: 12 }
    })
    assert.deepStrictEqual(usage, {
      inputTokens: 137,
      outputTokens: 20,
      totalTokens: 157,
      cacheReadInputTokens: 100,
      cacheCreationInputTokens: 30,
      reasoningOutputTokens: 12
    })
    assert.deepStrictEqual(toUsage({ input_tokens: 3, output_tokens: 4 }), {
      inputTokens: 3,
      outputTokens: 4,
      totalTokens: 7
    })
  })

  it("builds a Completion with text, model, ids and raw stop reason", () => {
    const c = fromMessage(message({}), "req_abc")
    assert.deepStrictEqual(c, {
      message: { role: "assistant", content: "Hello" },
      finishReason: "stop",
      usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 },
      provider: "anthropic",
      model: "claude-haiku-4-5-20251001",
      rawFinishReason: "end_turn",
      providerResponseId: "msg_01",
      providerRequestId: "req_abc"
    })
  })

  it("turns tool_use blocks into tool calls with JSON arguments", () => {
    const c = fromMessage(
      message({
        stop_reason: "tool_use",
        content: [
          { type: "thinking", thinking: "hmm", signature: "sig" },
          { type: "tool_use", id: "toolu_9", name: "weather", input: { city: "Paris" }, caller: { type: "direct" } }
        ] as unknown as Message["content"]
      })
    )
    assert.strictEqual(c.finishReason, "tool_calls")
    assert.isNull(c.message.content)
    assert.deepStrictEqual(c.message.toolCalls, [{ id: "toolu_9", name: "weather", arguments: '{"city":"Paris"}' }])
    assert.isUndefined(c.providerRequestId)
  })

  it("returns a refusal as a Completion with finishReason refusal and the explanation", () => {
    const c = fromMessage(
      message({
        stop_reason: "refusal",
        content: [],
        stop_details: { type: "refusal", category: "cyber", explanation: "Declined: cyber harm." }
      })
    )
    assert.strictEqual(c.finishReason, "refusal")
    assert.strictEqual(c.rawFinishReason, "refusal")
    assert.strictEqual(c.message.refusal, "Declined: cyber harm.")
    const plain = fromMessage(message({ stop_reason: "refusal" }))
    assert.strictEqual(plain.message.refusal, "Hello")
  })

  it("flags truncation (max_tokens, context window) as length", () => {
    assert.strictEqual(fromMessage(message({ stop_reason: "max_tokens" })).finishReason, "length")
    assert.strictEqual(
      fromMessage(message({ stop_reason: "model_context_window_exceeded" })).rawFinishReason,
      "model_context_window_exceeded"
    )
  })
})
