/**
 * The translation of core messages into Responses input hands OpenAI's own encrypted reasoning
 * back — the item id and encrypted content the answer carried, before the turn it led to — and
 * leaves out another provider's reasoning (an Anthropic signature means nothing to OpenAI).
 */
import { describe, expect, it } from "vitest"
import { Result } from "effect"
import { fromResponsesObject, toResponsesInput } from "../src/index.ts"

describe("OpenAI reasoning across a Responses turn", () => {
  it("an answer's reasoning item comes back as the same item in the next turn's input", () => {
    const answer = Result.getOrThrow(
      fromResponsesObject(
        {
          status: "completed",
          output: [
            { id: "rs_up_1", type: "reasoning", summary: [], encrypted_content: "gAAAA-enc" },
            { id: "msg_1", type: "message", role: "assistant", content: [{ type: "output_text", text: "42" }] }
          ]
        },
        { kind: "openai", model: "gpt-5" }
      )
    )
    const { input } = toResponsesInput([
      { role: "user", content: "Think" },
      answer.message,
      { role: "user", content: "And then?" }
    ])
    expect(input).toEqual([
      { type: "message", role: "user", content: "Think" },
      { type: "reasoning", id: "rs_up_1", summary: [], encrypted_content: "gAAAA-enc" },
      { type: "message", role: "assistant", content: "42" },
      { type: "message", role: "user", content: "And then?" }
    ])
  })

  it("another provider's reasoning, or reasoning without encrypted content, is not sent", () => {
    const { input } = toResponsesInput([
      {
        role: "assistant",
        content: "ok",
        reasoning: [
          { type: "reasoning", text: "hmm", signature: "sig-ant", provider: "anthropic" },
          { type: "reasoning", text: "plain" }
        ]
      }
    ])
    expect(input).toEqual([{ type: "message", role: "assistant", content: "ok" }])
  })
})
