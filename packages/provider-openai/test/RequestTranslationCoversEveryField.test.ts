import type { CompletionRequest } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { toChatCompletionRequest } from "../src/index.ts"

const conversation: CompletionRequest = {
  messages: [
    { role: "system", content: "You are terse." },
    {
      role: "user",
      name: "ada",
      content: [
        { type: "text", text: "What is in this picture?" },
        { type: "image", url: "data:image/png;base64,iVBORw0KGgo=", mediaType: "image/png" }
      ]
    },
    {
      role: "assistant",
      content: null,
      toolCalls: [{ id: "call_1", name: "lookup", arguments: '{"q":"cat"}' }]
    },
    { role: "tool", toolCallId: "call_1", content: [{ type: "text", text: "a cat" }] },
    { role: "assistant", content: "", refusal: "I can't help with that." },
    { role: "user", content: "Thanks" }
  ]
}

describe("request translation", () => {
  it("translates every message role, content parts, tool calls and tool results", () => {
    const body = toChatCompletionRequest(conversation, { model: "gpt-4o", kind: "openai" })
    assert.strictEqual(body.model, "gpt-4o")
    assert.deepStrictEqual(body.messages, [
      { role: "system", content: "You are terse." },
      {
        role: "user",
        name: "ada",
        content: [
          { type: "text", text: "What is in this picture?" },
          { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } }
        ]
      },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "call_1", type: "function", function: { name: "lookup", arguments: '{"q":"cat"}' } }]
      },
      { role: "tool", tool_call_id: "call_1", content: "a cat" },
      { role: "assistant", content: "", refusal: "I can't help with that." },
      { role: "user", content: "Thanks" }
    ])
    assert.isUndefined(body.stream)
  })

  it("maps sampling, limits, tools, tool choice and every response format", () => {
    const request: CompletionRequest = {
      messages: [{ role: "user", content: "Weather?" }],
      temperature: 0.2,
      topP: 0.9,
      maxTokens: 256,
      stop: ["END"],
      seed: 42,
      presencePenalty: 0.5,
      frequencyPenalty: -0.5,
      tools: [
        { name: "get_weather", description: "Weather by city", parameters: { type: "object", properties: {} } },
        { name: "now" }
      ],
      toolChoice: { name: "get_weather" },
      responseFormat: { type: "json_schema", name: "weather", schema: { type: "object" }, strict: true },
      metadata: { workspaceId: "team-a" },
      idempotencyKey: "idem-1"
    }
    const body = toChatCompletionRequest(request, { model: "gpt-4o", kind: "openai" })
    assert.deepStrictEqual(body, {
      model: "gpt-4o",
      messages: [{ role: "user", content: "Weather?" }],
      temperature: 0.2,
      top_p: 0.9,
      max_completion_tokens: 256,
      stop: ["END"],
      seed: 42,
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
      tools: [
        {
          type: "function",
          function: {
            name: "get_weather",
            description: "Weather by city",
            parameters: { type: "object", properties: {} }
          }
        },
        { type: "function", function: { name: "now" } }
      ],
      tool_choice: { type: "function", function: { name: "get_weather" } },
      response_format: {
        type: "json_schema",
        json_schema: { name: "weather", schema: { type: "object" }, strict: true }
      }
    })

    const jsonMode = toChatCompletionRequest(
      {
        messages: [{ role: "user", content: "JSON please" }],
        responseFormat: { type: "json_object" },
        toolChoice: "required"
      },
      { model: "m", kind: "openai" }
    )
    assert.deepStrictEqual(jsonMode.response_format, { type: "json_object" })
    assert.strictEqual(jsonMode.tool_choice, "required")
    const text = toChatCompletionRequest(
      { messages: [{ role: "user", content: "x" }], responseFormat: { type: "text" }, toolChoice: "none" },
      { model: "m", kind: "openai" }
    )
    assert.deepStrictEqual(text.response_format, { type: "text" })
    assert.strictEqual(text.tool_choice, "none")
  })

  it("sends max_tokens to openai-compatible servers and max_completion_tokens to OpenAI", () => {
    const request: CompletionRequest = { messages: [{ role: "user", content: "hi" }], maxTokens: 10 }
    const compatible = toChatCompletionRequest(request, { model: "llama3", kind: "openai-compatible" })
    assert.strictEqual(compatible.max_tokens, 10)
    assert.isUndefined(compatible.max_completion_tokens)
    const openai = toChatCompletionRequest(request, { model: "o3", kind: "openai" })
    assert.strictEqual(openai.max_completion_tokens, 10)
    assert.isUndefined(openai.max_tokens)
  })

  it("asks for the usage chunk when streaming unless told not to", () => {
    const request: CompletionRequest = { messages: [{ role: "user", content: "hi" }] }
    const streaming = toChatCompletionRequest(request, { model: "m", kind: "openai", stream: true })
    assert.strictEqual(streaming.stream, true)
    assert.deepStrictEqual(streaming.stream_options, { include_usage: true })
    const bare = toChatCompletionRequest(request, {
      model: "m",
      kind: "openai-compatible",
      stream: true,
      includeStreamUsage: false
    })
    assert.strictEqual(bare.stream, true)
    assert.isUndefined(bare.stream_options)
  })
})
