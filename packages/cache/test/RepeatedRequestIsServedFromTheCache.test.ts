// A repeated request is answered from the cache with no upstream call and the original request
// id, on the same or (Redis) another replica; `off` bypasses, `refresh` calls and re-stores, and
// a route without a cache policy is never cached.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import type { ResponseCacheConfig } from "../src/index.ts"
import { cacheBackends, chat, makeUpstream } from "./cacheSupport.ts"

const config: ResponseCacheConfig = { routes: { default: { ttl: "10 minutes" } } }
const input = { workspace: "team-a", route: "default", request: chat }

for (const backend of cacheBackends) {
  describe.skipIf(backend.skip)(`response cache on ${backend.name}`, () => {
    it.live("serves a repeated request from the cache, on either replica, without an upstream call", () =>
      Effect.gen(function* () {
        const [a, b] = yield* backend.replicas(config)
        const upstream = yield* makeUpstream
        const first = yield* a.getOrCompute(Schema.String, input, upstream.call)
        assert.deepStrictEqual(first, {
          status: "miss",
          requestId: "req-1",
          value: "answer from call 1",
          coalesced: false
        })
        // Same request, keys in another order: the canonical key is the same.
        const reordered = { maxTokens: 64, temperature: 0.2, messages: chat.messages, model: "gpt-4o" }
        const second = yield* b.getOrCompute(Schema.String, { ...input, request: reordered }, upstream.call)
        assert.deepStrictEqual(second, {
          status: "hit",
          requestId: "req-1",
          value: "answer from call 1",
          coalesced: false
        })
        assert.strictEqual(yield* upstream.calls, 1)
        const stats = yield* b.stats
        assert.strictEqual(stats.hits, 1)
      })
    )

    it.live("off bypasses the cache, refresh calls and replaces the entry, an uncached route is off", () =>
      Effect.gen(function* () {
        const [a, b] = yield* backend.replicas(config)
        const upstream = yield* makeUpstream
        yield* a.getOrCompute(Schema.String, input, upstream.call)
        const off = yield* b.getOrCompute(Schema.String, { ...input, mode: "off" }, upstream.call)
        assert.deepStrictEqual([off.status, off.requestId], ["off", "req-2"])
        const refreshed = yield* b.getOrCompute(Schema.String, { ...input, mode: "refresh" }, upstream.call)
        assert.deepStrictEqual([refreshed.status, refreshed.requestId], ["miss", "req-3"])
        const after = yield* a.getOrCompute(Schema.String, input, upstream.call)
        assert.deepStrictEqual([after.status, after.value], ["hit", "answer from call 3"])

        const uncached = { ...input, route: "no-cache-route" }
        yield* a.getOrCompute(Schema.String, uncached, upstream.call)
        const again = yield* a.getOrCompute(Schema.String, uncached, upstream.call)
        assert.strictEqual(again.status, "off")
        assert.strictEqual(yield* upstream.calls, 5)
      })
    )

    it.live("a failed call is not cached", () =>
      Effect.gen(function* () {
        const [a, b] = yield* backend.replicas(config)
        const upstream = yield* makeUpstream
        assert.strictEqual(yield* Effect.flip(a.getOrCompute(Schema.String, input, Effect.fail("503"))), "503")
        const next = yield* b.getOrCompute(Schema.String, input, upstream.call)
        assert.strictEqual(next.status, "miss")
      })
    )
  })
}
