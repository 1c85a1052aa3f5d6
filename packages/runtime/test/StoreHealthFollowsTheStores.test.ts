/**
 * A store component's state follows its connection, circuit and spools: up when all is well,
 * degraded (still ready) while on a fallback, down only when a spool is over its bound — and the
 * registry adds every spool of a component to its probe.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { componentState, StoreHealth } from "../src/index.ts"

describe("store health", () => {
  it("follows connection, circuit and spool", () => {
    const base = { connected: true, circuit: "closed" as const, spooled: 0, limit: 10 }
    assert.deepStrictEqual(componentState(base), { status: "up", state: "connected" })
    assert.strictEqual(componentState({ ...base, connected: false, lastError: "refused" }).state, "connecting")
    assert.strictEqual(componentState({ ...base, circuit: "open" }).state, "circuit_open")
    assert.strictEqual(componentState({ ...base, circuit: "half_open" }).state, "half_open")
    assert.deepStrictEqual(componentState({ ...base, spooled: 3 }), {
      status: "degraded",
      state: "spooling",
      spooled: 3
    })
    for (const s of [componentState({ ...base, connected: false }), componentState({ ...base, spooled: 10 })]) {
      assert.strictEqual(s.status, "degraded", "a fallback within its bound keeps the replica ready")
    }
    const over = componentState({ ...base, connected: false, spooled: 11 })
    assert.strictEqual(over.status, "down")
    assert.strictEqual(over.state, "over_bound")
  })

  it.effect("the registry hands each probe the sum of its component's spools, read when asked", () =>
    Effect.gen(function* () {
      const health = yield* StoreHealth
      let ledger = 0
      yield* health.register("store:ledger", (spooled) =>
        Effect.succeed(componentState({ connected: true, circuit: "closed", spooled, limit: 5 }))
      )
      yield* health.addSpool("store:ledger", () => ledger)
      yield* health.addSpool("store:ledger", () => 2)
      assert.strictEqual((yield* health.components)["store:ledger"]?.spooled, 2)
      ledger = 4
      assert.strictEqual((yield* health.components)["store:ledger"]?.status, "down")
    }).pipe(Effect.provide(StoreHealth.layer))
  )
})
