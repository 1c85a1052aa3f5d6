import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Keyring } from "../src/index.ts"
import { failure, leaseIds, makeKeys, success, backends } from "./fixtures.ts"

describe.each(backends)("least-penalised selection ($name)", ({ testLayer }) => {
  // A zero transient cool-down keeps every key leasable, so only the penalty decides.
  const layer = testLayer({
    pools: { p: { strategy: "least-penalized", keys: makeKeys(3) } },
    policy: { transientPenalty: "0 millis" }
  })

  it.effect("picks the key with the lowest penalty", () =>
    Effect.gen(function* () {
      const keyring = yield* Keyring
      yield* keyring.report("p", "m", "k1", failure("server_error"))
      yield* keyring.report("p", "m", "k1", failure("server_error"))
      yield* keyring.report("p", "m", "k3", failure("server_error"))
      assert.deepStrictEqual(yield* leaseIds("p", "m", 3), ["k2", "k2", "k2"])
      yield* keyring.report("p", "m", "k2", failure("server_error"))
      yield* keyring.report("p", "m", "k2", failure("server_error"))
      yield* keyring.report("p", "m", "k2", failure("server_error"))
      assert.deepStrictEqual(yield* leaseIds("p", "m", 2), ["k3", "k3"])
      yield* keyring.report("p", "m", "k1", success)
      yield* keyring.report("p", "m", "k1", success)
      assert.strictEqual((yield* keyring.lease("p", "m")).id, "k1")
    }).pipe(Effect.provide(layer))
  )

  it.effect("rotates among keys with equal penalties", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(yield* leaseIds("p", "m", 4), ["k1", "k2", "k3", "k1"])
    }).pipe(Effect.provide(layer))
  )
})
