import { Result, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { Catalogue, CatalogueEntrySchema, RouteSchema } from "../src/index.ts"
import { order, planOf, provider, table, user } from "./support.ts"

const decode = Schema.decodeUnknownResult(RouteSchema)
const issue = (input: unknown): string => {
  const r = decode(input)
  if (Result.isSuccess(r)) throw new Error("expected a decoding failure")
  return String(r.failure)
}

describe("the router's config fields", () => {
  it("a route written either way decodes to what the router plans on", () => {
    const written = {
      profile: "cheapest",
      overrides: { profiles: ["priority"] },
      steps: [{ provider: "oa", models: ["gpt-4o", "gpt-4o-mini"] }]
    }
    const route = Schema.decodeUnknownSync(RouteSchema)(written)
    const t = table([provider("oa", "openai", ["gpt-4o", "gpt-4o-mini"])], {
      r: route,
      old: Schema.decodeUnknownSync(RouteSchema)(written.steps)
    })
    expect(order(planOf(t, { request: { ...user("hi"), route: "r" } }))).toEqual(["oa/gpt-4o-mini", "oa/gpt-4o"])
    expect(order(planOf(t, { request: { ...user("hi"), route: "old" } }))).toEqual(["oa/gpt-4o", "oa/gpt-4o-mini"])
  })

  it("a bad field is reported with its path", () => {
    expect(issue({ steps: [{ provider: "oa", models: ["a"], weight: { b: 1 } }] })).toContain(
      '"b" is not a model of this step'
    )
    expect(issue({ steps: [{ provider: "oa", models: ["a"], weight: { b: 1 } }] })).toContain(
      '["steps"][0]["weight"]["b"]'
    )
    expect(issue([{ provider: "oa", models: ["a"], weight: 0 }])).toContain('["weight"]')
    expect(issue({ profile: "fanciest", steps: [{ provider: "oa", models: ["a"] }] })).toContain('["profile"]')
    expect(issue({ steps: [] })).toContain('["steps"]')
  })

  it("catalogue overrides decode and layer on the built-in data", () => {
    const overrides = Schema.decodeUnknownSync(Schema.Array(CatalogueEntrySchema))([
      { kind: "openai-compatible", model: "llava:13b", capabilities: ["vision", "streaming"], contextWindow: 4096 },
      { kind: "openai", model: "gpt-4o", price: { input: 2, output: 8 } }
    ])
    const c = Catalogue.make(overrides)
    expect(Catalogue.lookup(c, "openai-compatible", "llava:13b")?.capabilities.has("vision")).toBe(true)
    expect(Catalogue.lookup(c, "openai", "gpt-4o")).toMatchObject({
      price: { input: 2, output: 8 },
      contextWindow: 128_000
    })
    expect(
      String(
        Schema.decodeUnknownResult(CatalogueEntrySchema)({ kind: "openai", model: "m", capabilities: ["telepathy"] })
      )
    ).toContain('["capabilities"][0]')
  })
})
