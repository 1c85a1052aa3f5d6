// The cache key covers what determines the answer: a changed sampling parameter, tool, response
// format, model, route or system prompt is another entry; metadata, the idempotency key and the
// deadline are not part of it.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { type CacheableRequest, cacheKey } from "../src/index.ts"
import { cacheBackends, chat, makeUpstream } from "./cacheSupport.ts"

const tool = { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } }
const withTools: CacheableRequest = { ...chat, tools: [tool] }

const variants: ReadonlyArray<readonly [string, CacheableRequest]> = [
  ["temperature", { ...chat, temperature: 0.3 }],
  ["topP", { ...chat, topP: 0.9 }],
  ["maxTokens", { ...chat, maxTokens: 65 }],
  ["seed", { ...chat, seed: 7 }],
  ["stop", { ...chat, stop: ["\n"] }],
  ["model", { ...chat, model: "gpt-4o-mini" }],
  [
    "system prompt",
    { ...chat, messages: [{ role: "system", content: "You are verbose." }, ...chat.messages.slice(1)] }
  ],
  [
    "user message",
    { ...chat, messages: [chat.messages[0]!, { role: "user", content: "What is the capital of Spain?" }] }
  ],
  ["a tool", withTools],
  [
    "a tool's parameters",
    { ...chat, tools: [{ ...tool, parameters: { type: "object", properties: { town: { type: "string" } } } }] }
  ],
  ["tool choice", { ...withTools, toolChoice: "required" }],
  ["response format", { ...chat, responseFormat: { type: "json_object" } }]
]

describe("the cache key", () => {
  it("changes with every answer-determining field and ignores the rest", () => {
    const base = cacheKey({ workspace: "w", route: "default", request: chat })
    const keys = new Set([base])
    for (const [field, request] of variants) {
      const key = cacheKey({ workspace: "w", route: "default", request })
      assert.notStrictEqual(key, base, field)
      keys.add(key)
    }
    assert.strictEqual(keys.size, variants.length + 1)
    assert.notStrictEqual(cacheKey({ workspace: "w", route: "other", request: chat }), base)
    assert.notStrictEqual(
      cacheKey({ workspace: "w", route: "default", request: chat, extra: { logprobs: true } }),
      base
    )
    const sameAnswer = { ...chat, metadata: { pipelineRunId: "p1" }, idempotencyKey: "k", deadlineMs: 500 }
    assert.strictEqual(cacheKey({ workspace: "w", route: "default", request: sameAnswer }), base)
  })
})

for (const backend of cacheBackends) {
  describe.skipIf(backend.skip)(`response cache on ${backend.name}`, () => {
    it.live("a changed parameter, tool or system prompt misses", () =>
      Effect.gen(function* () {
        const [a, b] = yield* backend.replicas({ routes: { default: { ttl: "10 minutes" } } })
        const upstream = yield* makeUpstream
        yield* a.getOrCompute(Schema.String, { workspace: "w", route: "default", request: chat }, upstream.call)
        for (const [field, request] of variants) {
          const r = yield* b.getOrCompute(Schema.String, { workspace: "w", route: "default", request }, upstream.call)
          assert.strictEqual(r.status, "miss", field)
        }
        assert.strictEqual(yield* upstream.calls, variants.length + 1)
      })
    )
  })
}
