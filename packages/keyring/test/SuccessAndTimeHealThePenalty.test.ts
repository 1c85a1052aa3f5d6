import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { Keyring } from "../src/index.ts"
import { failure, makeKeys, snapshotOf, success, backends } from "./fixtures.ts"

describe.each(backends)("keys heal ($name)", ({ testLayer }) => {
  it.effect("a success takes one penalty point off", () =>
    Effect.gen(function* () {
      const keyring = yield* Keyring
      yield* keyring.report("p", "m", "k1", failure("server_error"))
      yield* keyring.report("p", "m", "k1", failure("timeout"))
      yield* keyring.report("p", "m", "k1", failure("rate_limit"))
      assert.strictEqual((yield* snapshotOf("k1")).penalty, 3)
      yield* keyring.report("p", "m", "k1", success)
      assert.strictEqual((yield* snapshotOf("k1")).penalty, 2)
      yield* keyring.report("p", "m", "k1", success)
      yield* keyring.report("p", "m", "k1", success)
      yield* keyring.report("p", "m", "k1", success)
      assert.strictEqual((yield* snapshotOf("k1")).penalty, 0)
    }).pipe(Effect.provide(testLayer({ pools: { p: { keys: makeKeys(1) } } })))
  )

  it.effect("the penalty decays linearly to 0 over healAfter without failures", () =>
    Effect.gen(function* () {
      const keyring = yield* Keyring
      yield* keyring.report("p", "m", "k1", failure("quota_exhausted"))
      assert.strictEqual((yield* snapshotOf("k1")).penalty, 5)
      yield* TestClock.adjust("5 minutes")
      assert.closeTo((yield* snapshotOf("k1")).penalty, 2.5, 1e-9)
      // A success while decaying still ends the decay at the same moment.
      yield* keyring.report("p", "m", "k1", success)
      assert.closeTo((yield* snapshotOf("k1")).penalty, 1.5, 1e-9)
      yield* TestClock.adjust("5 minutes")
      assert.strictEqual((yield* snapshotOf("k1")).penalty, 0)
    }).pipe(Effect.provide(testLayer({ pools: { p: { keys: makeKeys(1) } }, policy: { healAfter: "10 minutes" } })))
  )

  it.effect("a rate-limit streak older than healAfter starts again at the base backoff", () =>
    Effect.gen(function* () {
      const keyring = yield* Keyring
      yield* keyring.report("p", "m", "k1", failure("rate_limit"))
      yield* keyring.report("p", "m", "k1", failure("rate_limit"))
      yield* TestClock.adjust("1 minute")
      yield* keyring.report("p", "m", "k1", failure("rate_limit"))
      assert.strictEqual((yield* snapshotOf("k1")).coolingModels?.m, 60_000 + 1_000)
    }).pipe(Effect.provide(testLayer({ pools: { p: { keys: makeKeys(1) } }, policy: { healAfter: "30 seconds" } })))
  )
})
