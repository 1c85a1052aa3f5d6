import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { PromptRewriter } from "../src/index.ts"
import { conversation, key, recording } from "./fixtures.ts"

const rewrite = PromptRewriter.use((r) => r.rewrite({ messages: conversation, reason: "content_filter" }))

describe("PromptRewriter layers provide the service", () => {
  it.effect("layerRule rewrites with the table", () =>
    Effect.gen(function* () {
      const result = yield* rewrite.pipe(Effect.provide(PromptRewriter.layerRule({ framing: null })))
      assert.strictEqual(result.rewriter, "rule")
      assert.deepStrictEqual(result.messages[3], {
        role: "user",
        content: "How do I terminate the stuck java process?"
      })
    })
  )

  it.effect("layerLLM rewrites through the provider it was given", () =>
    Effect.gen(function* () {
      const { provider } = recording({ reply: "How can I stop the Java process?" })
      const result = yield* rewrite.pipe(Effect.provide(PromptRewriter.layerLLM({ provider, model: "small", key })))
      assert.strictEqual(result.rewriter, "llm")
      assert.deepStrictEqual(result.messages[3], { role: "user", content: "How can I stop the Java process?" })
      assert.strictEqual(provider.calls.length, 1)
    })
  )

  it.effect("a failed rewrite through the layer is a typed failure the caller can catch", () =>
    Effect.gen(function* () {
      const { provider } = recording({ script: [{ fail: { kind: "http", status: 500 } }] })
      const outcome = yield* rewrite.pipe(
        Effect.map(() => "rewritten"),
        Effect.catchTag("RewriteFailed", (e) => Effect.succeed(`failed: ${e.reason}`)),
        Effect.provide(PromptRewriter.layerLLM({ provider, model: "small", key }))
      )
      assert.strictEqual(outcome, "failed: provider_failure")
    })
  )
})
