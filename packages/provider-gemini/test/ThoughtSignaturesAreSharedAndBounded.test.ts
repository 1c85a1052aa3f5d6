/**
 * `ThoughtSignatureStore.redis` on this machine's Redis: what one replica remembers another
 * looks up; the shared set keeps at most `maxEntries` (oldest dropped) with a TTL; a signature
 * past `maxSignatureBytes` stays in the process that saw it; a Redis that cannot answer never
 * fails a lookup or a remember.
 */
import { checkRedis, cleanupAfter, connection, uniquePrefix } from "@am/testkit/redis"
import { it as effect } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Redis } from "effect/persistence"
import { TestClock } from "effect/testing"
import { beforeAll, describe, expect, it } from "vitest"
import { ThoughtSignatureStore } from "../src/ThoughtSignatureStore.ts"

beforeAll(() => checkRedis("@am/provider-gemini thought signatures"))

/** Runs `f` on a Redis connection of its own under a fresh prefix (deleted afterwards); time is the test's clock. */
const onRedis = <A>(f: (prefix: string) => Effect.Effect<A, unknown, Redis.Redis>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const prefix = uniquePrefix()
      yield* cleanupAfter(prefix)
      return yield* f(prefix)
    }).pipe(Effect.provide(Layer.fresh(connection())))
  )

describe("ThoughtSignatureStore.redis", () => {
  effect.effect("shares signatures between replicas, bounded by count with a TTL", () =>
    onRedis((prefix) =>
      Effect.gen(function* () {
        const redis = yield* Redis.Redis
        const a = ThoughtSignatureStore.redis(redis, { prefix, maxEntries: 3, ttlMs: 60_000 })
        const b = ThoughtSignatureStore.redis(redis, { prefix, maxEntries: 3, ttlMs: 60_000 })
        yield* a.remember([["call_1", "sig-1"]])
        yield* TestClock.adjust("1 second")
        yield* a.remember([["call_2", "sig-2"]])
        expect([...(yield* b.lookup(["call_1", "call_2", "call_x"]))]).toEqual([
          ["call_1", "sig-1"],
          ["call_2", "sig-2"]
        ])
        yield* TestClock.adjust("1 second")
        yield* a.remember([
          ["call_3", "sig-3"],
          ["call_4", "sig-4"]
        ])
        // Four remembered, three kept: the oldest went (b has no local copy of it).
        expect(yield* redis.send<number>("ZCARD", `${prefix}gemini:sig:index`)).toBe(3)
        const seen = yield* b.lookup(["call_1", "call_2", "call_3", "call_4"])
        expect(seen.has("call_1")).toBe(false)
        expect(seen.get("call_4")).toBe("sig-4")
        expect(yield* redis.send<number>("PTTL", `${prefix}gemini:sig:index`)).toBeGreaterThan(50_000)
      })
    )
  )

  effect.effect("keeps an oversized signature in the process that saw it only", () =>
    onRedis((prefix) =>
      Effect.gen(function* () {
        const redis = yield* Redis.Redis
        const a = ThoughtSignatureStore.redis(redis, { prefix, maxSignatureBytes: 16 })
        const b = ThoughtSignatureStore.redis(redis, { prefix, maxSignatureBytes: 16 })
        yield* a.remember([["call_big", "x".repeat(17)]])
        expect((yield* a.lookup(["call_big"])).get("call_big")).toHaveLength(17)
        expect((yield* b.lookup(["call_big"])).size).toBe(0)
      })
    )
  )

  it("never fails when Redis cannot answer: this process's own signatures only", async () => {
    const broken = Redis.Redis.of({
      send: () => Effect.fail(new Redis.RedisError({ cause: new Error("down") })),
      eval: () => () => Effect.fail(new Redis.RedisError({ cause: new Error("down") })),
      subscribe: () => Effect.die("unused"),
      reserve: Effect.die("unused")
    })
    const store = ThoughtSignatureStore.redis(broken, { prefix: "am:" })
    const found = await Effect.runPromise(
      Effect.andThen(store.remember([["call_1", "sig-1"]]), store.lookup(["call_1", "call_2"]))
    )
    expect([...found]).toEqual([["call_1", "sig-1"]])
  })
})
