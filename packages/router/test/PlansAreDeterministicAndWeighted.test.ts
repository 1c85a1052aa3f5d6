import { Result } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { planRequest } from "../src/index.ts"
import { arbRequest, order, planOf, provider, table } from "./support.ts"

const providers = [
  provider(
    "east",
    "openai",
    ["gpt-4o", "gpt-4o-mini"],
    [
      { id: "e1", weight: 3 },
      { id: "e2", weight: 1 }
    ]
  ),
  provider("west", "openai", ["gpt-4o", "gpt-4o-mini"]),
  provider("claude", "anthropic", ["claude-haiku-4-5", "claude-sonnet-4-5"])
]
const t = table(providers, {
  // east and west share the traffic 3:1; claude is the fallback after both.
  balanced: [
    { provider: "east", models: ["gpt-4o"], weight: 3 },
    { provider: "west", models: ["gpt-4o"], weight: 1 },
    { provider: "claude", models: ["claude-haiku-4-5"] }
  ],
  perModel: [
    {
      provider: "claude",
      models: ["claude-haiku-4-5", "claude-sonnet-4-5"],
      weight: { "claude-haiku-4-5": 1, "claude-sonnet-4-5": 4 }
    }
  ],
  cheap: {
    profile: "cheapest",
    steps: [
      { provider: "east", models: ["gpt-4o"] },
      { provider: "west", models: ["gpt-4o"] }
    ]
  },
  fast: {
    profile: "fastest",
    steps: [
      { provider: "east", models: ["gpt-4o", "gpt-4o-mini"] },
      { provider: "claude", models: ["claude-haiku-4-5"] }
    ]
  }
})

const share = (route: string, first: string, n = 4000, extra: object = {}) => {
  let hits = 0
  for (let i = 0; i < n; i++) {
    if (
      order(
        planOf(t, { request: { route, messages: [{ role: "user", content: "hi" }] }, requestId: `req-${i}`, ...extra })
      )[0] === first
    )
      hits++
  }
  return hits / n
}

describe("plans are deterministic for a given state, and weights balance equal candidates", () => {
  it("the same request id, request and health give the same plan (property)", () => {
    fc.assert(
      fc.property(
        arbRequest(fc.constantFrom("balanced", "perModel", "cheap", "fast")),
        fc.string(),
        fc.dictionary(
          fc.constantFrom("east/gpt-4o", "east/gpt-4o-mini", "claude/claude-haiku-4-5"),
          fc.integer({ min: 1, max: 3000 })
        ),
        (request, requestId, latency) => {
          const input = {
            request: { ...request, model: undefined, route: request.route ?? request.model },
            requestId,
            health: { latencyMs: new Map(Object.entries(latency)) }
          }
          const a = planRequest(t, input)
          const b = planRequest(t, input)
          expect(Result.isSuccess(a)).toBe(Result.isSuccess(b))
          if (Result.isSuccess(a) && Result.isSuccess(b)) {
            expect(b.success).toEqual(a.success)
            expect(JSON.parse(JSON.stringify(a.success.explanation))).toEqual(a.success.explanation)
          }
        }
      ),
      { numRuns: 300 }
    )
  })

  it("weighted steps split the first choice in proportion to their weights; the unweighted step stays last", () => {
    const east = share("balanced", "east/gpt-4o")
    expect(east).toBeGreaterThan(0.72)
    expect(east).toBeLessThan(0.78)
    for (let i = 0; i < 50; i++) {
      expect(
        order(
          planOf(t, { request: { route: "balanced", messages: [{ role: "user", content: "x" }] }, requestId: `r${i}` })
        ).at(-1)
      ).toBe("claude/claude-haiku-4-5")
    }
  })

  it("per-model weights split one step's models", () => {
    const sonnet = share("perModel", "claude/claude-sonnet-4-5")
    expect(sonnet).toBeGreaterThan(0.77)
    expect(sonnet).toBeLessThan(0.83)
  })

  it("equal prices under cheapest are a tie drawn from the request id (weight 1 each)", () => {
    const east = share("cheap", "east/gpt-4o")
    expect(east).toBeGreaterThan(0.46)
    expect(east).toBeLessThan(0.54)
  })

  it("key order: usable keys in a weighted order seeded by the request id", () => {
    let e1 = 0
    for (let i = 0; i < 4000; i++) {
      const keys = planOf(t, {
        request: { route: "balanced", messages: [{ role: "user", content: "x" }] },
        requestId: `k${i}`
      }).candidates.find((c) => c.provider === "east")!.keys
      expect([...keys].sort()).toEqual(["e1", "e2"])
      if (keys[0] === "e1") e1++
    }
    expect(e1 / 4000).toBeGreaterThan(0.72)
    expect(e1 / 4000).toBeLessThan(0.78)
  })

  it("fastest orders by observed latency; unobserved candidates follow in route order", () => {
    const plan = planOf(t, {
      request: { route: "fast", messages: [{ role: "user", content: "x" }] },
      health: {
        latencyMs: new Map([
          ["claude/claude-haiku-4-5", 300],
          ["east/gpt-4o", 900]
        ])
      }
    })
    expect(order(plan)).toEqual(["claude/claude-haiku-4-5", "east/gpt-4o", "east/gpt-4o-mini"])
    expect(plan.explanation.order.map((o) => o.why)).toEqual([
      "observed 300 ms",
      "observed 900 ms",
      "no latency observed: after the observed candidates"
    ])
  })
})
