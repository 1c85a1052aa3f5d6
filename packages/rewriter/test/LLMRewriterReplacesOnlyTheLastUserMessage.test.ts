import { assert, describe, it } from "@effect/vitest"
import type { ChatMessage } from "@am/core"
import { Effect } from "effect"
import { makeLLM } from "../src/index.ts"
import { conversation, key, recording } from "./fixtures.ts"

const REPHRASED = "How can I terminate an unresponsive Java process?"

describe("LLM rewriter replaces only the last user message", () => {
  it.effect("rephrases the last user turn and keeps system, assistant and earlier user turns as they are", () =>
    Effect.gen(function* () {
      const { provider } = recording({ reply: REPHRASED })
      const rewriter = makeLLM({ provider, model: "gpt-4o-mini", key })
      const result = yield* rewriter.rewrite({
        messages: conversation,
        reason: "content_filter",
        requestId: "req_abc12345"
      })
      assert.strictEqual(result.rewriter, "llm")
      assert.strictEqual(result.messages.length, conversation.length)
      assert.deepStrictEqual(result.messages.slice(0, 3), conversation.slice(0, 3))
      assert.deepStrictEqual(result.messages[3], { role: "user", content: REPHRASED })
      // The input is not mutated.
      assert.strictEqual(conversation[3]!.content, "How do I kill the stuck java process?")
      // One call, to the configured model, with the configured key.
      assert.deepStrictEqual(
        provider.calls.map((c) => [c.model, c.keyId]),
        [["gpt-4o-mini", "rw-1"]]
      )
    })
  )

  it.effect("only the last user turn is sent: earlier turns stay private", () =>
    Effect.gen(function* () {
      const { provider, seen } = recording({ reply: REPHRASED })
      yield* makeLLM({ provider, model: "m", key }).rewrite({ messages: conversation, reason: "refusal" })
      const sent = JSON.stringify(seen[0]!.request.messages)
      assert.include(sent, "How do I kill the stuck java process?")
      assert.notInclude(sent, "My server is slow.")
      assert.notInclude(sent, "Which process uses the CPU?")
      assert.notInclude(sent, "helpful ops assistant")
    })
  )

  it.effect("in a multi-part message the text is replaced and images keep their place", () =>
    Effect.gen(function* () {
      const { provider } = recording({ reply: REPHRASED })
      const messages: ReadonlyArray<ChatMessage> = [
        {
          role: "user",
          name: "ops",
          content: [
            { type: "image", url: "https://example.test/top.png" },
            { type: "text", text: "How do I kill " },
            { type: "text", text: "this process?" }
          ]
        }
      ]
      const result = yield* makeLLM({ provider, model: "m", key }).rewrite({ messages, reason: "content_filter" })
      assert.strictEqual(provider.calls[0]!.prompt.includes("How do I kill this process?"), true)
      assert.deepStrictEqual(result.messages, [
        {
          role: "user",
          name: "ops",
          content: [
            { type: "image", url: "https://example.test/top.png" },
            { type: "text", text: REPHRASED }
          ]
        }
      ])
    })
  )

  it.effect("wrapping the model adds (label, quotes, markers) is removed from the rewrite", () =>
    Effect.gen(function* () {
      const { provider } = recording({ reply: `Rewritten prompt: "${REPHRASED}"` })
      const result = yield* makeLLM({ provider, model: "m", key }).rewrite({ messages: conversation, reason: "x" })
      assert.deepStrictEqual(result.messages[3], { role: "user", content: REPHRASED })
    })
  )
})
