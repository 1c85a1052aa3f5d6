// A streamed request stores its finished completion; a replay (idempotency) or a hit (cache) of
// a streaming request re-streams it: the chunks rebuild the same text, tool calls, finish
// reason, usage and model, and the upstream is not called again.
import { Completion, type CompletionChunk } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Stream } from "effect"
import { Idempotency, ResponseCache, replayStream, requestHash } from "../src/index.ts"
import { chat } from "./cacheSupport.ts"

const completion: Completion = {
  message: {
    role: "assistant",
    content: "Paris — the capital of France.",
    toolCalls: [{ id: "call_1", name: "lookup", arguments: '{"city":"Paris"}' }]
  },
  finishReason: "tool_calls",
  usage: { inputTokens: 12, outputTokens: 9, totalTokens: 21 },
  provider: "openai",
  model: "gpt-4o-2024-08-06",
  providerResponseId: "chatcmpl-1"
}

const rebuild = (chunks: ReadonlyArray<CompletionChunk>) => ({
  text: chunks.flatMap((c) => (c._tag === "TextDelta" ? [c.text] : [])).join(""),
  tools: chunks.flatMap((c) => (c._tag === "ToolCallDelta" ? [[c.id, c.name, c.argumentsDelta]] : [])),
  finish: chunks.filter((c) => c._tag === "Finish")
})

describe("streamed requests", () => {
  it.effect("replay as a stream of the stored completion, from idempotency and from the cache", () =>
    Effect.gen(function* () {
      const idempotency = yield* Idempotency
      const cache = yield* ResponseCache
      let calls = 0
      const upstream = Effect.sync(() => {
        calls++
        return { requestId: "req-1", value: completion }
      })
      const request = { workspace: "w", key: "stream-1", requestHash: requestHash({ ...chat, stream: true }) }
      yield* idempotency.run(Completion, request, upstream)
      const replay = yield* idempotency.run(Completion, request, upstream)
      yield* cache.getOrCompute(Completion, { workspace: "w", route: "default", request: chat }, upstream)
      const hit = yield* cache.getOrCompute(Completion, { workspace: "w", route: "default", request: chat }, upstream)
      assert.deepStrictEqual([replay.replayed, hit.status, calls], [true, "hit", 2])

      for (const stored of [replay.value, hit.value]) {
        const chunks = yield* Stream.runCollect(replayStream(stored))
        const rebuilt = rebuild(chunks)
        assert.strictEqual(rebuilt.text, completion.message.content)
        assert.deepStrictEqual(rebuilt.tools, [["call_1", "lookup", '{"city":"Paris"}']])
        assert.strictEqual(rebuilt.finish.length, 1)
        assert.strictEqual(chunks.at(-1)?._tag, "Finish")
        const finish = rebuilt.finish[0]
        assert.deepStrictEqual(
          finish?._tag === "Finish" ? [finish.finishReason, finish.usage, finish.model, finish.providerResponseId] : [],
          ["tool_calls", completion.usage, completion.model, "chatcmpl-1"]
        )
      }
    }).pipe(
      Effect.provide(
        Layer.mergeAll(Idempotency.layerMemory(), ResponseCache.layerMemory({ routes: { default: { ttl: "1 hour" } } }))
      )
    )
  )
})
