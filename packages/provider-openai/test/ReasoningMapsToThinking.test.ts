/**
 * `reasoning` ↔ OpenAI `reasoning_effort`: sent to reasoning models only (an effort as is, a
 * budget through the shared table), and the reasoning text OpenAI-compatible servers return
 * (`reasoning_content`, `reasoning`) comes back as reasoning, streamed as reasoning deltas.
 */
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { fromChatCompletion, isReasoningModel, makeStreamTranslator, toChatCompletionRequest } from "../src/index.ts"

const body = (model: string, reasoning: { effort?: "low" | "high"; budgetTokens?: number }) =>
  toChatCompletionRequest({ messages: [{ role: "user", content: "Think" }], reasoning }, { model, kind: "openai" })

describe("reasoning becomes reasoning_effort", () => {
  it("names reasoning models by their family", () => {
    for (const m of ["o3", "o4-mini", "gpt-5", "gpt-5.1-codex", "openai/gpt-oss-120b"])
      assert.isTrue(isReasoningModel(m), m)
    for (const m of ["gpt-4o", "gpt-4.1-mini", "llama3.2"]) assert.isFalse(isReasoningModel(m), m)
  })

  it("sends an effort, or one derived from a budget, to reasoning models only", () => {
    assert.strictEqual(body("o4-mini", { effort: "high" }).reasoning_effort, "high")
    assert.strictEqual(body("gpt-5", { budgetTokens: 4096 }).reasoning_effort, "medium")
    assert.strictEqual(body("gpt-5", { budgetTokens: 1024 }).reasoning_effort, "low")
    assert.notProperty(body("gpt-4o", { effort: "high" }), "reasoning_effort")
  })

  it("reads reasoning_content from answers and stream deltas", () => {
    const c = fromChatCompletion(
      { choices: [{ message: { content: "4", reasoning_content: "2+2" }, finish_reason: "stop" }] },
      { kind: "openai-compatible", model: "deepseek-reasoner" }
    )
    assert.isTrue(Result.isSuccess(c))
    if (Result.isSuccess(c)) assert.deepStrictEqual(c.success.message.reasoning, [{ type: "reasoning", text: "2+2" }])
    const t = makeStreamTranslator({ kind: "openai-compatible", model: "m" })
    const out = t.push({ choices: [{ index: 0, delta: { reasoning: "hm" } }] })
    assert.deepStrictEqual(Result.getOrThrow(out), [{ _tag: "ReasoningDelta", index: 0, text: "hm" }])
  })
})
