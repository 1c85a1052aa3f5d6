import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { fromChatCompletion, mapFinishReason, toUsage } from "../src/index.ts"

const options = { kind: "openai", model: "gpt-4o", requestId: "req_abc" } as const

const ok = (body: unknown, opts: Parameters<typeof fromChatCompletion>[1] = options) => {
  const r = fromChatCompletion(body, opts)
  if (Result.isFailure(r)) throw new Error(`expected a completion, got: ${r.failure}`)
  return r.success
}

describe("response translation", () => {
  it("reads message, finish reason, ids, model and every usage detail", () => {
    const c = ok({
      id: "chatcmpl-1",
      object: "chat.completion",
      model: "gpt-4o-2024-08-06",
      choices: [{ index: 0, message: { role: "assistant", content: "Hello", refusal: null }, finish_reason: "stop" }],
      usage: {
        prompt_tokens: 100,
        completion_tokens: 20,
        total_tokens: 120,
        prompt_tokens_details: { cached_tokens: 64, cache_write_tokens: 8 },
        completion_tokens_details: { reasoning_tokens: 12 }
      }
    })
    assert.deepStrictEqual(c, {
      message: { role: "assistant", content: "Hello" },
      finishReason: "stop",
      rawFinishReason: "stop",
      usage: {
        inputTokens: 100,
        outputTokens: 20,
        totalTokens: 120,
        cacheReadInputTokens: 64,
        cacheCreationInputTokens: 8,
        reasoningOutputTokens: 12
      },
      provider: "openai",
      model: "gpt-4o-2024-08-06",
      providerResponseId: "chatcmpl-1",
      providerRequestId: "req_abc"
    })
  })

  it("maps message.refusal to finishReason refusal and keeps the refusal text", () => {
    const c = ok({
      id: "chatcmpl-2",
      model: "gpt-4o",
      choices: [{ index: 0, message: { content: null, refusal: "I can't help with that." }, finish_reason: "stop" }]
    })
    assert.strictEqual(c.finishReason, "refusal")
    assert.strictEqual(c.rawFinishReason, "stop")
    assert.strictEqual(c.message.refusal, "I can't help with that.")
    assert.isNull(c.message.content)
  })

  it("returns a content filter as a completion, not a failure", () => {
    const c = ok({ model: "gpt-4o", choices: [{ message: { content: "Partial" }, finish_reason: "content_filter" }] })
    assert.strictEqual(c.finishReason, "content_filter")
    assert.strictEqual(c.message.content, "Partial")
  })

  it("reads tool calls; a forced tool choice answered with stop is still tool_calls", () => {
    const c = ok({
      model: "gpt-4o",
      choices: [
        {
          message: {
            content: null,
            tool_calls: [
              { id: "call_a", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
              // An object instead of JSON text, as a few compatible servers send it.
              { id: "call_b", type: "function", function: { name: "now", arguments: { tz: "UTC" } } }
            ]
          },
          finish_reason: "stop"
        }
      ]
    })
    assert.strictEqual(c.finishReason, "tool_calls")
    assert.deepStrictEqual(c.message.toolCalls, [
      { id: "call_a", name: "get_weather", arguments: '{"city":"Paris"}' },
      { id: "call_b", name: "now", arguments: '{"tz":"UTC"}' }
    ])
  })

  it("tolerates what compatible servers leave out: id, model, usage, details, finish reason", () => {
    const c = ok(
      { choices: [{ message: { content: "hi", tool_calls: null }, finish_reason: null }], usage: null },
      { kind: "openai-compatible", model: "llama3.2" }
    )
    assert.deepStrictEqual(c, {
      message: { role: "assistant", content: "hi" },
      finishReason: "stop",
      usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
      provider: "openai-compatible",
      model: "llama3.2"
    })
    const partial = ok(
      {
        choices: [{ message: { content: "x" }, finish_reason: "eos" }],
        usage: { prompt_tokens: 5, completion_tokens: 2 }
      },
      { kind: "openai-compatible", model: "m" }
    )
    assert.deepStrictEqual(partial.usage, { inputTokens: 5, outputTokens: 2, totalTokens: 7 })
    assert.strictEqual(partial.finishReason, "stop")
    assert.strictEqual(partial.rawFinishReason, "eos")
  })

  it("gives tool calls without an id a stable one and reads the legacy function_call", () => {
    const c = ok(
      {
        choices: [
          {
            message: { content: null, tool_calls: [{ function: { name: "f", arguments: "{}" } }] },
            finish_reason: "tool_calls"
          }
        ]
      },
      { kind: "openai-compatible", model: "m" }
    )
    assert.deepStrictEqual(c.message.toolCalls, [{ id: "call_0", name: "f", arguments: "{}" }])
    const legacy = ok({
      choices: [
        { message: { content: null, function_call: { name: "g", arguments: "{}" } }, finish_reason: "function_call" }
      ]
    })
    assert.strictEqual(legacy.finishReason, "tool_calls")
    assert.deepStrictEqual(legacy.message.toolCalls, [{ id: "call_0", name: "g", arguments: "{}" }])
  })

  it("fails on a body that is not a chat completion or has no choice", () => {
    for (const body of [null, "upstream said hi", { error: { message: "oops" } }, { choices: [] }, { choices: [{}] }]) {
      assert.isTrue(Result.isFailure(fromChatCompletion(body, options)), JSON.stringify(body))
    }
  })

  it("normalises raw finish reasons from other servers and keeps unknown ones as stop", () => {
    assert.strictEqual(mapFinishReason("length"), "length")
    assert.strictEqual(mapFinishReason("max_tokens"), "length")
    assert.strictEqual(mapFinishReason("tool_use"), "tool_calls")
    assert.strictEqual(mapFinishReason("content_filter", { refusal: false }), "content_filter")
    assert.strictEqual(mapFinishReason("length", { refusal: true }), "refusal")
    assert.strictEqual(mapFinishReason("something_new"), "stop")
    assert.strictEqual(mapFinishReason(undefined, { toolCalls: true }), "tool_calls")
  })

  it("ignores malformed usage counters instead of failing the answer", () => {
    assert.deepStrictEqual(
      toUsage({ prompt_tokens: -3, completion_tokens: "7", total_tokens: 2.5, prompt_tokens_details: null }),
      { inputTokens: 0, outputTokens: 0, totalTokens: 2 }
    )
  })
})
