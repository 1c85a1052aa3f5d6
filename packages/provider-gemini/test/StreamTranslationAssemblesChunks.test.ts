import { assert, describe, it } from "@effect/vitest"
import type { GenerateContentResponse } from "@google/genai"
import { chunkDeltas, finishChunk, makeStreamState, makeStreamTranslator } from "../src/index.ts"

const response = (r: Record<string, unknown>) => r as unknown as GenerateContentResponse

describe("streamed chunks become deltas and one Finish", () => {
  it("text and tool-call deltas are emitted in order; the last usage and finish reason win", () => {
    const state = makeStreamState()
    const a = chunkDeltas(
      state,
      response({ candidates: [{ content: { parts: [{ text: "Hel" }] } }], usageMetadata: { promptTokenCount: 4 } })
    )
    const b = chunkDeltas(
      state,
      response({
        candidates: [
          {
            content: { parts: [{ text: "lo" }, { functionCall: { id: "x", name: "f", args: { a: 1 } } }] },
            finishReason: "STOP"
          }
        ],
        usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 6, totalTokenCount: 10 },
        modelVersion: "gemini-x",
        responseId: "r-1"
      })
    )
    assert.deepStrictEqual(a, [{ _tag: "TextDelta", text: "Hel" }])
    assert.deepStrictEqual(b, [
      { _tag: "TextDelta", text: "lo" },
      { _tag: "ToolCallDelta", index: 0, id: "x", name: "f", argumentsDelta: '{"a":1}' }
    ])
    assert.deepStrictEqual(finishChunk(state, "m"), {
      _tag: "Finish",
      finishReason: "tool_calls",
      usage: { inputTokens: 4, outputTokens: 6, totalTokens: 10 },
      model: "gemini-x",
      rawFinishReason: "STOP",
      providerResponseId: "r-1"
    })
  })

  it("a prompt block in the stream finishes as content_filter with blockReason", () => {
    const state = makeStreamState()
    assert.deepStrictEqual(chunkDeltas(state, response({ promptFeedback: { blockReason: "SAFETY" } })), [])
    const finish = finishChunk(state, "m")
    assert.strictEqual(finish?._tag, "Finish")
    assert.deepStrictEqual(finish, {
      _tag: "Finish",
      finishReason: "content_filter",
      usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
      model: "m",
      blockReason: "SAFETY"
    })
  })

  it("a stream that ended without a finish reason has no Finish (the adapter fails it as cut)", () => {
    const state = makeStreamState()
    chunkDeltas(state, response({ candidates: [{ content: { parts: [{ text: "partial" }] } }] }))
    assert.isUndefined(finishChunk(state, "m"))
  })
})

describe("the stream translator (the shape all three adapters share)", () => {
  it("pushes deltas, tracks whether content went out, and finishes once a finish reason arrived", () => {
    const t = makeStreamTranslator("gemini-2.5-flash")
    assert.isFalse(t.emitted())
    assert.isUndefined(t.finish())
    assert.deepStrictEqual(
      t.push(response({ candidates: [{ content: { parts: [{ text: "Hi" }] }, finishReason: "STOP" }] })),
      [{ _tag: "TextDelta", text: "Hi" }]
    )
    assert.isTrue(t.emitted())
    assert.deepInclude(t.finish(), { _tag: "Finish", finishReason: "stop", model: "gemini-2.5-flash" })
  })
})
