import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { Keyring } from "../src/index.ts"
import { eventsOf, failure, makeKeys, snapshotOf, backends } from "./fixtures.ts"

describe.each(backends)("an invalid key or a permission failure disables the key ($name)", ({ testLayer }) => {
  it.effect("401: disabled with a reason until enable(), however long it waits", () =>
    Effect.gen(function* () {
      const keyring = yield* Keyring
      yield* keyring.report("p", "m", "k1", failure("auth_invalid", { rule: "openai.401.invalid_api_key" }))
      const snap = yield* snapshotOf("k1")
      assert.strictEqual(snap.status, "disabled")
      assert.strictEqual(snap.disabledReason, "auth_invalid (openai.401.invalid_api_key)")
      assert.isUndefined(snap.availableAt)

      yield* TestClock.adjust("30 days")
      const err = yield* Effect.flip(keyring.lease("p", "other-model"))
      assert.isUndefined(err.availableAt)

      yield* keyring.enable("p", "k1")
      assert.strictEqual((yield* keyring.lease("p", "m")).id, "k1")
      assert.deepInclude(yield* snapshotOf("k1"), { status: "healthy", penalty: 0 })
    }).pipe(Effect.provide(testLayer({ pools: { p: { keys: makeKeys(1) } }, policy: { healAfter: "1000 days" } })))
  )

  it.effect("403 disables too; other keys keep serving", () =>
    Effect.gen(function* () {
      const keyring = yield* Keyring
      yield* keyring.report("p", "m", "k1", failure("permission_denied"))
      const ids = yield* Effect.forEach([1, 2], () => Effect.map(keyring.lease("p", "m"), (k) => k.id))
      assert.deepStrictEqual(ids, ["k2", "k2"])
      assert.strictEqual((yield* snapshotOf("k1")).disabledReason, "permission_denied (test.permission_denied)")
    }).pipe(Effect.provide(testLayer({ pools: { p: { keys: makeKeys(2) } } })))
  )

  it.effect("with a recheck, the key comes back on probation after that time; failing again disables it again", () =>
    Effect.gen(function* () {
      const keyring = yield* Keyring
      yield* keyring.report("p", "m", "k1", failure("auth_invalid"))
      assert.strictEqual((yield* Effect.flip(keyring.lease("p", "m"))).availableAt, 600_000)
      assert.strictEqual((yield* snapshotOf("k1")).availableAt, 600_000)
      yield* TestClock.adjust("9 minutes")
      assert.isTrue((yield* Effect.exit(keyring.lease("p", "m")))._tag === "Failure")
      yield* TestClock.adjust("1 minute")
      assert.strictEqual((yield* keyring.lease("p", "m")).id, "k1")
      // On probation the key keeps its (decaying) penalty.
      assert.isAbove((yield* snapshotOf("k1")).penalty, 0)

      yield* keyring.report("p", "m", "k1", failure("auth_invalid"))
      assert.strictEqual((yield* Effect.flip(keyring.lease("p", "m"))).availableAt, 1_200_000)
      assert.lengthOf(yield* eventsOf("resource.disabled"), 2)
    }).pipe(
      Effect.provide(
        testLayer({
          pools: { p: { keys: makeKeys(1) } },
          policy: { disabledRecheck: "10 minutes", healAfter: "1 hour" }
        })
      )
    )
  )

  it.effect("calls in flight that fail the same way disable the key once", () =>
    Effect.gen(function* () {
      const keyring = yield* Keyring
      yield* Effect.forEach([1, 2, 3], () => keyring.report("p", "m", "k1", failure("auth_invalid")), {
        concurrency: "unbounded"
      })
      assert.lengthOf(yield* eventsOf("resource.disabled"), 1)
      assert.strictEqual((yield* snapshotOf("k1")).failures, 3)
    }).pipe(Effect.provide(testLayer({ pools: { p: { keys: makeKeys(1) } } })))
  )

  it.effect("an operator's disable() holds until enable(), even with a recheck configured", () =>
    Effect.gen(function* () {
      const keyring = yield* Keyring
      yield* keyring.disable("p", "k1", "rotated by operator")
      yield* TestClock.adjust("1 day")
      const err = yield* Effect.flip(keyring.lease("p", "m"))
      assert.isUndefined(err.availableAt)
      assert.strictEqual((yield* snapshotOf("k1")).disabledReason, "rotated by operator")
      yield* keyring.enable("p", "k1")
      assert.strictEqual((yield* keyring.lease("p", "m")).id, "k1")
    }).pipe(
      Effect.provide(testLayer({ pools: { p: { keys: makeKeys(1) } }, policy: { disabledRecheck: "10 minutes" } }))
    )
  )
})
