import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Keyring } from "../src/index.ts"
import { failure, leaseIds, makeKeys, backends } from "./fixtures.ts"

describe.each(backends)("round-robin (the default strategy) ($name)", ({ testLayer }) => {
  it.effect("rotates through the keys in order", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(yield* leaseIds("p", "m", 7), ["k1", "k2", "k3", "k1", "k2", "k3", "k1"])
    }).pipe(Effect.provide(testLayer({ pools: { p: { keys: makeKeys(3) } } })))
  )

  it.effect("skips excluded and cooling keys and keeps rotating among the rest", () =>
    Effect.gen(function* () {
      const keyring = yield* Keyring
      const excluded = yield* keyring.lease("p", "m", { exclude: ["k1"] })
      assert.strictEqual(excluded.id, "k2")
      yield* keyring.report("p", "m", "k3", failure("rate_limit", { retryAfterMs: 10_000 }))
      assert.deepStrictEqual(yield* leaseIds("p", "m", 4), ["k1", "k2", "k1", "k2"])
    }).pipe(Effect.provide(testLayer({ pools: { p: { keys: makeKeys(3) } } })))
  )

  it.effect("returns the key with its Redacted secret to the caller", () =>
    Effect.gen(function* () {
      const key = yield* Keyring.use((k) => k.lease("p", "m"))
      assert.strictEqual(key.id, "k1")
      assert.notInclude(String(key.secret), "sk-test")
    }).pipe(Effect.provide(testLayer({ pools: { p: { keys: makeKeys(1) } } })))
  )
})
