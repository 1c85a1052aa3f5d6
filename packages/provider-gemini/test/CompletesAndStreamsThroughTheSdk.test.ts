import { classify, contentFailureOf } from "@am/classifier"
import type { CompletionChunk, CompletionRequest } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { call, gemini, keyA, MODEL, SECRET_A } from "./support.ts"

const collect = (s: Stream.Stream<CompletionChunk, unknown>) => Stream.runCollect(s).pipe(Effect.map((c) => [...c]))

describe("the adapter answers through the official SDK against a fake Gemini upstream", () => {
  it.live("complete: text, usage, model and response id come back; the upstream saw one request with the key", () =>
    Effect.gen(function* () {
      const { upstream, provider } = yield* gemini({ reply: "Hello from the fake" })
      const c = yield* provider.complete(call())
      assert.strictEqual(c.message.content, "Hello from the fake")
      assert.strictEqual(c.finishReason, "stop")
      assert.strictEqual(c.rawFinishReason, "STOP")
      assert.strictEqual(c.provider, "gemini")
      assert.strictEqual(c.model, MODEL)
      assert.isString(c.providerResponseId)
      assert.isAbove(c.usage.inputTokens, 0)
      assert.isAbove(c.usage.outputTokens, 0)
      assert.strictEqual(c.usage.totalTokens, c.usage.inputTokens + c.usage.outputTokens)
      assert.strictEqual(upstream.requests.length, 1)
      const seen = upstream.requests[0]!
      assert.strictEqual(seen.model, MODEL)
      assert.strictEqual(seen.key, SECRET_A)
      assert.strictEqual(seen.prompt, "Say hello")
      assert.isFalse(seen.stream)
      assert.strictEqual(seen.path, `/v1beta/models/${MODEL}:generateContent`)
    }).pipe(Effect.scoped)
  )

  it.live("stream: text deltas add up to the answer and one Finish carries the usage", () =>
    Effect.gen(function* () {
      const reply = "One two three four five six seven eight nine ten"
      const { upstream, provider } = yield* gemini({ reply })
      const chunks = yield* collect(provider.stream(call()))
      const text = chunks.flatMap((c) => (c._tag === "TextDelta" ? [c.text] : [])).join("")
      assert.strictEqual(text, reply)
      assert.isAbove(chunks.filter((c) => c._tag === "TextDelta").length, 1)
      const finishes = chunks.filter((c) => c._tag === "Finish")
      assert.strictEqual(finishes.length, 1)
      assert.strictEqual(chunks[chunks.length - 1]!._tag, "Finish")
      const finish = finishes[0]!
      assert.strictEqual(finish.finishReason, "stop")
      assert.strictEqual(finish.model, MODEL)
      assert.isAbove(finish.usage.inputTokens, 0)
      assert.isAbove(finish.usage.outputTokens, 0)
      assert.isTrue(upstream.requests[0]!.stream)
    }).pipe(Effect.scoped)
  )

  it.live("a function call comes back as a tool call with a generated id, and as a ToolCallDelta when streamed", () =>
    Effect.gen(function* () {
      const { provider } = yield* gemini({ script: [{ sequence: ["tool_call", "tool_call"] }] })
      const request: CompletionRequest = {
        messages: [{ role: "user", content: "Weather in Paris?" }],
        tools: [{ name: "get_weather", parameters: { type: "object", properties: { location: { type: "string" } } } }]
      }
      const c = yield* provider.complete(call({ request }))
      assert.strictEqual(c.finishReason, "tool_calls")
      const tc = c.message.toolCalls![0]!
      assert.strictEqual(tc.name, "get_weather")
      assert.deepStrictEqual(JSON.parse(tc.arguments), { location: "Paris, France" })
      assert.isAbove(tc.id.length, 8)
      const chunks = yield* collect(provider.stream(call({ request })))
      const delta = chunks.find((x) => x._tag === "ToolCallDelta")
      assert.strictEqual(delta?._tag === "ToolCallDelta" ? delta.name : undefined, "get_weather")
      const finish = chunks[chunks.length - 1]!
      assert.strictEqual(finish._tag === "Finish" ? finish.finishReason : undefined, "tool_calls")
    }).pipe(Effect.scoped)
  )

  it.live("HTTP-200 filters are completions, and the classifier puts them in the content scope", () =>
    Effect.gen(function* () {
      const { provider } = yield* gemini({
        script: [
          { sequence: ["content_filter", "input_blocked", "invalid_prompt", "malformed_tool_call", "max_tokens"] }
        ]
      })
      const filtered = yield* provider.complete(call())
      assert.strictEqual(filtered.finishReason, "content_filter")
      assert.strictEqual(filtered.rawFinishReason, "SAFETY")
      assert.strictEqual(classify(contentFailureOf(filtered)!).scope, "content")

      const blocked = yield* provider.complete(call())
      assert.strictEqual(blocked.finishReason, "content_filter")
      assert.strictEqual(blocked.blockReason, "SAFETY")
      const blockedClass = classify(contentFailureOf(blocked, { keyId: keyA.id })!)
      assert.strictEqual(blockedClass.class, "content_policy")
      assert.strictEqual(blockedClass.scope, "content")

      const prohibited = yield* provider.complete(call())
      assert.strictEqual(prohibited.blockReason, "PROHIBITED_CONTENT")

      const malformed = yield* provider.complete(call())
      assert.strictEqual(malformed.rawFinishReason, "MALFORMED_FUNCTION_CALL")
      const malformedClass = classify(contentFailureOf(malformed)!)
      assert.strictEqual(malformedClass.scope, "model")

      const truncated = yield* provider.complete(call())
      assert.strictEqual(truncated.finishReason, "length")
      assert.isUndefined(contentFailureOf(truncated))
    }).pipe(Effect.scoped)
  )

  it.live("a prompt block in a stream finishes as content_filter with blockReason", () =>
    Effect.gen(function* () {
      const { provider } = yield* gemini({ script: [{ sequence: ["input_blocked"] }] })
      const chunks = yield* collect(provider.stream(call()))
      assert.strictEqual(chunks.length, 1)
      const finish = chunks[0]!
      assert.strictEqual(finish._tag, "Finish")
      if (finish._tag === "Finish") {
        assert.strictEqual(finish.finishReason, "content_filter")
        assert.strictEqual(finish.blockReason, "SAFETY")
      }
    }).pipe(Effect.scoped)
  )
})
