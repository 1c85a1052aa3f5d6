import { describe, expect, it } from "vitest"
import { errorOf, order, planOf, provider, table } from "./support.ts"

const steps = [
  { provider: "openai", models: ["gpt-4o", "gpt-4o-mini"] },
  { provider: "claude", models: ["claude-haiku-4-5"] }
]
const t = table(
  [provider("openai", "openai", ["gpt-4o", "gpt-4o-mini"]), provider("claude", "anthropic", ["claude-haiku-4-5"])],
  {
    open: steps,
    strict: { steps, profile: "priority", overrides: { profiles: ["cheapest"], pin: false } },
    locked: { steps, overrides: false }
  }
)
const hi = (route: string, metadata?: Record<string, string>) => ({
  route,
  messages: [{ role: "user" as const, content: "hi" }],
  ...(metadata !== undefined ? { metadata } : {})
})

describe("per-request overrides, within what the route allows", () => {
  it("x-am-route picks a profile and pins a provider or model of the route", () => {
    const cheapest = planOf(t, { request: hi("open"), override: "profile=cheapest" })
    expect(cheapest.profile).toBe("cheapest")
    expect(cheapest.explanation.profileSource).toBe("x-am-route")
    expect(order(cheapest)[0]).toBe("openai/gpt-4o-mini")
    expect(order(planOf(t, { request: hi("open"), override: "claude" }))).toEqual(["claude/claude-haiku-4-5"])
    expect(order(planOf(t, { request: hi("open"), override: "openai/gpt-4o-mini" }))).toEqual(["openai/gpt-4o-mini"])
    expect(order(planOf(t, { request: hi("open"), override: "model=gpt-4o, profile=cheapest" }))).toEqual([
      "openai/gpt-4o"
    ])
  })

  it("metadata.profile picks a profile; the header wins over it", () => {
    const byMetadata = planOf(t, { request: hi("open", { profile: "cheapest" }) })
    expect([byMetadata.profile, byMetadata.explanation.profileSource]).toEqual(["cheapest", "metadata.profile"])
    const both = planOf(t, { request: hi("open", { profile: "cheapest" }), override: "priority" })
    expect([both.profile, both.explanation.profileSource]).toEqual(["priority", "x-am-route"])
  })

  it("an override outside the route is a 400 naming the field", () => {
    const cases: Array<[Parameters<typeof errorOf>[1], string, string]> = [
      [{ request: hi("open"), override: "gemini" }, "x-am-route", "no profile, provider or model"],
      [{ request: hi("open"), override: "provider=gemini" }, "x-am-route", "not in this route"],
      [{ request: hi("open"), override: "claude/gpt-4o" }, "x-am-route", "not in this route"],
      [{ request: hi("open"), override: "speed=max" }, "x-am-route", "unknown key"],
      [{ request: hi("open", { profile: "fanciest" }) }, "metadata.profile", "unknown profile"],
      [{ request: hi("strict"), override: "profile=fastest" }, "x-am-route", "does not allow profile"],
      [{ request: hi("strict"), override: "claude" }, "x-am-route", "does not allow pinning"],
      [{ request: hi("locked", { profile: "cheapest" }) }, "metadata.profile", "does not allow profile"]
    ]
    for (const [input, field, text] of cases) {
      const e = errorOf(t, input)
      expect(e.code).toBe("invalid_request")
      expect(e.reason).toMatchObject({ _tag: "InvalidOverride", field })
      expect(e.message).toContain(text)
    }
    // What the strict route does allow.
    expect(planOf(t, { request: hi("strict"), override: "cheapest" }).profile).toBe("cheapest")
  })

  it("a pinned candidate that cannot serve the request is a no_route naming why", () => {
    const e = errorOf(t, { request: { ...hi("open"), maxTokens: 20_000 }, override: "gpt-4o-mini" })
    expect(e.code).toBe("no_route")
    expect(e.message).toContain("maxOutput")
  })
})
