import { makeStreamTranslator } from "@am/provider-anthropic"
import type { RawMessageStreamEvent } from "@anthropic-ai/sdk/resources/messages"
import { assert, describe, it } from "@effect/vitest"

const ev = (e: unknown) => e as RawMessageStreamEvent

describe("stream translation", () => {
  it("emits text and tool-call deltas and a Finish with merged usage on message_stop", () => {
    const t = makeStreamTranslator("requested-model")
    const events = [
      ev({
        type: "message_start",
        message: {
          id: "msg_s",
          model: "claude-haiku-4-5-20251001",
          content: [],
          stop_reason: null,
          usage: { input_tokens: 12, output_tokens: 1, cache_read_input_tokens: 50, cache_creation_input_tokens: 0 }
        }
      }),
      ev({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
      ev({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hel" } }),
      ev({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "lo" } }),
      ev({ type: "content_block_stop", index: 0 }),
      ev({
        type: "content_block_start",
        index: 1,
        content_block: { type: "tool_use", id: "toolu_1", name: "f", input: {} }
      }),
      ev({ type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: '{"a":' } }),
      ev({ type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: "1}" } }),
      ev({ type: "content_block_stop", index: 1 }),
      ev({
        type: "message_delta",
        delta: { stop_reason: "tool_use", stop_sequence: null },
        usage: { output_tokens: 30, input_tokens: null, cache_read_input_tokens: null }
      })
    ]
    const chunks = events.flatMap((e) => t.push(e))
    assert.isFalse(t.finished())
    assert.deepStrictEqual(chunks, [
      { _tag: "TextDelta", text: "Hel" },
      { _tag: "TextDelta", text: "lo" },
      { _tag: "ToolCallDelta", index: 0, id: "toolu_1", name: "f" },
      { _tag: "ToolCallDelta", index: 0, argumentsDelta: '{"a":' },
      { _tag: "ToolCallDelta", index: 0, argumentsDelta: "1}" }
    ])
    const finish = t.push(ev({ type: "message_stop" }))
    assert.isTrue(t.finished())
    assert.deepStrictEqual(finish, [
      {
        _tag: "Finish",
        finishReason: "tool_calls",
        rawFinishReason: "tool_use",
        model: "claude-haiku-4-5-20251001",
        providerResponseId: "msg_s",
        usage: {
          inputTokens: 62,
          outputTokens: 30,
          totalTokens: 92,
          cacheReadInputTokens: 50,
          cacheCreationInputTokens: 0
        }
      }
    ])
  })

  it("reports a streamed refusal in the Finish chunk", () => {
    const t = makeStreamTranslator("m")
    const chunks = [
      ev({ type: "message_delta", delta: { stop_reason: "refusal" }, usage: { output_tokens: 2 } }),
      ev({ type: "message_stop" })
    ].flatMap((e) => t.push(e))
    assert.deepStrictEqual(chunks, [
      {
        _tag: "Finish",
        finishReason: "refusal",
        rawFinishReason: "refusal",
        model: "m",
        usage: { inputTokens: 0, outputTokens: 2, totalTokens: 2 }
      }
    ])
    assert.isFalse(t.emitted())
  })

  it("streams thinking and redacted thinking as numbered reasoning deltas with their signatures", () => {
    const t = makeStreamTranslator("m")
    const chunks = [
      ev({ type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "", signature: "" } }),
      ev({ type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "plan" } }),
      ev({ type: "content_block_delta", index: 0, delta: { type: "signature_delta", signature: "sig-1" } }),
      ev({ type: "content_block_stop", index: 0 }),
      ev({ type: "content_block_start", index: 1, content_block: { type: "redacted_thinking", data: "enc" } }),
      ev({ type: "content_block_stop", index: 1 }),
      ev({ type: "content_block_start", index: 2, content_block: { type: "text", text: "" } }),
      ev({ type: "content_block_delta", index: 2, delta: { type: "text_delta", text: "Hi" } })
    ].flatMap((e) => t.push(e))
    assert.deepStrictEqual(chunks, [
      { _tag: "ReasoningDelta", index: 0, text: "plan" },
      { _tag: "ReasoningDelta", index: 0, signature: "sig-1", provider: "anthropic" },
      { _tag: "ReasoningDelta", index: 1, redactedData: "enc", provider: "anthropic" },
      { _tag: "TextDelta", text: "Hi" }
    ])
    assert.isTrue(t.emitted())
  })
})
