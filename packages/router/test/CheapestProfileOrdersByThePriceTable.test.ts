import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Catalogue, EXPECTED_OUTPUT_TOKENS, estimatePromptTokens } from "../src/index.ts"
import { arbRequest, MODEL_NAMES, order, planOf, provider, table, user } from "./support.ts"

// Written most expensive first, so route order and price order disagree.
const routeSteps = [
  { provider: "anthropic", models: ["claude-opus-4-1", "claude-haiku-4-5"] },
  { provider: "openai", models: ["gpt-4o", "gpt-4.1-nano", "gpt-4o-mini"] },
  { provider: "gemini", models: ["gemini-2.5-flash-lite"] }
]
const providers = [
  provider("anthropic", "anthropic", ["claude-opus-4-1", "claude-haiku-4-5"]),
  provider("openai", "openai", ["gpt-4o", "gpt-4.1-nano", "gpt-4o-mini"]),
  provider("gemini", "gemini", ["gemini-2.5-flash-lite"])
]
const cheap = table(providers, { cheap: { profile: "cheapest", steps: routeSteps }, default: routeSteps })

/** The expected order, from the catalogue's prices and the documented cost estimate. */
const byPrice = (request: ReturnType<typeof user>) => {
  const inTok = estimatePromptTokens(request)
  const outTok = request.maxTokens ?? EXPECTED_OUTPUT_TOKENS
  return routeSteps
    .flatMap((s) =>
      s.models.map((m) => ({ id: `${s.provider}/${m}`, kind: providers.find((p) => p.id === s.provider)!.kind, m }))
    )
    .map(({ id, kind, m }) => {
      const price = Catalogue.lookup(Catalogue.builtin, kind, m)!.price!
      return { id, cost: inTok * price.input + outTok * price.output }
    })
    .sort((a, b) => a.cost - b.cost)
    .map((x) => x.id)
}

describe("profile: cheapest", () => {
  it("orders a route's candidates by the price table, cheapest first", () => {
    const request = { ...user("Summarise the attached minutes in three bullet points."), route: "cheap" }
    const plan = planOf(cheap, { request })
    expect(plan.profile).toBe("cheapest")
    expect(order(plan)).toEqual(byPrice(request))
    expect(order(plan)[0]).toBe("openai/gpt-4.1-nano")
    expect(order(plan).at(-1)).toBe("anthropic/claude-opus-4-1")
    // The same route under priority keeps the written order.
    expect(order(planOf(cheap, { request: { ...request, route: "default" } }))).toEqual(
      routeSteps.flatMap((s) => s.models.map((m) => `${s.provider}/${m}`))
    )
  })

  it("a price override in config reorders the plan", () => {
    const overridden = table(
      [
        provider("anthropic", "anthropic", [
          { name: "claude-opus-4-1", price: { input: 0.001, output: 0.001 } },
          "claude-haiku-4-5"
        ]),
        ...providers.slice(1)
      ],
      { cheap: { profile: "cheapest", steps: routeSteps } }
    )
    expect(order(planOf(overridden, { request: { ...user("hi"), route: "cheap" } }))[0]).toBe(
      "anthropic/claude-opus-4-1"
    )
  })

  it("estimated costs never decrease along the plan, and unpriced models come last in route order", () => {
    const names = MODEL_NAMES.filter((m) => !m.startsWith("text-embedding"))
    const t = table(
      [
        provider("a", "openai", [...names]),
        provider("b", "anthropic", [...names]),
        provider("c", "gemini", [...names])
      ],
      {
        cheap: {
          profile: "cheapest",
          steps: [
            { provider: "a", models: [...names] },
            { provider: "b", models: [...names] },
            { provider: "c", models: [...names] }
          ]
        }
      }
    )
    fc.assert(
      fc.property(arbRequest(fc.constant("cheap")), fc.string({ minLength: 1 }), (request, requestId) => {
        let plan: ReturnType<typeof planOf>
        try {
          plan = planOf(t, { request, requestId })
        } catch {
          return // nothing could serve it (e.g. an image to text-only models)
        }
        const costs = plan.candidates.map((c) => c.estimatedCostUsd)
        const priced = costs.filter((c): c is number => c !== undefined)
        expect(costs.slice(0, priced.length).every((c) => c !== undefined)).toBe(true)
        for (let i = 1; i < priced.length; i++) expect(priced[i]!).toBeGreaterThanOrEqual(priced[i - 1]!)
        const unpriced = plan.candidates.filter((c) => c.estimatedCostUsd === undefined).map((c) => c.routeIndex)
        expect(unpriced).toEqual([...unpriced].sort((x, y) => x - y))
      }),
      { numRuns: 200 }
    )
  })
})
