import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { call, harness, keyA, MODEL, REPLY, request, SECRET_A } from "./support.ts"

describe("complete and stream through @anthropic-ai/sdk against the fake upstream", () => {
  it.effect("answers JSON with text, usage, ids and the request-id header", () =>
    Effect.gen(function* () {
      const h = yield* harness({})
      const c = yield* h.provider.complete(call())
      assert.strictEqual(c.message.content, REPLY)
      assert.strictEqual(c.finishReason, "stop")
      assert.strictEqual(c.rawFinishReason, "end_turn")
      assert.strictEqual(c.provider, "anthropic")
      assert.strictEqual(c.model, MODEL)
      assert.match(c.providerResponseId ?? "", /^msg_/)
      assert.match(c.providerRequestId ?? "", /^req_/)
      assert.isAbove(c.usage.inputTokens, 0)
      assert.isAbove(c.usage.outputTokens, 0)
      assert.strictEqual(c.usage.totalTokens, c.usage.inputTokens + c.usage.outputTokens)
      assert.strictEqual(c.usage.cacheReadInputTokens, 0)
      const seen = h.upstream.requests[0]!
      assert.strictEqual(seen.model, MODEL)
      assert.strictEqual(seen.key, SECRET_A)
      assert.strictEqual(seen.prompt, "Say hello in French.")
      assert.isFalse(seen.stream)
      assert.strictEqual(seen.status, 200)
    }).pipe(Effect.scoped)
  )

  it.effect("streams text deltas that add up to the answer, then a Finish with usage", () =>
    Effect.gen(function* () {
      const h = yield* harness({})
      const chunks = yield* Stream.runCollect(h.provider.stream(call()))
      const text = chunks.flatMap((c) => (c._tag === "TextDelta" ? [c.text] : [])).join("")
      assert.strictEqual(text, REPLY)
      const finish = chunks.at(-1)!
      assert.strictEqual(finish._tag, "Finish")
      if (finish._tag !== "Finish") return
      assert.strictEqual(finish.finishReason, "stop")
      assert.strictEqual(finish.rawFinishReason, "end_turn")
      assert.strictEqual(finish.model, MODEL)
      assert.match(finish.providerResponseId ?? "", /^msg_/)
      assert.isAbove(finish.usage.inputTokens, 0)
      assert.isAbove(finish.usage.outputTokens, 1, "message_delta's cumulative output_tokens wins over message_start's")
      assert.isTrue(h.upstream.requests[0]!.stream)
    }).pipe(Effect.scoped)
  )

  it.effect("returns refusals and truncations as Completions, not failures", () =>
    Effect.gen(function* () {
      const h = yield* harness({
        script: [
          {
            sequence: [
              "refusal",
              "content_filter",
              "max_tokens",
              "model_context_window_exceeded",
              "malformed_tool_call"
            ]
          }
        ]
      })
      const refusal = yield* h.provider.complete(call())
      assert.strictEqual(refusal.finishReason, "refusal")
      assert.isString(refusal.message.refusal)
      const partial = yield* h.provider.complete(call())
      assert.strictEqual(partial.finishReason, "refusal")
      assert.isTrue((partial.message.content ?? "").length > 0, "a mid-answer refusal keeps the partial text")
      const truncated = yield* h.provider.complete(call())
      assert.strictEqual(truncated.finishReason, "length")
      assert.strictEqual(truncated.rawFinishReason, "max_tokens")
      const window = yield* h.provider.complete(call())
      assert.strictEqual(window.finishReason, "length")
      assert.strictEqual(window.rawFinishReason, "model_context_window_exceeded")
      const paused = yield* h.provider.complete(call())
      assert.strictEqual(paused.finishReason, "length")
      assert.strictEqual(paused.rawFinishReason, "pause_turn")
    }).pipe(Effect.scoped)
  )

  it.effect("returns tool calls in JSON and in the stream", () =>
    Effect.gen(function* () {
      const h = yield* harness({ script: [{ sequence: ["tool_call", "tool_call"] }] })
      const withTools = call({
        request: request({
          tools: [
            { name: "get_weather", parameters: { type: "object", properties: { location: { type: "string" } } } }
          ],
          toolChoice: "auto"
        })
      })
      const c = yield* h.provider.complete(withTools)
      assert.strictEqual(c.finishReason, "tool_calls")
      assert.strictEqual(c.message.toolCalls?.[0]?.name, "get_weather")
      assert.deepStrictEqual(JSON.parse(c.message.toolCalls![0]!.arguments), { location: "Paris, France" })
      const chunks = yield* Stream.runCollect(h.provider.stream(withTools))
      const args = chunks
        .flatMap((x) => (x._tag === "ToolCallDelta" && x.argumentsDelta ? [x.argumentsDelta] : []))
        .join("")
      assert.deepStrictEqual(JSON.parse(args), { location: "Paris, France" })
      const start = chunks.find((x) => x._tag === "ToolCallDelta")
      assert.deepInclude(start, { index: 0, name: "get_weather" })
      const finish = chunks.at(-1)
      assert.deepInclude(finish, { _tag: "Finish", finishReason: "tool_calls" })
    }).pipe(Effect.scoped)
  )

  it.effect("keeps the key's id and fingerprint, never its secret, on the provider", () =>
    Effect.gen(function* () {
      const h = yield* harness({ script: [{ sequence: [401] }] })
      const f = yield* Effect.flip(h.provider.complete(call({ key: keyA })))
      assert.strictEqual(f.keyId, keyA.id)
      assert.strictEqual(f.keyFingerprint, keyA.fingerprint)
      assert.strictEqual(f.providerId, "secondary")
      assert.strictEqual(f.model, MODEL)
    }).pipe(Effect.scoped)
  )
})
