import { assert, describe, it } from "@effect/vitest"
import { Effect, Random } from "effect"
import { leaseIds, makeKeys, backends } from "./fixtures.ts"

const share = (ids: ReadonlyArray<string>, id: string) => ids.filter((x) => x === id).length / ids.length

describe.each(backends)("weighted selection ($name)", ({ testLayer }) => {
  it.effect("leases keys in proportion to their weights over many leases", () =>
    Effect.gen(function* () {
      const ids = yield* leaseIds("p", "m", 10_000)
      // Weights 1 : 3 : 6 → 10 % : 30 % : 60 %; a seeded draw of 10,000 lands within 2 points.
      assert.approximately(share(ids, "k1"), 0.1, 0.02)
      assert.approximately(share(ids, "k2"), 0.3, 0.02)
      assert.approximately(share(ids, "k3"), 0.6, 0.02)
    }).pipe(
      Effect.provide(testLayer({ pools: { p: { strategy: "weighted", keys: makeKeys(3, [1, 3, 6]) } } })),
      Random.withSeed("keyring-weighted")
    )
  )

  it.effect("never picks a weight-0 key while a weighted key is healthy, but falls back to it", () =>
    Effect.gen(function* () {
      const ids = yield* leaseIds("p", "m", 500)
      assert.strictEqual(share(ids, "k2"), 0)
      const fallback = yield* leaseIds("q", "m", 3)
      assert.deepStrictEqual(fallback, ["k1", "k2", "k1"])
    }).pipe(
      Effect.provide(
        testLayer({
          pools: {
            p: { strategy: "weighted", keys: makeKeys(2, [1, 0]) },
            q: { strategy: "weighted", keys: makeKeys(2, [0, 0]) }
          }
        })
      ),
      Random.withSeed("keyring-weight-zero")
    )
  )
})
