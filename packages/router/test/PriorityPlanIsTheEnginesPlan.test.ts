/**
 * `Router.layer` under `priority` reproduces the engine's plan of today: on the same config (the
 * engine's own `EngineConfig`, passed as it is) and the same request and quarantines, the router
 * plans the same candidates in the same order, excludes the same ones for the same reasons, skips
 * the same quarantined models, and fails where the engine answers `no_route`. The engine's side is
 * computed by its current plan stage (`planRoute` + `candidatesFor`), not copied.
 */
import { Effect, Exit, Result } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { makeEngineConfig } from "../../engine/src/EngineConfig.ts"
import type { EngineDeps } from "../../engine/src/internal/Deps.ts"
import { candidatesFor, planRoute } from "../../engine/src/internal/Plan.ts"
import type { RequestState } from "../../engine/src/internal/RequestState.ts"
import { planRequest } from "../src/index.ts"
import { arbCapabilities, arbRequest, ENGINE_CAPABILITIES, MODEL_NAMES } from "./support.ts"

const arbConfig = fc
  .array(
    fc.record({
      kind: fc.constantFrom("openai", "anthropic", "gemini", "openai-compatible" as const),
      models: fc.uniqueArray(
        fc.record({
          name: fc.constantFrom(...MODEL_NAMES),
          contextWindow: fc.option(fc.constantFrom(4_096, 8_192, 16_384, 128_000, 200_000), { nil: undefined }),
          capabilities: fc.option(arbCapabilities(ENGINE_CAPABILITIES), { nil: undefined })
        }),
        { minLength: 1, maxLength: 4, selector: (m) => m.name }
      )
    }),
    { minLength: 1, maxLength: 3 }
  )
  .chain((ps) => {
    const providers = ps.map((p, i) => ({
      id: `p${i}`,
      kind: p.kind,
      models: p.models.map((m) => ({
        name: m.name,
        ...(m.contextWindow !== undefined ? { contextWindow: m.contextWindow } : {}),
        ...(m.capabilities !== undefined ? { capabilities: m.capabilities } : {})
      }))
    }))
    const step = fc.integer({ min: 0, max: providers.length - 1 }).chain((i) =>
      fc
        .subarray(
          providers[i]!.models.map((m) => m.name),
          { minLength: 1 }
        )
        .map((models) => ({ provider: `p${i}`, models }))
    )
    const route = fc.array(step, { minLength: 1, maxLength: 4 })
    const quarantined = fc.subarray(providers.flatMap((p) => p.models.map((m) => `${p.id}/${m.name}`)))
    return fc.record({
      config: fc.record({ default: route, r1: route }).map((routes) => makeEngineConfig({ providers, routes })),
      quarantined
    })
  })

const enginePlan = (config: ReturnType<typeof makeEngineConfig>, request: any, quarantined: ReadonlyArray<string>) => {
  const planned = planRoute(config, request)
  const unavailable = new Map(quarantined.map((k) => [k, { provider: "", model: "", until: 0, reason: "test" }]))
  const deps = {
    config,
    modelHealth: { unavailable: Effect.succeed(unavailable) },
    bus: { publish: () => Effect.void },
    active: new Map()
  } as unknown as EngineDeps
  const state = {
    requestId: "req-1",
    route: planned?.route ?? request.route ?? request.model ?? "default",
    attempts: []
  } as unknown as RequestState
  const exit = Effect.runSyncExit(candidatesFor(deps, state, planned))
  return { planned, exit, state }
}

describe("the priority plan is the engine's plan", () => {
  it("same candidates, order, exclusions, skips and no_route on 500 random configs and requests", () => {
    fc.assert(
      fc.property(
        arbConfig,
        arbRequest(fc.constantFrom("default", "r1", ...MODEL_NAMES, "no-such-route")),
        ({ config, quarantined }, request) => {
          const engine = enginePlan(config, request, quarantined)
          const router = planRequest(
            { providers: config.providers, routes: config.routes },
            { requestId: "req-1", request, health: { unavailableModels: new Set(quarantined) } }
          )
          if (Exit.isFailure(engine.exit)) {
            expect(Result.isFailure(router)).toBe(true)
            if (Result.isFailure(router)) expect(router.failure.code).toBe("no_route")
            return
          }
          expect(Result.isSuccess(router)).toBe(true)
          if (!Result.isSuccess(router)) return
          const plan = router.success
          expect(plan.candidates.map((c) => [c.index, c.provider, c.model.name, c.model.contextWindow])).toEqual(
            engine.exit.value.map((c) => [c.index, c.provider.id, c.model.name, c.model.contextWindow])
          )
          expect(plan.excluded.map((x) => [x.provider, x.model, x.reason])).toEqual(
            engine.planned!.excluded.map((x) => [x.provider, x.model, x.reason])
          )
          expect(plan.skipped.map((s) => [s.provider, s.model])).toEqual(
            engine.state.attempts.map((a) => [a.provider, a.model])
          )
          expect(plan.estimatedInputTokens).toBe(engine.planned!.estimatedInputTokens)
        }
      ),
      { numRuns: 500 }
    )
  })

  it("a route of today's shape is planned in route order whatever the request id", () => {
    const config = makeEngineConfig({
      providers: [
        { id: "primary", kind: "openai", models: [{ name: "gpt-4o" }, { name: "gpt-4o-mini" }] },
        { id: "backup", kind: "anthropic", models: [{ name: "claude-haiku-4-5" }] }
      ],
      routes: {
        default: [
          { provider: "primary", models: ["gpt-4o", "gpt-4o-mini"] },
          { provider: "backup", models: ["claude-haiku-4-5"] }
        ]
      }
    })
    const request = { messages: [{ role: "user" as const, content: "hi" }] }
    const engine = enginePlan(config, request, [])
    const expected = Exit.isSuccess(engine.exit) ? engine.exit.value.map((c) => `${c.provider.id}/${c.model.name}`) : []
    expect(expected).toEqual(["primary/gpt-4o", "primary/gpt-4o-mini", "backup/claude-haiku-4-5"])
    for (const requestId of ["a", "b", "c", "d", "e"]) {
      const plan = planRequest({ providers: config.providers, routes: config.routes }, { requestId, request })
      expect(Result.isSuccess(plan) && plan.success.candidates.map((c) => `${c.provider}/${c.model.name}`)).toEqual(
        expected
      )
    }
  })
})
