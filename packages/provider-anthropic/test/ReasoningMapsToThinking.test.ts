/**
 * `reasoning` ↔ Anthropic `thinking`: effort and budget become a thinking budget (max_tokens
 * making room for it), adaptive and disabled pass through, Anthropic's own signed thinking blocks
 * go back unchanged while other providers' reasoning does not, and thinking is left off where
 * Anthropic would refuse it (forced tool choice, a tool loop whose last turn has no signed thinking).
 */
import type { CompletionRequest } from "@am/core"
import { fromMessage, toMessageParams } from "@am/provider-anthropic"
import { assert, describe, it } from "@effect/vitest"
import type { Message } from "@anthropic-ai/sdk/resources/messages"

const req = (r: Partial<CompletionRequest>): CompletionRequest => ({
  messages: [{ role: "user", content: "Think" }],
  ...r
})
const M = "claude-sonnet-4-6"

describe("reasoning becomes Anthropic thinking", () => {
  it("a budget is sent as budget_tokens and max_tokens grows past it", () => {
    const p = toMessageParams(req({ reasoning: { budgetTokens: 4000 }, maxTokens: 1000 }), M)
    assert.deepStrictEqual(p.thinking, { type: "enabled", budget_tokens: 4000 })
    assert.strictEqual(p.max_tokens, 5000)
    const roomy = toMessageParams(req({ reasoning: { budgetTokens: 2048 }, maxTokens: 16000 }), M)
    assert.strictEqual(roomy.max_tokens, 16000)
  })

  it("an effort is a budget from the shared table, never below Anthropic's minimum", () => {
    assert.deepStrictEqual(toMessageParams(req({ reasoning: { effort: "high" } }), M).thinking, {
      type: "enabled",
      budget_tokens: 24576
    })
    assert.deepStrictEqual(toMessageParams(req({ reasoning: { budgetTokens: 10 } }), M).thinking, {
      type: "enabled",
      budget_tokens: 1024
    })
    assert.deepStrictEqual(toMessageParams(req({ reasoning: { effort: "none" } }), M).thinking, { type: "disabled" })
  })

  it("adaptive thinking carries its effort in output_config next to a JSON schema", () => {
    const p = toMessageParams(
      req({
        reasoning: { adaptive: true, effort: "high" },
        responseFormat: { type: "json_schema", name: "x", schema: { type: "object" } }
      }),
      M
    )
    assert.deepStrictEqual(p.thinking, { type: "adaptive" })
    assert.deepStrictEqual(p.output_config, {
      format: { type: "json_schema", schema: { type: "object" } },
      effort: "high"
    })
  })

  it("is left off with a forced tool choice", () => {
    const p = toMessageParams(
      req({ reasoning: { budgetTokens: 2048 }, tools: [{ name: "f" }], toolChoice: "required" }),
      M
    )
    assert.isUndefined(p.thinking)
  })

  it("sends Anthropic's own thinking blocks back first and drops other providers' reasoning", () => {
    const loop = (provider: string): CompletionRequest =>
      req({
        reasoning: { budgetTokens: 2048 },
        messages: [
          { role: "user", content: "Weather?" },
          {
            role: "assistant",
            content: null,
            toolCalls: [{ id: "t1", name: "w", arguments: "{}" }],
            reasoning: [
              { type: "reasoning", text: "call w", signature: "sig-a", provider },
              { type: "reasoning", text: "", redactedData: "enc", provider }
            ]
          },
          { role: "tool", toolCallId: "t1", content: "sunny" }
        ]
      })
    const own = toMessageParams(loop("anthropic"), M)
    assert.deepStrictEqual(own.messages[1]!.content, [
      { type: "thinking", thinking: "call w", signature: "sig-a" },
      { type: "redacted_thinking", data: "enc" },
      { type: "tool_use", id: "t1", name: "w", input: {} }
    ])
    assert.deepStrictEqual(own.thinking, { type: "enabled", budget_tokens: 2048 })
    const foreign = toMessageParams(loop("gemini"), M)
    assert.deepStrictEqual(foreign.messages[1]!.content, [{ type: "tool_use", id: "t1", name: "w", input: {} }])
    // Anthropic refuses a thinking tool loop whose last assistant turn has no thinking block.
    assert.isUndefined(foreign.thinking)
  })

  it("thinking blocks of an answer become reasoning parts with their signatures", () => {
    const message = {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: M,
      content: [
        { type: "thinking", thinking: "hmm", signature: "sig" },
        { type: "redacted_thinking", data: "enc" },
        { type: "text", text: "4" }
      ],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 1, output_tokens: 1 }
    } as unknown as Message
    const c = fromMessage(message)
    assert.strictEqual(c.message.content, "4")
    assert.deepStrictEqual(c.message.reasoning, [
      { type: "reasoning", text: "hmm", signature: "sig", provider: "anthropic" },
      { type: "reasoning", text: "", redactedData: "enc", provider: "anthropic" }
    ])
  })
})
