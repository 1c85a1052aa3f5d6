import type { CompletionRequest } from "@am/core"
import { DEFAULT_MAX_TOKENS, JSON_OBJECT_INSTRUCTION, toMessageParams } from "@am/provider-anthropic"
import { assert, describe, it } from "@effect/vitest"

const req = (r: Partial<CompletionRequest> & Pick<CompletionRequest, "messages">): CompletionRequest => r

describe("request translation", () => {
  it("lifts every system message into the top-level system field", () => {
    const params = toMessageParams(
      req({
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "Hi" },
          { role: "system", content: "Answer in French." }
        ]
      }),
      "claude-haiku-4-5"
    )
    assert.strictEqual(params.system, "Be brief.\n\nAnswer in French.")
    assert.deepStrictEqual(params.messages, [{ role: "user", content: "Hi" }])
    assert.strictEqual(params.model, "claude-haiku-4-5")
  })

  it("defaults max_tokens when the request names none, and honours the request's value", () => {
    const messages: CompletionRequest["messages"] = [{ role: "user", content: "Hi" }]
    assert.strictEqual(toMessageParams(req({ messages }), "m").max_tokens, DEFAULT_MAX_TOKENS)
    assert.strictEqual(DEFAULT_MAX_TOKENS, 1024)
    assert.strictEqual(toMessageParams(req({ messages }), "m", { defaultMaxTokens: 300 }).max_tokens, 300)
    assert.strictEqual(toMessageParams(req({ messages, maxTokens: 77 }), "m", { defaultMaxTokens: 300 }).max_tokens, 77)
  })

  it("turns tool calls into tool_use blocks and tool results into tool_result blocks in one user turn", () => {
    const params = toMessageParams(
      req({
        messages: [
          { role: "user", content: "Weather in Paris and Rome?" },
          {
            role: "assistant",
            content: "Checking.",
            toolCalls: [
              { id: "toolu_1", name: "weather", arguments: '{"city":"Paris"}' },
              { id: "toolu_2", name: "weather", arguments: '{"city":"Rome"}' }
            ]
          },
          { role: "tool", toolCallId: "toolu_1", content: "18C" },
          { role: "tool", toolCallId: "toolu_2", content: [{ type: "text", text: "21C" }] },
          { role: "user", content: "Thanks, which is warmer?" }
        ]
      }),
      "m"
    )
    assert.deepStrictEqual(params.messages, [
      { role: "user", content: "Weather in Paris and Rome?" },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Checking." },
          { type: "tool_use", id: "toolu_1", name: "weather", input: { city: "Paris" } },
          { type: "tool_use", id: "toolu_2", name: "weather", input: { city: "Rome" } }
        ]
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "toolu_1", content: "18C" },
          { type: "tool_result", tool_use_id: "toolu_2", content: [{ type: "text", text: "21C" }] },
          { type: "text", text: "Thanks, which is warmer?" }
        ]
      }
    ])
  })

  it("merges consecutive same-role messages and puts tool results first in a user turn", () => {
    const params = toMessageParams(
      req({
        messages: [
          { role: "user", content: "one" },
          { role: "user", content: [{ type: "text", text: "two" }] },
          { role: "assistant", content: null, toolCalls: [{ id: "t1", name: "f", arguments: "" }] },
          { role: "user", content: "aside" },
          { role: "tool", toolCallId: "t1", content: "done" }
        ]
      }),
      "m"
    )
    assert.deepStrictEqual(params.messages, [
      {
        role: "user",
        content: [
          { type: "text", text: "one" },
          { type: "text", text: "two" }
        ]
      },
      { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "f", input: {} }] },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "t1", content: "done" },
          { type: "text", text: "aside" }
        ]
      }
    ])
  })

  it("drops an empty assistant turn and passes unparseable tool arguments on for the API to judge", () => {
    const params = toMessageParams(
      req({
        messages: [
          { role: "user", content: "a" },
          { role: "assistant", content: null },
          { role: "user", content: "b" },
          { role: "assistant", content: "", toolCalls: [{ id: "t", name: "f", arguments: "{not json" }] }
        ]
      }),
      "m"
    )
    assert.deepStrictEqual(params.messages, [
      {
        role: "user",
        content: [
          { type: "text", text: "a" },
          { type: "text", text: "b" }
        ]
      },
      { role: "assistant", content: [{ type: "tool_use", id: "t", name: "f", input: "{not json" }] }
    ])
  })

  it("translates images: data URLs to base64 sources, other URLs to url sources", () => {
    const params = toMessageParams(
      req({
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "What is this?" },
              { type: "image", url: "data:image/jpeg;base64,QUJD" },
              { type: "image", url: "https://example.com/cat.png" }
            ]
          }
        ]
      }),
      "m"
    )
    assert.deepStrictEqual(params.messages[0]!.content, [
      { type: "text", text: "What is this?" },
      { type: "image", source: { type: "base64", media_type: "image/jpeg", data: "QUJD" } },
      { type: "image", source: { type: "url", url: "https://example.com/cat.png" } }
    ])
  })

  it("drops sampling options Anthropic rejects and maps stop sequences, tools and tool choice", () => {
    const params = toMessageParams(
      req({
        messages: [{ role: "user", content: "x" }],
        temperature: 1.7,
        topP: 0.9,
        stop: ["END"],
        seed: 42,
        presencePenalty: 1,
        tools: [
          {
            name: "lookup",
            description: "Look up",
            parameters: { type: "object", properties: { q: { type: "string" } } }
          },
          { name: "now" }
        ],
        toolChoice: "required"
      }),
      "m"
    )
    // API version 2026-10-21 rejects any sampling parameter with a 400.
    assert.isFalse("temperature" in params)
    assert.isFalse("top_p" in params)
    assert.deepStrictEqual(params.stop_sequences, ["END"])
    assert.deepStrictEqual(params.tool_choice, { type: "any" })
    assert.deepStrictEqual(params.tools, [
      {
        name: "lookup",
        description: "Look up",
        input_schema: { type: "object", properties: { q: { type: "string" } } }
      },
      { name: "now", input_schema: { type: "object", properties: {} } }
    ])
    assert.isFalse("seed" in params)
    const named = toMessageParams(
      req({ messages: [{ role: "user", content: "x" }], tools: [{ name: "now" }], toolChoice: { name: "now" } }),
      "m"
    )
    assert.deepStrictEqual(named.tool_choice, { type: "tool", name: "now" })
    const noTools = toMessageParams(req({ messages: [{ role: "user", content: "x" }], toolChoice: "auto" }), "m")
    assert.isUndefined(noTools.tool_choice, "tool_choice is only sent with tools")
  })

  it("asks for JSON with a system instruction (json_object) or output_config.format (json_schema)", () => {
    const object = toMessageParams(
      req({
        messages: [
          { role: "system", content: "You are terse." },
          { role: "user", content: "x" }
        ],
        responseFormat: { type: "json_object" }
      }),
      "m"
    )
    assert.strictEqual(object.system, `You are terse.\n\n${JSON_OBJECT_INSTRUCTION}`)
    assert.isUndefined(object.output_config)
    const schema = { type: "object", properties: { a: { type: "number" } }, required: ["a"] }
    const withSchema = toMessageParams(
      req({ messages: [{ role: "user", content: "x" }], responseFormat: { type: "json_schema", name: "A", schema } }),
      "m"
    )
    assert.deepStrictEqual(withSchema.output_config, { format: { type: "json_schema", schema } })
    assert.isUndefined(withSchema.system)
  })
})
