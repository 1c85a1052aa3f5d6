import { Engine } from "@am/engine"
import { layerEngine, loadConfig } from "@am/runtime"
import { Upstream } from "@am/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, References } from "effect"
import { engineConfig, primaryOutage, upstreams } from "../src/Scenario.ts"
import { percentile, Stats } from "../src/Stats.ts"

describe("the demo's chaos scenario", () => {
  it.live("requests survive the dead key, the overload, the retired model and a full primary outage", () =>
    Effect.gen(function* () {
      const ups = yield* Upstream.scopedMany(upstreams(1))
      const raw = { ...engineConfig(ups.map((u) => u.baseURL)), ledger: { store: "memory" } }
      const config = yield* loadConfig(raw, { env: {} })
      yield* Effect.gen(function* () {
        const engine = yield* Engine
        const ask = (i: number) =>
          Effect.exit(
            engine.complete({ messages: [{ role: "user", content: `q${i}` }], metadata: { workspaceId: "demo" } })
          )
        const before = yield* Effect.forEach(
          Array.from({ length: 20 }, (_, i) => i),
          ask,
          { concurrency: 4 }
        )
        ups[0]!.setScript(primaryOutage)
        const during = yield* Effect.forEach(
          Array.from({ length: 20 }, (_, i) => i),
          ask,
          { concurrency: 4 }
        )
        const all = [...before, ...during]
        assert.isTrue(all.every(Exit.isSuccess), "every request succeeded")
        const state = yield* engine.state
        const k1 = state.keys.find((k) => k.provider === "primary" && k.id === "k1")!
        assert.strictEqual(k1.status, "disabled", "the dead key was disabled")
        // During the outage the secondary answered; the retired model was skipped.
        const last = during[during.length - 1]!
        assert.isTrue(Exit.isSuccess(last) && last.value.resilience.provider !== "primary")
        assert.isFalse(
          ups[1]!.requests.slice(5).some((r) => r.model === "claude-3-opus"),
          "the retired model is quarantined"
        )
      }).pipe(Effect.provide(layerEngine(config)), Effect.provideService(References.MinimumLogLevel, "None"))
    }).pipe(Effect.scoped)
  )

  it("the summary's percentiles pick the nearest rank", () => {
    assert.strictEqual(percentile([5, 1, 3, 2, 4], 50), 3)
    assert.strictEqual(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95), 10)
    assert.strictEqual(percentile([], 99), 0)
  })

  it("the live counters count failovers by reason and breaker transitions", () => {
    const s = new Stats()
    s.onEvent({ topic: "provider.failover", at: 0, fromProvider: "primary", reason: "overloaded" })
    s.onEvent({ topic: "provider.failover", at: 1, fromProvider: "primary", reason: "overloaded" })
    s.onEvent({ topic: "circuit.tripped", at: 2, breaker: "provider:primary", provider: "primary", openForMs: 3000 })
    assert.strictEqual(s.failovers.get("provider failover (overloaded)"), 2)
    assert.strictEqual(s.breakerTransitions.get("circuit.tripped provider:primary"), 1)
    assert.strictEqual(s.recent.length, 3)
  })
})
