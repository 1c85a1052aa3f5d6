import { Engine } from "@am/engine"
import { layerEngine, loadConfig } from "@am/runtime"
import { Upstream } from "@am/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, References } from "effect"
import { engineConfig, INJECTION, PII_VALUES, promptOf, upstreams } from "../src/Scenario.ts"
import { Stats } from "../src/Stats.ts"

describe("the demo's guards", () => {
  it.live("redact the workload's PII before any provider sees it and block its injections before any call", () =>
    Effect.gen(function* () {
      const ups = yield* Upstream.scopedMany(upstreams(1))
      const raw = { ...engineConfig(ups.map((u) => u.baseURL)), ledger: { store: "memory" } }
      const config = yield* loadConfig(raw, { env: {} })
      yield* Effect.gen(function* () {
        const engine = yield* Engine
        const prompts = Array.from({ length: 50 }, (_, i) => promptOf(i))
        const exits = yield* Effect.forEach(
          prompts,
          (content) =>
            Effect.exit(engine.complete({ messages: [{ role: "user", content }], metadata: { workspaceId: "demo" } })),
          { concurrency: 4 }
        )
        const injections = prompts.flatMap((p, i) => (p === INJECTION ? [i] : []))
        assert.strictEqual(injections.length, 2)
        for (const [i, exit] of exits.entries()) {
          if (injections.includes(i)) {
            assert.isTrue(Exit.isFailure(exit))
            const fail = Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Fail") : undefined
            assert.strictEqual(fail?._tag === "Fail" ? fail.error.code : undefined, "guard_blocked")
          } else assert.isTrue(Exit.isSuccess(exit), `request ${i} answered`)
        }
        assert.isTrue(
          prompts.some((p) => PII_VALUES.some((v) => p.includes(v))),
          "the workload carries PII"
        )
        const seen = ups.flatMap((u) => u.requests.map((r) => r.prompt))
        assert.isTrue(seen.length >= 48, "the answered requests reached the providers")
        assert.isFalse(
          seen.some((p) => PII_VALUES.some((v) => p.includes(v))),
          "no PII value reached a provider"
        )
        assert.isFalse(
          seen.some((p) => p.includes("Ignore all previous")),
          "no injection reached a provider"
        )
      }).pipe(Effect.provide(layerEngine(config)), Effect.provideService(References.MinimumLogLevel, "None"))
    }).pipe(Effect.scoped)
  )

  it("the summary counts redacted values by entity and blocked requests", () => {
    const s = new Stats()
    s.onEvent({
      topic: "guard.pii.redacted",
      at: 0,
      requestId: "r1",
      counts: [
        { entity: "email", action: "redact", count: 1 },
        { entity: "card", action: "redact", count: 1 }
      ],
      total: 2
    } as never)
    s.onEvent({
      topic: "guard.pii.redacted",
      at: 1,
      requestId: "r2",
      counts: [{ entity: "email", action: "redact", count: 2 }],
      total: 2
    } as never)
    s.onEvent({
      topic: "guard.blocked",
      at: 2,
      requestId: "r3",
      reason: "injection",
      rule: "override.ignore_previous"
    } as never)
    assert.strictEqual(s.redacted.get("email"), 3)
    assert.strictEqual(s.redacted.get("card"), 1)
    assert.isTrue(s.recent.some((l) => l.includes("guard blocked")))
  })
})
