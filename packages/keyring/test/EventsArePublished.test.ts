import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { Keyring } from "../src/index.ts"
import { events, failure, makeKeys, backends } from "./fixtures.ts"

describe.each(backends)("the keyring publishes its events on the EventBus ($name)", ({ testLayer }) => {
  it.effect("penalized, disabled, health restored per key, then healed.all for the provider", () =>
    Effect.gen(function* () {
      const keyring = yield* Keyring
      const [k1, k2] = makeKeys(2)
      yield* keyring.report("p", "gpt-4o", "k1", failure("rate_limit", { retryAfterMs: 5_000 }))
      yield* keyring.report("p", "gpt-4o", "k2", failure("auth_invalid"))
      assert.deepStrictEqual(yield* events, [
        {
          topic: "resource.penalized",
          at: 0,
          provider: "p",
          keyId: "k1",
          keyFingerprint: k1!.fingerprint,
          class: "rate_limit",
          cooldownMs: 5_000,
          penalty: 1
        },
        {
          topic: "resource.disabled",
          at: 0,
          provider: "p",
          keyId: "k2",
          keyFingerprint: k2!.fingerprint,
          reason: "auth_invalid (test.auth_invalid)"
        }
      ])

      // Health that comes back with time is announced by the next operation on the pool.
      yield* TestClock.adjust(5_000)
      yield* keyring.lease("p", "gpt-4o")
      yield* keyring.enable("p", "k2")
      const later = (yield* events).slice(2)
      assert.deepStrictEqual(later, [
        { topic: "resource.health.restored", at: 5_000, provider: "p", keyId: "k1", keyFingerprint: k1!.fingerprint },
        { topic: "resource.health.restored", at: 5_000, provider: "p", keyId: "k2", keyFingerprint: k2!.fingerprint },
        { topic: "resource.healed.all", at: 5_000, provider: "p" }
      ])

      // Nothing is announced twice.
      yield* keyring.snapshot
      yield* keyring.lease("p", "gpt-4o")
      assert.lengthOf(yield* events, 5)
    }).pipe(Effect.provide(testLayer({ pools: { p: { keys: makeKeys(2) } } })))
  )

  it.effect("a snapshot alone announces keys that healed with time", () =>
    Effect.gen(function* () {
      const keyring = yield* Keyring
      yield* keyring.report("p", "m", "k1", failure("server_error"))
      yield* TestClock.adjust("1 second")
      const snap = yield* keyring.snapshot
      assert.strictEqual(snap[0]!.status, "healthy")
      const topics = (yield* events).map((e) => e.topic)
      assert.deepStrictEqual(topics, ["resource.penalized", "resource.health.restored", "resource.healed.all"])
    }).pipe(Effect.provide(testLayer({ pools: { p: { keys: makeKeys(1) } } })))
  )
})
