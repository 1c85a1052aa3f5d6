/**
 * `reasoning` ↔ Gemini `thinkingConfig`: a budget or an effort becomes `thinkingBudget` with
 * `includeThoughts`, `none` switches thinking off, and thought parts come back as reasoning
 * (streamed as reasoning deltas), never as answer text.
 */
import { assert, describe, it } from "@effect/vitest"
import type { GenerateContentResponse } from "@google/genai"
import { fromGenerateContentResponse, makeStreamTranslator, toGenerateContentParameters } from "../src/index.ts"

const params = (reasoning: NonNullable<Parameters<typeof toGenerateContentParameters>[0]["reasoning"]>) =>
  toGenerateContentParameters({ messages: [{ role: "user", content: "Think" }], reasoning }, "gemini-2.5-flash").config
    .thinkingConfig

const thoughtful = {
  candidates: [
    {
      content: {
        role: "model",
        parts: [{ text: "Let me add.", thought: true, thoughtSignature: "gsig" }, { text: "4" }]
      },
      finishReason: "STOP"
    }
  ]
} as unknown as GenerateContentResponse

describe("reasoning becomes Gemini thinkingConfig", () => {
  it("maps budget, effort, adaptive and none", () => {
    assert.deepStrictEqual(params({ budgetTokens: 3000 }), { thinkingBudget: 3000, includeThoughts: true })
    assert.deepStrictEqual(params({ effort: "medium" }), { thinkingBudget: 8192, includeThoughts: true })
    assert.deepStrictEqual(params({ adaptive: true }), { thinkingBudget: -1, includeThoughts: true })
    assert.deepStrictEqual(params({ effort: "none" }), { thinkingBudget: 0 })
    const plain = toGenerateContentParameters({ messages: [{ role: "user", content: "Hi" }] }, "gemini-2.5-flash")
    assert.isUndefined(plain.config.thinkingConfig)
  })

  it("thought parts are reasoning, not text, in answers and streams", () => {
    const c = fromGenerateContentResponse(thoughtful, "gemini-2.5-flash")
    assert.strictEqual(c.message.content, "4")
    assert.deepStrictEqual(c.message.reasoning, [
      { type: "reasoning", text: "Let me add.", signature: "gsig", provider: "gemini" }
    ])
    const t = makeStreamTranslator("gemini-2.5-flash")
    assert.deepStrictEqual(t.push(thoughtful), [
      { _tag: "ReasoningDelta", index: 0, text: "Let me add.", signature: "gsig", provider: "gemini" },
      { _tag: "TextDelta", text: "4" }
    ])
  })
})
