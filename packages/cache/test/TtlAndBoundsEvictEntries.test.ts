// Entries expire after their route's TTL (TestClock, memory), and a route holds at most
// `maxEntries` entries and `maxBytes` bytes, evicting the least recently used — in memory and,
// shared by replicas, in Redis. Bad route policies fail the layer naming the field.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import { TestClock } from "effect/testing"
import { CacheConfigError, type CacheableRequest, ResponseCache, type ResponseCacheConfig } from "../src/index.ts"
import { cacheBackends, chat, makeUpstream } from "./cacheSupport.ts"

const ask = (n: number): CacheableRequest => ({ ...chat, messages: [{ role: "user", content: `question ${n}` }] })

describe("TTL", () => {
  it.effect("an entry is served until its route's TTL, then the request misses", () =>
    Effect.gen(function* () {
      const cache = yield* ResponseCache
      const upstream = yield* makeUpstream
      const short = { workspace: "w", route: "short", request: chat }
      const long = { workspace: "w", route: "long", request: chat }
      yield* cache.getOrCompute(Schema.String, short, upstream.call)
      yield* cache.getOrCompute(Schema.String, long, upstream.call)
      yield* TestClock.adjust("59 seconds")
      assert.strictEqual((yield* cache.getOrCompute(Schema.String, short, upstream.call)).status, "hit")
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* cache.getOrCompute(Schema.String, short, upstream.call)).status, "miss")
      assert.strictEqual((yield* cache.getOrCompute(Schema.String, long, upstream.call)).status, "hit")
      yield* TestClock.adjust("1 hour")
      assert.strictEqual((yield* cache.getOrCompute(Schema.String, long, upstream.call)).status, "miss")
      assert.strictEqual(yield* upstream.calls, 4)
    }).pipe(
      Effect.provide(ResponseCache.layerMemory({ routes: { short: { ttl: "1 minute" }, long: { ttl: "1 hour" } } }))
    )
  )
})

for (const backend of cacheBackends) {
  describe.skipIf(backend.skip)(`bounds on ${backend.name}`, () => {
    it.live("maxEntries evicts the least recently used entry", () =>
      Effect.gen(function* () {
        const [a, b] = yield* backend.replicas({ routes: { default: { ttl: "10 minutes", maxEntries: 3 } } })
        const upstream = yield* makeUpstream
        const get = (n: number, via = a) =>
          Effect.map(
            via.getOrCompute(Schema.String, { workspace: "w", route: "default", request: ask(n) }, upstream.call),
            (r) => r.status
          )
        for (const n of [1, 2, 3]) yield* get(n)
        assert.strictEqual(yield* get(1, b), "hit") // 1 is now the most recently used
        yield* get(4) // evicts 2, the least recently used
        assert.deepStrictEqual([yield* get(1, b), yield* get(3), yield* get(4, b)], ["hit", "hit", "hit"])
        assert.strictEqual(yield* get(2), "miss")
      })
    )

    it.live("maxBytes bounds the route's stored bytes; an answer larger than the bound is not stored", () =>
      Effect.gen(function* () {
        const config: ResponseCacheConfig = { routes: { default: { ttl: "10 minutes", maxBytes: 800 } } }
        const [a, b] = yield* backend.replicas(config)
        let calls = 0
        const answer = (size: number) =>
          Effect.sync(() => {
            calls++
            return { requestId: `req-${calls}`, value: "x".repeat(size) }
          })
        const get = (n: number, size: number, via = a) =>
          Effect.map(
            via.getOrCompute(Schema.String, { workspace: "w", route: "default", request: ask(n) }, answer(size)),
            (r) => r.status
          )
        yield* get(1, 250)
        yield* get(2, 250)
        yield* get(3, 250) // three entries of ~300 bytes (answer + envelope) exceed 800: 1 goes
        assert.deepStrictEqual([yield* get(3, 250, b), yield* get(2, 250, b)], ["hit", "hit"])
        assert.strictEqual(yield* get(1, 250), "miss")
        yield* get(9, 1000)
        assert.strictEqual(yield* get(9, 1000, b), "miss")
      })
    )
  })
}

describe("cache config", () => {
  it.effect("a bad route policy fails the layer with the field's path", () =>
    Effect.gen(function* () {
      for (const [policy, field] of [
        [{ ttl: "forever" }, "cache.routes.chat.ttl"],
        [{ ttl: "1 minute", maxEntries: 0 }, "cache.routes.chat.maxEntries"],
        [{ ttl: "1 minute", maxBytes: 1.5 }, "cache.routes.chat.maxBytes"]
      ] as const) {
        const error = yield* Effect.flip(Layer.build(ResponseCache.layerMemory({ routes: { chat: policy as never } })))
        assert.instanceOf(error, CacheConfigError)
        assert.strictEqual(error.field, field)
      }
    })
  )
})
