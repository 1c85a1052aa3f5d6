import type { CompletionRequest } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { GENERATED_TOOL_CALL_ID_PREFIX, makeThoughtSignatures, toGenerateContentParameters } from "../src/index.ts"

const req = (r: Partial<CompletionRequest> & Pick<CompletionRequest, "messages">): CompletionRequest => r

describe("a core request becomes Gemini generateContent parameters", () => {
  it("system messages go to systemInstruction, assistant turns become role model", () => {
    const p = toGenerateContentParameters(
      req({
        messages: [
          { role: "system", content: "Be brief." },
          { role: "system", content: "Answer in French." },
          { role: "user", content: "Hi" },
          { role: "assistant", content: "Salut" },
          { role: "user", content: "Again" }
        ]
      }),
      "gemini-2.5-flash"
    )
    assert.strictEqual(p.model, "gemini-2.5-flash")
    assert.deepStrictEqual(p.config.systemInstruction, {
      parts: [{ text: "Be brief." }, { text: "Answer in French." }]
    })
    assert.deepStrictEqual(p.contents, [
      { role: "user", parts: [{ text: "Hi" }] },
      { role: "model", parts: [{ text: "Salut" }] },
      { role: "user", parts: [{ text: "Again" }] }
    ])
  })

  it("sampling options map to Gemini names, and the SDK's own loops are switched off", () => {
    const p = toGenerateContentParameters(
      req({
        messages: [{ role: "user", content: "x" }],
        temperature: 0.3,
        topP: 0.9,
        maxTokens: 256,
        stop: ["END"],
        seed: 7,
        presencePenalty: 0.5,
        frequencyPenalty: -0.5
      }),
      "m"
    )
    assert.strictEqual(p.config.temperature, 0.3)
    assert.strictEqual(p.config.topP, 0.9)
    assert.strictEqual(p.config.maxOutputTokens, 256)
    assert.deepStrictEqual(p.config.stopSequences, ["END"])
    assert.strictEqual(p.config.seed, 7)
    assert.strictEqual(p.config.presencePenalty, 0.5)
    assert.strictEqual(p.config.frequencyPenalty, -0.5)
    assert.deepStrictEqual(p.config.automaticFunctionCalling, { disable: true })
    assert.strictEqual(p.config.automaticContinuation, false)
    assert.isUndefined(p.config.responseMimeType)
  })

  it("tool calls become functionCall parts and tool results functionResponse parts named after the call", () => {
    const p = toGenerateContentParameters(
      req({
        messages: [
          { role: "user", content: "Weather in Paris and Rome?" },
          {
            role: "assistant",
            content: null,
            toolCalls: [
              { id: "fc-1", name: "weather", arguments: '{"city":"Paris"}' },
              { id: `${GENERATED_TOOL_CALL_ID_PREFIX}abc`, name: "weather", arguments: '{"city":"Rome"}' }
            ]
          },
          { role: "tool", toolCallId: "fc-1", content: '{"tempC":21}' },
          { role: "tool", toolCallId: `${GENERATED_TOOL_CALL_ID_PREFIX}abc`, content: "sunny" }
        ]
      }),
      "m"
    )
    assert.deepStrictEqual(p.contents[1], {
      role: "model",
      parts: [
        { functionCall: { name: "weather", args: { city: "Paris" }, id: "fc-1" } },
        // An id the adapter invented is not sent upstream: Gemini never issued it.
        { functionCall: { name: "weather", args: { city: "Rome" } } }
      ]
    })
    // Parallel results travel in one user turn.
    assert.deepStrictEqual(p.contents[2], {
      role: "user",
      parts: [
        { functionResponse: { name: "weather", response: { tempC: 21 }, id: "fc-1" } },
        { functionResponse: { name: "weather", response: { output: "sunny" } } }
      ]
    })
    assert.strictEqual(p.contents.length, 3)
  })

  it("a known thought signature is re-attached to the function call it came with", () => {
    const signatures = makeThoughtSignatures()
    signatures.set("fc-9", "sig-abc")
    const p = toGenerateContentParameters(
      req({
        messages: [
          { role: "user", content: "x" },
          { role: "assistant", content: null, toolCalls: [{ id: "fc-9", name: "f", arguments: "{}" }] },
          { role: "tool", toolCallId: "fc-9", content: "1" }
        ]
      }),
      "m",
      signatures
    )
    assert.deepStrictEqual(p.contents[1]!.parts![0], {
      functionCall: { name: "f", args: {}, id: "fc-9" },
      thoughtSignature: "sig-abc"
    })
  })

  it("tools become function declarations with JSON-schema parameters; toolChoice maps to calling modes", () => {
    const base = {
      messages: [{ role: "user", content: "x" }] as CompletionRequest["messages"],
      tools: [{ name: "lookup", description: "Find it", parameters: { type: "object", properties: {} } }]
    }
    const auto = toGenerateContentParameters(req({ ...base, toolChoice: "auto" }), "m")
    assert.deepStrictEqual(auto.config.tools, [
      {
        functionDeclarations: [
          { name: "lookup", description: "Find it", parametersJsonSchema: { type: "object", properties: {} } }
        ]
      }
    ])
    assert.deepStrictEqual(auto.config.toolConfig, { functionCallingConfig: { mode: "AUTO" } } as never)
    const none = toGenerateContentParameters(req({ ...base, toolChoice: "none" }), "m")
    assert.strictEqual(none.config.toolConfig?.functionCallingConfig?.mode, "NONE")
    const required = toGenerateContentParameters(req({ ...base, toolChoice: "required" }), "m")
    assert.strictEqual(required.config.toolConfig?.functionCallingConfig?.mode, "ANY")
    const named = toGenerateContentParameters(req({ ...base, toolChoice: { name: "lookup" } }), "m")
    assert.deepStrictEqual(named.config.toolConfig, {
      functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["lookup"] }
    } as never)
  })

  it("JSON mode sets responseMimeType; json_schema also sends the schema as responseJsonSchema", () => {
    const messages: CompletionRequest["messages"] = [{ role: "user", content: "x" }]
    const json = toGenerateContentParameters(req({ messages, responseFormat: { type: "json_object" } }), "m")
    assert.strictEqual(json.config.responseMimeType, "application/json")
    assert.isUndefined(json.config.responseJsonSchema)
    const schema = { type: "object", properties: { a: { type: "string" } }, required: ["a"] }
    const typed = toGenerateContentParameters(
      req({ messages, responseFormat: { type: "json_schema", name: "A", schema } }),
      "m"
    )
    assert.strictEqual(typed.config.responseMimeType, "application/json")
    assert.deepStrictEqual(typed.config.responseJsonSchema, schema)
    const text = toGenerateContentParameters(req({ messages, responseFormat: { type: "text" } }), "m")
    assert.isUndefined(text.config.responseMimeType)
  })

  it("image parts become inlineData (data: URLs) or fileData (other URLs)", () => {
    const p = toGenerateContentParameters(
      req({
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "What is this?" },
              { type: "image", url: "data:image/png;base64,iVBORw0KGgo=" },
              { type: "image", url: "https://example.com/cat.webp" }
            ]
          }
        ]
      }),
      "m"
    )
    assert.deepStrictEqual(p.contents[0]!.parts, [
      { text: "What is this?" },
      { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } },
      { fileData: { fileUri: "https://example.com/cat.webp", mimeType: "image/webp" } }
    ])
  })
})
