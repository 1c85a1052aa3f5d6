import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { makeStreamTranslator } from "../src/index.ts"

const run = (chunks: ReadonlyArray<unknown>, kind: "openai" | "openai-compatible" = "openai") => {
  const t = makeStreamTranslator({ kind, model: "gpt-4o" })
  const out: Array<unknown> = []
  for (const c of chunks) {
    const r = t.push(c)
    if (Result.isFailure(r)) return { out, failure: r.failure }
    out.push(...r.success)
  }
  const f = t.finish()
  return Result.isSuccess(f) ? { out: [...out, f.success] } : { out, failure: f.failure }
}

const chunk = (delta: unknown, finish: string | null = null, extra: object = {}) => ({
  id: "chatcmpl-9",
  object: "chat.completion.chunk",
  model: "gpt-4o-2024-08-06",
  choices: [{ index: 0, delta, finish_reason: finish }],
  ...extra
})

describe("stream translation", () => {
  it("emits text deltas and a Finish with the usage that follows the finish reason", () => {
    const { out, failure } = run([
      chunk({ role: "assistant", content: "" }),
      chunk({ content: "Hel" }),
      chunk({ content: "lo" }),
      chunk({}, "stop"),
      {
        id: "chatcmpl-9",
        model: "gpt-4o-2024-08-06",
        choices: [],
        usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11, prompt_tokens_details: { cached_tokens: 4 } }
      }
    ])
    assert.isUndefined(failure)
    assert.deepStrictEqual(out, [
      { _tag: "TextDelta", text: "Hel" },
      { _tag: "TextDelta", text: "lo" },
      {
        _tag: "Finish",
        finishReason: "stop",
        rawFinishReason: "stop",
        usage: { inputTokens: 9, outputTokens: 2, totalTokens: 11, cacheReadInputTokens: 4 },
        model: "gpt-4o-2024-08-06",
        providerResponseId: "chatcmpl-9"
      }
    ])
  })

  it("emits tool-call deltas by index and numbers calls that come without one", () => {
    const { out } = run([
      chunk({
        tool_calls: [{ index: 0, id: "call_a", type: "function", function: { name: "get_weather", arguments: "" } }]
      }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
      chunk({}, "tool_calls")
    ])
    assert.deepStrictEqual(out.slice(0, 3), [
      { _tag: "ToolCallDelta", index: 0, id: "call_a", name: "get_weather" },
      { _tag: "ToolCallDelta", index: 0, argumentsDelta: '{"city":' },
      { _tag: "ToolCallDelta", index: 0, argumentsDelta: '"Paris"}' }
    ])
    assert.strictEqual((out[3] as any).finishReason, "tool_calls")

    const whole = run(
      [
        chunk({ tool_calls: [{ id: "c1", function: { name: "a", arguments: { x: 1 } } }] }),
        chunk({ tool_calls: [{ id: "c2", function: { name: "b", arguments: "{}" } }] }),
        chunk({}, "stop")
      ],
      "openai-compatible"
    )
    assert.deepStrictEqual(whole.out.slice(0, 2), [
      { _tag: "ToolCallDelta", index: 0, id: "c1", name: "a", argumentsDelta: '{"x":1}' },
      { _tag: "ToolCallDelta", index: 1, id: "c2", name: "b", argumentsDelta: "{}" }
    ])
    assert.strictEqual((whole.out[2] as any).finishReason, "tool_calls", "stop with tool calls is tool_calls")
  })

  it("turns refusal deltas into finishReason refusal without emitting them as text", () => {
    const { out } = run([
      chunk({ content: null, refusal: "" }),
      chunk({ refusal: "I can't" }),
      chunk({ refusal: " help." }),
      chunk({}, "stop")
    ])
    assert.strictEqual(out.length, 1)
    assert.strictEqual((out[0] as any).finishReason, "refusal")
  })

  it("reads Groq's x_groq.usage and tolerates chunks without id, model or usage", () => {
    const { out } = run(
      [
        { choices: [{ delta: { content: "hi" } }] },
        {
          choices: [{ delta: {}, finish_reason: "stop" }],
          x_groq: { usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } }
        }
      ],
      "openai-compatible"
    )
    assert.deepStrictEqual(out[1], {
      _tag: "Finish",
      finishReason: "stop",
      rawFinishReason: "stop",
      usage: { inputTokens: 3, outputTokens: 1, totalTokens: 4 },
      model: "gpt-4o"
    })
  })

  it("fails a stream that ends without a finish reason, and a chunk that is not a chunk", () => {
    const cut = run([chunk({ content: "Hel" })])
    assert.strictEqual(cut.failure, "stream ended before a finish reason")
    assert.deepStrictEqual(cut.out, [{ _tag: "TextDelta", text: "Hel" }])
    const garbage = run([chunk({ content: "a" }), { choices: "nope" }])
    assert.match(garbage.failure ?? "", /not a chat completion chunk/)
  })
})
