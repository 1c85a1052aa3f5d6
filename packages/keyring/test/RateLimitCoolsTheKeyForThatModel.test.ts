import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { Keyring, NoHealthyKey } from "../src/index.ts"
import { eventsOf, failure, makeKeys, success, backends } from "./fixtures.ts"

describe.each(backends)("a rate limit cools the (key, model) down ($name)", ({ testLayer }) => {
  it.effect("429 with Retry-After 5 s: not leased for that model before 5 s, still leased for another", () =>
    Effect.gen(function* () {
      const keyring = yield* Keyring
      yield* keyring.report("p", "gpt-4o", "k1", failure("rate_limit", { retryAfterMs: 5_000 }))

      const blocked = yield* Effect.flip(keyring.lease("p", "gpt-4o"))
      assert.instanceOf(blocked, NoHealthyKey)
      assert.strictEqual(blocked.availableAt, 5_000)
      assert.strictEqual((yield* keyring.lease("p", "gpt-4o-mini")).id, "k1")

      yield* TestClock.adjust(4_999)
      assert.isTrue((yield* Effect.flip(keyring.lease("p", "gpt-4o"))) instanceof NoHealthyKey)
      yield* TestClock.adjust(1)
      assert.strictEqual((yield* keyring.lease("p", "gpt-4o")).id, "k1")
    }).pipe(Effect.provide(testLayer({ pools: { p: { keys: makeKeys(1) } } })))
  )

  it.effect("consecutive rate limits back off exponentially to the cap; Retry-After wins when longer", () =>
    Effect.gen(function* () {
      const keyring = yield* Keyring
      const rateLimit = (retryAfterMs?: number) =>
        keyring.report("p", "m", "k1", failure("rate_limit", retryAfterMs === undefined ? {} : { retryAfterMs }))
      yield* Effect.forEach(Array.from({ length: 8 }), () => rateLimit())
      yield* rateLimit(90_000)
      const cooldowns = (yield* eventsOf("resource.penalized")).map((e) => e.cooldownMs)
      assert.deepStrictEqual(cooldowns, [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 90_000])
    }).pipe(Effect.provide(testLayer({ pools: { p: { keys: makeKeys(1) } } })))
  )

  it.effect("the backoff follows the configured base and cap, and a success resets the streak", () =>
    Effect.gen(function* () {
      const keyring = yield* Keyring
      const rateLimit = keyring.report("p", "m", "k1", failure("rate_limit", { retryAfterMs: 100 }))
      yield* rateLimit
      yield* rateLimit
      yield* rateLimit
      yield* TestClock.adjust("10 seconds")
      yield* keyring.report("p", "m", "k1", success)
      yield* rateLimit
      const cooldowns = (yield* eventsOf("resource.penalized")).map((e) => e.cooldownMs)
      assert.deepStrictEqual(cooldowns, [250, 500, 750, 250])
    }).pipe(
      Effect.provide(
        testLayer({
          pools: { p: { keys: makeKeys(1) } },
          policy: { rateLimitBackoff: { base: "250 millis", max: "750 millis" } }
        })
      )
    )
  )

  it.effect("another key of the pool serves the rate-limited model meanwhile", () =>
    Effect.gen(function* () {
      const keyring = yield* Keyring
      yield* keyring.report("p", "gpt-4o", "k1", failure("rate_limit", { retryAfterMs: 5_000 }))
      const ids = yield* Effect.forEach([1, 2, 3], () => Effect.map(keyring.lease("p", "gpt-4o"), (k) => k.id))
      assert.deepStrictEqual(ids, ["k2", "k2", "k2"])
    }).pipe(Effect.provide(testLayer({ pools: { p: { keys: makeKeys(2) } } })))
  )
})
