import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { CompletionRequest, ProviderFailure, Usage } from "../src/index.ts"

const issueOf = (schema: Schema.Codec<any, any, never, never>, input: unknown) =>
  Schema.decodeUnknownEffect(schema)(input).pipe(
    Effect.flip,
    Effect.map((e) => e.message)
  )

describe("malformed input is rejected with the bad field named", () => {
  it.effect("a message with an unknown role names messages[1].role", () =>
    Effect.gen(function* () {
      const msg = yield* issueOf(CompletionRequest, {
        messages: [
          { role: "user", content: "hi" },
          { role: "robot", content: "x" }
        ]
      })
      assert.include(msg, '["messages"][1]')
    })
  )
  it.effect("an empty message list names messages", () =>
    Effect.gen(function* () {
      const msg = yield* issueOf(CompletionRequest, { messages: [] })
      assert.include(msg, '["messages"]')
    })
  )
  it.effect("a temperature out of range names temperature", () =>
    Effect.gen(function* () {
      const msg = yield* issueOf(CompletionRequest, { messages: [{ role: "user", content: "x" }], temperature: 7 })
      assert.include(msg, '["temperature"]')
    })
  )
  it.effect("a negative token count names the usage field", () =>
    Effect.gen(function* () {
      const msg = yield* issueOf(Usage, { inputTokens: 1, outputTokens: -3, totalTokens: 1 })
      assert.include(msg, '["outputTokens"]')
    })
  )
  it.effect("a non-integer maxTokens names maxTokens", () =>
    Effect.gen(function* () {
      const msg = yield* issueOf(CompletionRequest, { messages: [{ role: "user", content: "x" }], maxTokens: 1.5 })
      assert.include(msg, '["maxTokens"]')
    })
  )
  it.effect("a ProviderFailure without kind names kind", () =>
    Effect.gen(function* () {
      const msg = yield* issueOf(ProviderFailure, {
        _tag: "ProviderFailure",
        provider: "openai",
        message: "x",
        responseBytesReceived: false
      })
      assert.include(msg, '["kind"]')
    })
  )
})
