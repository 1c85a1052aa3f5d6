import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { Keyring, NoHealthyKey } from "../src/index.ts"
import { failure, makeKeys, backends } from "./fixtures.ts"

describe.each(backends)("NoHealthyKey ($name)", ({ testLayer }) => {
  it.effect("carries the earliest time a key frees up for that model", () =>
    Effect.gen(function* () {
      const keyring = yield* Keyring
      yield* TestClock.adjust(1_000)
      yield* keyring.report("p", "m", "k1", failure("rate_limit", { retryAfterMs: 30_000 }))
      yield* keyring.report("p", "m", "k2", failure("rate_limit", { retryAfterMs: 10_000 }))
      yield* keyring.report("p", "m", "k3", failure("quota_exhausted"))
      yield* keyring.report("p", "m", "k4", failure("auth_invalid"))

      const err = yield* Effect.flip(keyring.lease("p", "m"))
      assert.instanceOf(err, NoHealthyKey)
      assert.deepInclude(err, { provider: "p", model: "m", availableAt: 11_000 })

      // Excluded keys don't count: the next one is k1's.
      const excluding = yield* Effect.flip(keyring.lease("p", "m", { exclude: ["k2"] }))
      assert.strictEqual(excluding.availableAt, 31_000)

      // The key-wide quota cool-down is the only thing that blocks k3 for every model.
      const onlyQuotaAndDisabled = yield* Effect.flip(keyring.lease("p", "m", { exclude: ["k1", "k2"] }))
      assert.strictEqual(onlyQuotaAndDisabled.availableAt, 3_601_000)

      // Only a disabled key with no recheck left: nothing frees up by itself.
      const onlyDisabled = yield* Effect.flip(keyring.lease("p", "m", { exclude: ["k1", "k2", "k3"] }))
      assert.isFalse("availableAt" in onlyDisabled)

      yield* TestClock.adjust(10_000)
      assert.strictEqual((yield* keyring.lease("p", "m")).id, "k2")
    }).pipe(Effect.provide(testLayer({ pools: { p: { keys: makeKeys(4) } } })))
  )

  it.effect("an unknown provider or an empty pool has no key and no availableAt", () =>
    Effect.gen(function* () {
      const keyring = yield* Keyring
      for (const provider of ["nope", "empty"]) {
        const err = yield* Effect.flip(keyring.lease(provider, "m"))
        assert.strictEqual(err._tag, "NoHealthyKey")
        assert.isUndefined(err.availableAt)
      }
      assert.include((yield* Effect.flip(keyring.lease("nope", "m"))).message, "nope/m")
    }).pipe(Effect.provide(testLayer({ pools: { empty: { keys: [] } } })))
  )
})
