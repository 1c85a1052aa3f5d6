/**
 * Under `priority`, the route-table router plans a route of today's shape (the engine's own
 * `EngineConfig`, passed as it is) in route order: the candidates are the route's (provider,
 * model)s in the order written, minus the excluded and the quarantined, each left out for a
 * reason it really has; a name no route or provider has is `no_route`. Pinned on fixed inputs
 * too (the engine's old plan stage, which the first version of this test compared against, is
 * gone: the engine plans through this router now).
 */
import { Result } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { makeEngineConfig } from "../../engine/src/EngineConfig.ts"
import { planRequest, requirementsOf, stepsOf } from "../src/index.ts"
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

describe("the priority plan keeps the route order", () => {
  it("candidates in route order, the rest excluded or skipped for a reason they have, on 500 random configs", () => {
    fc.assert(
      fc.property(
        arbConfig,
        arbRequest(fc.constantFrom("default", "r1", ...MODEL_NAMES, "no-such-route")),
        ({ config, quarantined }, request) => {
          const name = request.route ?? request.model ?? "default"
          const route = config.routes.get(name)
          const written = (
            route !== undefined
              ? stepsOf(route)
              : [...config.providers.values()]
                  .filter((p) => p.models.has(name))
                  .map((p) => ({ provider: p.id, models: [name] }))
          ).flatMap((s) => s.models.map((m) => `${s.provider}/${m}`))
          const plan = planRequest(
            { providers: config.providers, routes: config.routes },
            { requestId: "req-1", request, health: { unavailableModels: new Set(quarantined) } }
          )
          if (Result.isFailure(plan)) {
            expect(plan.failure.code).toBe("no_route")
            return
          }
          const p = plan.success
          const planned = p.candidates.map((c) => `${c.provider}/${c.model.name}`)
          // Route order: the planned ones are a subsequence of the route as written.
          expect(planned).toEqual(written.filter((w) => planned.includes(w)))
          expect(p.candidates.map((c) => c.index)).toEqual(planned.map((_, i) => i))
          // Nothing lost: every written candidate is planned, excluded or skipped.
          const left = [
            ...p.excluded.map((x) => `${x.provider}/${x.model}`),
            ...p.skipped.map((s) => `${s.provider}/${s.model}`)
          ]
          expect([...planned, ...left].sort()).toEqual([...written].sort())
          // A skip is a quarantine; a capability exclusion is a need the model really lacks.
          for (const s of p.skipped) expect(quarantined).toContain(`${s.provider}/${s.model}`)
          const needs = requirementsOf({ request }).capabilities
          for (const c of p.candidates) for (const n of needs) expect(c.model.capabilities.has(n)).toBe(true)
          for (const x of p.excluded) if (x.reason === "capability") expect(needs).toContain(x.capability)
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
    for (const requestId of ["a", "b", "c", "d", "e"]) {
      const plan = planRequest({ providers: config.providers, routes: config.routes }, { requestId, request })
      expect(Result.isSuccess(plan) && plan.success.candidates.map((c) => `${c.provider}/${c.model.name}`)).toEqual([
        "primary/gpt-4o",
        "primary/gpt-4o-mini",
        "backup/claude-haiku-4-5"
      ])
    }
  })
})
