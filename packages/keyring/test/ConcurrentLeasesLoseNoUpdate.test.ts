import { assert, describe, it } from "@effect/vitest"
import { Effect, Random } from "effect"
import { Keyring, type KeyringConfig } from "../src/index.ts"
import { failure, makeKeys, success, backends } from "./fixtures.ts"

const N = 1_000

// Each fiber leases, yields (so the others interleave between its lease and its report), and
// reports; every third call fails with a key-scoped failure that penalises without cooling.
const workload = Effect.gen(function* () {
  const keyring = yield* Keyring
  const outcomes = yield* Effect.forEach(
    Array.from({ length: N }, (_, i) => i),
    (i) =>
      Effect.gen(function* () {
        const key = yield* keyring.lease("p", "m")
        yield* Effect.yieldNow
        const failed = i % 3 === 0
        yield* keyring.report("p", "m", key.id, failed ? failure("server_error") : success)
        return { id: key.id, failed }
      }),
    { concurrency: "unbounded" }
  )
  const snapshot = yield* keyring.snapshot
  return { outcomes, snapshot }
})

const config = (strategy: "round-robin" | "weighted" | "least-penalized"): KeyringConfig => ({
  pools: { p: { strategy, keys: makeKeys(4, [1, 2, 3, 4]) } },
  policy: { transientPenalty: "0 millis" }
})

describe.each(backends)("1,000 concurrent leases and reports lose no update ($name)", ({ testLayer }) => {
  it.effect("round-robin: every key leased exactly 250 times, every failure counted", () =>
    Effect.gen(function* () {
      const { outcomes, snapshot } = yield* workload
      assert.deepStrictEqual(
        snapshot.map((s) => s.leases),
        [250, 250, 250, 250]
      )
      const failuresById = (id: string) => outcomes.filter((o) => o.id === id && o.failed).length
      for (const s of snapshot) assert.strictEqual(s.failures, failuresById(s.id))
      assert.strictEqual(
        snapshot.reduce((n, s) => n + s.failures, 0),
        Math.ceil(N / 3)
      )
    }).pipe(Effect.provide(testLayer(config("round-robin"))))
  )

  for (const strategy of ["weighted", "least-penalized"] as const) {
    it.effect(`${strategy}: leases and failures add up to what the callers saw`, () =>
      Effect.gen(function* () {
        const { outcomes, snapshot } = yield* workload
        assert.strictEqual(
          snapshot.reduce((n, s) => n + s.leases, 0),
          N
        )
        for (const s of snapshot) {
          assert.strictEqual(s.leases, outcomes.filter((o) => o.id === s.id).length)
          assert.strictEqual(s.failures, outcomes.filter((o) => o.id === s.id && o.failed).length)
        }
      }).pipe(Effect.provide(testLayer(config(strategy))), Random.withSeed(`concurrent-${strategy}`))
    )
  }
})
