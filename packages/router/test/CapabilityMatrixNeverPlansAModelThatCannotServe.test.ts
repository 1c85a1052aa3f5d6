import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { CAPABILITIES, type Capability, requirementsOf } from "../src/index.ts"
import { arbCapabilities, arbRequest, errorOf, order, planOf, provider, table, user, withTools } from "./support.ts"

describe("the capability matrix", () => {
  const noTools = provider("local", "openai-compatible", [{ name: "llama", capabilities: ["json", "streaming"] }])
  const noStream = provider("batch", "openai", [{ name: "gpt-4o", capabilities: ["tools", "json", "vision"] }])
  const full = provider("primary", "openai", ["gpt-4o-mini"])
  const t = table([noTools, noStream, full], {
    default: [
      { provider: "local", models: ["llama"] },
      { provider: "batch", models: ["gpt-4o"] },
      { provider: "primary", models: ["gpt-4o-mini"] }
    ]
  })

  it("a request with tools never goes to a model without tools", () => {
    const plan = planOf(t, { request: withTools })
    expect(order(plan)).toEqual(["batch/gpt-4o", "primary/gpt-4o-mini"])
    expect(plan.excluded).toEqual([
      expect.objectContaining({ provider: "local", model: "llama", reason: "capability", capability: "tools" })
    ])
    // Without tools the same model is first.
    expect(order(planOf(t, { request: user("hi") }))[0]).toBe("local/llama")
  })

  it("a streaming request never goes to a model without streaming", () => {
    const streamed = planOf(t, { request: withTools, stream: true })
    expect(order(streamed)).toEqual(["primary/gpt-4o-mini"])
    expect(streamed.excluded.map((x) => [x.model, x.capability])).toEqual([
      ["llama", "tools"],
      ["gpt-4o", "streaming"]
    ])
    expect(order(planOf(t, { request: withTools, stream: false }))).toEqual(["batch/gpt-4o", "primary/gpt-4o-mini"])
  })

  it("a miss names the capability and the config field that enables it (the 404 no_route text)", () => {
    const only = table([noStream], { default: [{ provider: "batch", models: ["gpt-4o"] }] })
    const e = errorOf(only, { request: user("hi"), stream: true })
    expect(e.code).toBe("no_route")
    expect(e.reason._tag).toBe("NoCapableCandidate")
    expect(e.message).toContain('lacks "streaming"')
    expect(e.message).toContain('providers.batch.models[name="gpt-4o"].capabilities')
  })

  it("no planned candidate lacks a capability the request needs (property over random models and needs)", () => {
    const arbModel = fc.record({
      name: fc.constantFrom("gpt-4o", "claude-haiku-4-5", "gemini-2.5-flash", "text-embedding-3-small", "x1", "x2"),
      capabilities: fc.option(arbCapabilities(CAPABILITIES), { nil: undefined })
    })
    fc.assert(
      fc.property(
        fc.uniqueArray(arbModel, { minLength: 1, maxLength: 6, selector: (m) => m.name }),
        fc.constantFrom("openai", "anthropic", "gemini", "openai-compatible" as const),
        arbRequest(fc.constant("default")),
        fc.boolean(),
        fc.constantFrom<"chat" | "embedding">("chat", "embedding"),
        fc.subarray(["reasoning", "prefill", "audio", "files"] as Array<Capability>),
        (models, kind, request, stream, requestKind, require) => {
          const names = models.map((m) => m.name)
          const tt = table(
            [
              provider(
                "p",
                kind,
                models.map((m) => (m.capabilities ? { name: m.name, capabilities: m.capabilities } : m.name))
              )
            ],
            { default: [{ provider: "p", models: names }] }
          )
          const input = { request, stream, kind: requestKind, require }
          const needs = requirementsOf(input).capabilities
          let plan: ReturnType<typeof planOf>
          try {
            plan = planOf(tt, input)
          } catch {
            return
          }
          // Reasoning is a preference (a model without it answers without thinking), never a filter.
          for (const c of plan.candidates) {
            for (const n of needs) if (n !== "reasoning") expect(c.model.capabilities.has(n)).toBe(true)
          }
          // Every route candidate is either planned or excluded with a reason.
          expect(plan.candidates.length + plan.excluded.length).toBe(names.length)
        }
      ),
      { numRuns: 300 }
    )
  })

  it("context window and max output: a prompt that cannot fit, or asks for more output than the model gives, is excluded", () => {
    const tt = table([provider("p", "openai", ["gpt-4o", "gpt-4.1"])], {
      default: [{ provider: "p", models: ["gpt-4o", "gpt-4.1"] }]
    })
    // ~150k tokens of prompt: over gpt-4o's 128k window, within gpt-4.1's 1M.
    const long = planOf(tt, { request: user("word ".repeat(120_000)) })
    expect(order(long)).toEqual(["p/gpt-4.1"])
    expect(long.excluded[0]).toMatchObject({
      model: "gpt-4o",
      reason: "context_window",
      field: 'providers.p.models[name="gpt-4o"].contextWindow'
    })
    // 20,000 output tokens: over gpt-4o's 16,384, within gpt-4.1's 32,768.
    const wide = planOf(tt, { request: { ...user("hi"), maxTokens: 20_000 } })
    expect(order(wide)).toEqual(["p/gpt-4.1"])
    expect(wide.excluded[0]).toMatchObject({ model: "gpt-4o", reason: "max_output" })
  })

  it("embeddings go only to embedding models; Anthropic (no embeddings) is skipped by capability", () => {
    const tt = table(
      [
        provider("claude", "anthropic", ["claude-haiku-4-5"]),
        provider("oa", "openai", ["text-embedding-3-small", "gpt-4o"]),
        provider("gm", "gemini", ["gemini-embedding-001"])
      ],
      {
        embed: [
          { provider: "claude", models: ["claude-haiku-4-5"] },
          { provider: "oa", models: ["gpt-4o", "text-embedding-3-small"] },
          { provider: "gm", models: ["gemini-embedding-001"] }
        ]
      }
    )
    const plan = planOf(tt, { request: { route: "embed", input: ["a", "b"] }, kind: "embedding" })
    expect(order(plan)).toEqual(["oa/text-embedding-3-small", "gm/gemini-embedding-001"])
    expect(plan.excluded.map((x) => [x.model, x.capability])).toEqual([
      ["claude-haiku-4-5", "embeddings"],
      ["gpt-4o", "embeddings"]
    ])
    // The window bounds each input, not the batch: 50 inputs of ~2,000 tokens fit an 8,191-token model.
    const batch = planOf(tt, {
      request: { route: "embed", input: Array(50).fill("word ".repeat(1600)) },
      kind: "embedding"
    })
    expect(order(batch)).toEqual(["oa/text-embedding-3-small", "gm/gemini-embedding-001"])
    // An Anthropic provider cannot embed even when its model entry claims to.
    const claims = table(
      [provider("claude", "anthropic", [{ name: "claude-haiku-4-5", capabilities: ["embeddings"] }])],
      {
        embed: [{ provider: "claude", models: ["claude-haiku-4-5"] }]
      }
    )
    expect(errorOf(claims, { request: { route: "embed", input: "a" }, kind: "embedding" }).message).toContain(
      "Anthropic has no embeddings"
    )
    // Asking for more dimensions than a model has excludes it.
    const dims = planOf(tt, { request: { route: "embed", input: "a", dimensions: 3072 }, kind: "embedding" })
    expect(order(dims)).toEqual(["gm/gemini-embedding-001"])
  })

  it("audio and file parts need models that take them; reasoning filters no model out", () => {
    const tt = table(
      [provider("oa", "openai", ["gpt-4o", "o4-mini", "gpt-audio"]), provider("gm", "gemini", ["gemini-2.5-flash"])],
      {
        default: [
          { provider: "oa", models: ["gpt-4o", "o4-mini", "gpt-audio"] },
          { provider: "gm", models: ["gemini-2.5-flash"] }
        ]
      }
    )
    const reasoning = { ...user("think"), reasoning: { effort: "high" as const } }
    // Models without reasoning stay in the plan, in route order: they answer without thinking.
    expect(order(planOf(tt, { request: reasoning }))).toEqual([
      "oa/gpt-4o",
      "oa/o4-mini",
      "oa/gpt-audio",
      "gm/gemini-2.5-flash"
    ])
    const audio = { messages: [{ role: "user", content: [{ type: "input_audio", data: "AAAA", format: "wav" }] }] }
    expect(order(planOf(tt, { request: audio }))).toEqual(["oa/gpt-audio", "gm/gemini-2.5-flash"])
    const file = {
      messages: [{ role: "user", content: [{ type: "file", data: "JVBERi0=", mediaType: "application/pdf" }] }]
    }
    expect(order(planOf(tt, { request: file }))).toEqual(["oa/gpt-4o", "oa/o4-mini", "gm/gemini-2.5-flash"])
  })
})
