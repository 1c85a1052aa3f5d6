import { describe, expect, it } from "vitest"
import { errorOf, order, planOf, provider, table, user } from "./support.ts"

const t = table(
  [
    provider("a", "openai", ["gpt-4o", "gpt-4o-mini"], [{ id: "a1" }, { id: "a2" }]),
    provider("b", "anthropic", ["claude-haiku-4-5"], [{ id: "b1" }])
  ],
  {
    default: [
      { provider: "a", models: ["gpt-4o", "gpt-4o-mini"] },
      { provider: "b", models: ["claude-haiku-4-5"] }
    ]
  }
)
const request = user("hi")

describe("the health snapshot", () => {
  it("an open circuit demotes its candidates to the end, in order, and the explanation says so", () => {
    const plan = planOf(t, { request, health: { circuits: [{ provider: "a", status: "open" }] } })
    expect(order(plan)).toEqual(["b/claude-haiku-4-5", "a/gpt-4o", "a/gpt-4o-mini"])
    expect(plan.candidates.map((c) => c.demoted)).toEqual([undefined, "circuit_open", "circuit_open"])
    expect(plan.explanation.order[1]!.why).toContain("demoted: circuit open")
    // A model-level circuit demotes only that model; half-open ones stay in place.
    const model = planOf(t, {
      request,
      health: {
        circuits: [
          { provider: "a", model: "gpt-4o", status: "open" },
          { provider: "b", status: "half_open" }
        ]
      }
    })
    expect(order(model)).toEqual(["a/gpt-4o-mini", "b/claude-haiku-4-5", "a/gpt-4o"])
  })

  it("keys: cooling or disabled keys leave the key order; a candidate with no usable key is demoted", () => {
    const plan = planOf(t, {
      request,
      health: {
        keys: [
          { provider: "a", id: "a1", status: "cooling", availableAt: 5_000, coolingModels: { "gpt-4o": 5_000 } },
          { provider: "a", id: "a2", status: "disabled" },
          { provider: "b", id: "b1", status: "healthy" }
        ]
      }
    })
    // a1 is rate-limited on gpt-4o only: usable for gpt-4o-mini; a2 is out.
    expect(order(plan)).toEqual(["a/gpt-4o-mini", "b/claude-haiku-4-5", "a/gpt-4o"])
    expect(plan.candidates.map((c) => [c.model.name, c.keys, c.demoted])).toEqual([
      ["gpt-4o-mini", ["a1"], undefined],
      ["claude-haiku-4-5", ["b1"], undefined],
      ["gpt-4o", [], "no_available_key"]
    ])
    // Cooling key-wide (availableAt past every model cool-down): no model of the provider can use it.
    const keyWide = planOf(t, {
      request,
      health: {
        keys: [
          { provider: "a", id: "a1", status: "cooling", availableAt: 9_000 },
          { provider: "a", id: "a2", status: "disabled" }
        ]
      }
    })
    expect(keyWide.candidates.filter((c) => c.provider === "a").map((c) => c.demoted)).toEqual([
      "no_available_key",
      "no_available_key"
    ])
  })

  it("quarantined models are skipped and reported; all quarantined is a no_route naming them", () => {
    const plan = planOf(t, { request, health: { unavailableModels: new Set(["a/gpt-4o"]) } })
    expect(order(plan)).toEqual(["a/gpt-4o-mini", "b/claude-haiku-4-5"])
    expect(plan.skipped).toEqual([{ provider: "a", model: "gpt-4o", reason: "model_unavailable" }])
    const e = errorOf(t, {
      request,
      health: { unavailableModels: new Set(["a/gpt-4o", "a/gpt-4o-mini", "b/claude-haiku-4-5"]) }
    })
    expect(e.reason._tag).toBe("AllUnavailable")
    expect(e.code).toBe("no_route")
    expect(e.message).toContain("a/gpt-4o-mini")
  })
})
