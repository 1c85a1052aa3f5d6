import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { Keyring } from "../src/index.ts"
import { failure, makeKeys, snapshotOf, backends } from "./fixtures.ts"

describe.each(backends)("quota exhausted ($name)", ({ testLayer }) => {
  it.effect("cools the whole key (every model) for the quota cool-down, default one hour", () =>
    Effect.gen(function* () {
      const keyring = yield* Keyring
      yield* keyring.report("p", "gpt-4o", "k1", failure("quota_exhausted"))
      for (const model of ["gpt-4o", "gpt-4o-mini"]) {
        const err = yield* Effect.flip(keyring.lease("p", model))
        assert.strictEqual(err.availableAt, 3_600_000)
      }
      const snap = yield* snapshotOf("k1")
      assert.strictEqual(snap.status, "cooling")
      assert.strictEqual(snap.availableAt, 3_600_000)
      yield* TestClock.adjust("59 minutes")
      assert.isTrue((yield* Effect.exit(keyring.lease("p", "gpt-4o-mini")))._tag === "Failure")
      yield* TestClock.adjust("1 minute")
      assert.strictEqual((yield* keyring.lease("p", "gpt-4o-mini")).id, "k1")
      assert.strictEqual((yield* snapshotOf("k1")).status, "healthy")
    }).pipe(Effect.provide(testLayer({ pools: { p: { keys: makeKeys(1) } } })))
  )

  it.effect("uses the configured cool-down, or the provider's Retry-After when that is longer", () =>
    Effect.gen(function* () {
      const keyring = yield* Keyring
      yield* keyring.report("p", "m", "k1", failure("quota_exhausted"))
      yield* keyring.report("p", "m", "k2", failure("quota_exhausted", { retryAfterMs: 7_200_000 }))
      assert.strictEqual((yield* snapshotOf("k1")).availableAt, 600_000)
      assert.strictEqual((yield* snapshotOf("k2")).availableAt, 7_200_000)
    }).pipe(Effect.provide(testLayer({ pools: { p: { keys: makeKeys(2) } }, policy: { quotaCooldown: "10 minutes" } })))
  )
})
