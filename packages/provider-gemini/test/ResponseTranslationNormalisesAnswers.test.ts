import { assert, describe, it } from "@effect/vitest"
import type { GenerateContentResponse } from "@google/genai"
import {
  EmptyResponseError,
  fromGenerateContentResponse,
  GENERATED_TOOL_CALL_ID_PREFIX,
  makeThoughtSignatures,
  mapFinishReason,
  toUsage
} from "../src/index.ts"

const response = (r: Record<string, unknown>) => r as unknown as GenerateContentResponse

describe("a Gemini response becomes a core Completion", () => {
  it("text, usage, model version, response id and request id are read", () => {
    const c = fromGenerateContentResponse(
      response({
        candidates: [
          { content: { role: "model", parts: [{ text: "Hello " }, { text: "there" }] }, finishReason: "STOP" }
        ],
        usageMetadata: {
          promptTokenCount: 12,
          candidatesTokenCount: 5,
          cachedContentTokenCount: 4,
          thoughtsTokenCount: 3,
          totalTokenCount: 20
        },
        modelVersion: "gemini-2.5-flash-001",
        responseId: "resp-1",
        sdkHttpResponse: { headers: { "x-request-id": "req-9" } }
      }),
      "gemini-2.5-flash"
    )
    assert.deepStrictEqual(c.message, { role: "assistant", content: "Hello there" })
    assert.strictEqual(c.finishReason, "stop")
    assert.strictEqual(c.rawFinishReason, "STOP")
    assert.strictEqual(c.provider, "gemini")
    assert.strictEqual(c.model, "gemini-2.5-flash-001")
    assert.strictEqual(c.providerResponseId, "resp-1")
    assert.strictEqual(c.providerRequestId, "req-9")
    assert.deepStrictEqual(c.usage, {
      inputTokens: 12,
      outputTokens: 8,
      totalTokens: 20,
      cacheReadInputTokens: 4,
      reasoningOutputTokens: 3
    })
  })

  it("thought parts are not part of the answer", () => {
    const c = fromGenerateContentResponse(
      response({
        candidates: [
          { content: { parts: [{ text: "thinking…", thought: true }, { text: "42" }] }, finishReason: "STOP" }
        ]
      }),
      "m"
    )
    assert.strictEqual(c.message.content, "42")
  })

  it("function calls become tool calls (ids generated when Gemini sends none) and finish as tool_calls", () => {
    const signatures = makeThoughtSignatures()
    const c = fromGenerateContentResponse(
      response({
        candidates: [
          {
            content: {
              parts: [
                { functionCall: { id: "fc-1", name: "weather", args: { city: "Paris" } }, thoughtSignature: "sig-1" },
                { functionCall: { name: "weather", args: { city: "Rome" } } }
              ]
            },
            finishReason: "STOP"
          }
        ]
      }),
      "m",
      { signatures }
    )
    assert.strictEqual(c.finishReason, "tool_calls")
    assert.isNull(c.message.content)
    const calls = c.message.toolCalls!
    assert.strictEqual(calls.length, 2)
    assert.deepStrictEqual(calls[0], { id: "fc-1", name: "weather", arguments: '{"city":"Paris"}' })
    assert.isTrue(calls[1]!.id.startsWith(GENERATED_TOOL_CALL_ID_PREFIX))
    assert.notStrictEqual(calls[1]!.id, calls[0]!.id)
    assert.strictEqual(signatures.get("fc-1"), "sig-1")
  })

  it("a blocked prompt (no candidates, promptFeedback.blockReason) is content_filter with blockReason, not a failure", () => {
    const c = fromGenerateContentResponse(
      response({ promptFeedback: { blockReason: "PROHIBITED_CONTENT" }, usageMetadata: { promptTokenCount: 7 } }),
      "m"
    )
    assert.strictEqual(c.finishReason, "content_filter")
    assert.strictEqual(c.blockReason, "PROHIBITED_CONTENT")
    assert.strictEqual(c.message.content, "")
    assert.strictEqual(c.usage.inputTokens, 7)
  })

  it("an output filter (finishReason SAFETY with no content) is content_filter with the raw reason kept", () => {
    const c = fromGenerateContentResponse(response({ candidates: [{ finishReason: "SAFETY" }] }), "m")
    assert.strictEqual(c.finishReason, "content_filter")
    assert.strictEqual(c.rawFinishReason, "SAFETY")
  })

  it("a response with neither candidates nor a block reason is rejected as unreadable", () => {
    assert.throws(() => fromGenerateContentResponse(response({}), "m"), EmptyResponseError)
  })

  it("finish reasons map per the table in Completion.ts", () => {
    const table: Array<[string | undefined, boolean, string]> = [
      ["STOP", false, "stop"],
      ["STOP", true, "tool_calls"],
      [undefined, false, "stop"],
      ["MAX_TOKENS", false, "length"],
      ["MAX_TOKENS", true, "length"],
      ["SAFETY", false, "content_filter"],
      ["RECITATION", false, "content_filter"],
      ["BLOCKLIST", false, "content_filter"],
      ["PROHIBITED_CONTENT", false, "content_filter"],
      ["SPII", false, "content_filter"],
      ["LANGUAGE", false, "content_filter"],
      ["OTHER", false, "content_filter"],
      ["IMAGE_SAFETY", false, "content_filter"],
      ["IMAGE_PROHIBITED_CONTENT", false, "content_filter"],
      ["IMAGE_RECITATION", false, "content_filter"],
      ["IMAGE_OTHER", false, "content_filter"],
      ["MALFORMED_FUNCTION_CALL", false, "stop"],
      ["UNEXPECTED_TOOL_CALL", false, "stop"],
      ["TOO_MANY_TOOL_CALLS", false, "stop"],
      ["SOMETHING_NEW", false, "stop"]
    ]
    for (const [raw, tools, expected] of table) {
      assert.strictEqual(mapFinishReason(raw, tools), expected, `${raw} (tools: ${tools})`)
    }
  })

  it("usage without details omits the optional counters", () => {
    assert.deepStrictEqual(toUsage({ promptTokenCount: 3, candidatesTokenCount: 2 }), {
      inputTokens: 3,
      outputTokens: 2,
      totalTokens: 5
    })
    assert.deepStrictEqual(toUsage(undefined), { inputTokens: 0, outputTokens: 0, totalTokens: 0 })
  })
})
