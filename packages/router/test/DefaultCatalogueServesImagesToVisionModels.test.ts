import { describe, expect, it } from "vitest"
import { Catalogue } from "../src/index.ts"
import { errorOf, imageRequest, order, planOf, provider, table, user } from "./support.ts"

describe("the built-in catalogue", () => {
  // A config that names models and says nothing about what they can do.
  const t = table(
    [
      provider("local", "openai-compatible", ["llama3.1:8b"]),
      provider("audio", "openai", ["gpt-audio"]),
      provider("claude", "anthropic", ["claude-haiku-4-5-20251001"]),
      provider("gemini", "gemini", ["models/gemini-2.5-flash"])
    ],
    {
      default: [
        { provider: "local", models: ["llama3.1:8b"] },
        { provider: "audio", models: ["gpt-audio"] },
        { provider: "claude", models: ["claude-haiku-4-5-20251001"] },
        { provider: "gemini", models: ["models/gemini-2.5-flash"] }
      ]
    }
  )

  it("a default config serves an image request to a vision model", () => {
    const plan = planOf(t, { request: imageRequest })
    expect(order(plan)).toEqual(["claude/claude-haiku-4-5-20251001", "gemini/models/gemini-2.5-flash"])
    // The unknown local model got the conservative defaults (no vision); gpt-audio has no image input.
    expect(plan.excluded.map((x) => [x.model, x.capability])).toEqual([
      ["llama3.1:8b", "vision"],
      ["gpt-audio", "vision"]
    ])
    expect(plan.candidates[0]!.model).toMatchObject({ contextWindow: 200_000, maxOutput: 64_000, known: true })
    // A text request still starts at the top of the route.
    expect(order(planOf(t, { request: user("hi") }))[0]).toBe("local/llama3.1:8b")
  })

  it("unknown models get tools, json and streaming, a 128k window, no max-output check and no price", () => {
    const unknown = planOf(t, { request: user("hi") }).candidates[0]!
    expect([...unknown.model.capabilities].sort()).toEqual(["json", "streaming", "tools"])
    expect(unknown.model.contextWindow).toBe(128_000)
    expect(unknown.model.maxOutput).toBeUndefined()
    expect(unknown.estimatedCostUsd).toBeUndefined()
  })

  it("config overrides: a model entry's capabilities win, and Catalogue.make layers overrides on the data", () => {
    const declared = table(
      [provider("local", "openai-compatible", [{ name: "llava", capabilities: ["vision", "streaming"] }])],
      {
        default: [{ provider: "local", models: ["llava"] }]
      }
    )
    expect(order(planOf(declared, { request: imageRequest }))).toEqual(["local/llava"])
    const noVision = Catalogue.make([
      { kind: "anthropic", model: "claude-haiku-4-5", capabilities: ["tools", "streaming"] }
    ])
    expect(Catalogue.lookup(noVision, "anthropic", "claude-haiku-4-5")?.contextWindow).toBe(200_000)
    const e = errorOf(
      table(
        [provider("claude", "anthropic", ["claude-haiku-4-5"])],
        { default: [{ provider: "claude", models: ["claude-haiku-4-5"] }] },
        noVision
      ),
      { request: imageRequest }
    )
    expect(e.message).toContain('lacks "vision"')
  })

  it("an openai-compatible host borrows OpenAI's capabilities for the same model name, never its price", () => {
    const azure = Catalogue.lookup(Catalogue.builtin, "openai-compatible", "gpt-4o")
    expect(azure?.capabilities.has("vision")).toBe(true)
    expect(azure?.price).toBeUndefined()
    expect(Catalogue.lookup(Catalogue.builtin, "openai", "gpt-4o-2024-08-06")?.price).toEqual({
      input: 2.5,
      output: 10
    })
  })

  it("the data is dated, every entry has a source, and no entry contradicts itself", () => {
    expect(Catalogue.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/)
    for (const e of Catalogue.builtin.values()) {
      expect(e.source, e.model).toBeDefined()
      expect(e.contextWindow, e.model).toBeGreaterThan(0)
      if (e.capabilities.has("embeddings")) expect(e.dimensions, e.model).toBeGreaterThan(0)
      if (e.maxOutput !== undefined) expect(e.maxOutput, e.model).toBeLessThanOrEqual(e.contextWindow)
      if (e.price !== undefined) expect(e.price.output, e.model).toBeGreaterThanOrEqual(0)
    }
    expect(Catalogue.lookup(Catalogue.builtin, "anthropic", "claude-haiku-4-5")?.capabilities.has("embeddings")).toBe(
      false
    )
  })
})
