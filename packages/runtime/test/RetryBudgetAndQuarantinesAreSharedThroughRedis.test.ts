// Two replicas of each service: two `layerRedis` instances with a Redis connection each, over one
// key prefix. Quarantine times come from the TestClock both read; Redis only stores them.
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import type { Redis } from "effect/persistence"
import { TestClock } from "effect/testing"
import { ModelHealth, RetryBudget } from "@am/engine"
import { cleanupAfter, connection, skipRedis, uniquePrefix } from "./support/Redis.ts"

/** Builds `make(prefix)` twice, each over a connection of its own, with a fresh shared prefix. */
const twoReplicas = <S, I>(service: Context.Key<I, S>, make: (prefix: string) => Layer.Layer<I, never, Redis.Redis>) =>
  Effect.gen(function* () {
    const prefix = uniquePrefix()
    yield* cleanupAfter(prefix)
    const one = Effect.map(Layer.build(make(prefix).pipe(Layer.provide(connection()))), (c) => Context.get(c, service))
    return [yield* one, yield* one] as const
  })

const budgetOptions = { maxTokens: 100, tokenRatio: 0.5 }

describe.skipIf(skipRedis)("the retry budget and model quarantines are shared between replicas through Redis", () => {
  it.effect("N failures recorded concurrently through both replicas take exactly N tokens", () =>
    Effect.gen(function* () {
      const [a, b] = yield* twoReplicas(RetryBudget, (prefix) => RetryBudget.layerRedis(budgetOptions, { prefix }))
      assert.strictEqual(yield* b.tokens("p"), 100, "a fresh bucket is full")
      yield* Effect.all(
        Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? a : b).recordFailure("p")),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(yield* a.tokens("p"), 40)
      assert.strictEqual(yield* b.tokens("p"), 40)
      assert.isFalse(yield* b.canRetry("p"), "at or below half: no retries anywhere")
      assert.strictEqual(yield* b.tokens("other"), 100, "buckets are per provider")

      yield* Effect.all(
        Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? a : b).recordSuccess("p")),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(yield* a.tokens("p"), 55)
      assert.isTrue(yield* a.canRetry("p"))
    })
  )

  it.effect("the bucket stays within [0, maxTokens]", () =>
    Effect.gen(function* () {
      const [a, b] = yield* twoReplicas(RetryBudget, (prefix) =>
        RetryBudget.layerRedis({ maxTokens: 3, tokenRatio: 1 }, { prefix })
      )
      yield* Effect.all([a, b, a, b, a].map((r) => r.recordFailure("p")))
      assert.strictEqual(yield* b.tokens("p"), 0)
      yield* Effect.all([a, b, a, b, a].map((r) => r.recordSuccess("p")))
      assert.strictEqual(yield* b.tokens("p"), 3)
    })
  )

  it.effect("a model quarantined through one replica is unavailable in the other until the quarantine ends", () =>
    Effect.gen(function* () {
      const [a, b] = yield* twoReplicas(ModelHealth, (prefix) =>
        ModelHealth.layerRedis({ quarantineMs: 60_000 }, { prefix })
      )
      assert.strictEqual((yield* b.unavailable).size, 0)
      yield* TestClock.adjust(1_000)
      yield* a.markUnavailable("primary", "gpt-retired", "model_not_found")
      yield* b.markUnavailable("secondary", "claude-old", "model_not_found")

      for (const replica of [a, b]) {
        const seen = yield* replica.unavailable
        assert.deepStrictEqual([...seen.keys()].sort(), ["primary/gpt-retired", "secondary/claude-old"])
        assert.deepStrictEqual(seen.get("primary/gpt-retired"), {
          provider: "primary",
          model: "gpt-retired",
          reason: "model_not_found",
          until: 61_000
        })
      }
      yield* TestClock.adjust(59_999)
      assert.strictEqual((yield* b.unavailable).size, 2)
      yield* TestClock.adjust(1)
      assert.strictEqual((yield* b.unavailable).size, 0, "over for every replica")
    })
  )
})
