import { makeUsage, Pricing } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import { pricingLayer, pricingTable } from "../src/index.ts"

const usage = makeUsage({ inputTokens: 1000, outputTokens: 100, cacheReadInputTokens: 400 })

describe("config overrides win over the table", () => {
  it("a partial override replaces only the fields it sets", () => {
    const table = Result.getOrThrow(pricingTable({ overrides: { "openai/gpt-4o": { input: 2, source: "contract" } } }))
    const p = table.lookup("openai", "gpt-4o")
    assert.deepStrictEqual(
      { input: p?.input, output: p?.output, cachedInput: p?.cachedInput, source: p?.source },
      { input: 2, output: 10, cachedInput: 1.25, source: "contract" }
    )
    // (600 × 2 + 400 × 1.25 + 100 × 10) / 1e6 = (1,200 + 500 + 1,000) / 1e6 = 0.0027
    assert.strictEqual(table.cost("openai", "gpt-4o", usage), 0.0027)
  })

  it("the override also prices dated snapshots of the model", () => {
    const table = Result.getOrThrow(pricingTable({ overrides: { "openai/gpt-4o": { input: 2 } } }))
    assert.strictEqual(table.cost("openai", "gpt-4o-2024-08-06", usage), 0.0027)
  })

  it("a new model can be priced; its cache prices default to its input price", () => {
    const table = Result.getOrThrow(
      pricingTable({ overrides: { "openai-compatible/llama-3.3-70b": { input: 0.6, output: 0.6 } } })
    )
    const p = table.lookup("openai-compatible", "llama-3.3-70b")
    assert.deepStrictEqual([p?.cachedInput, p?.cacheWrite, p?.source], [0.6, 0.6, "config override"])
    // (1,000 × 0.6 + 100 × 0.6) / 1e6 with the 400 cached at 0.6 too = 660 / 1e6
    assert.closeTo(table.cost("openai-compatible", "llama-3.3-70b", usage) ?? Number.NaN, 0.00066, 1e-15)
  })

  it("a replacement table drops the built-in prices", () => {
    const table = Result.getOrThrow(
      pricingTable({
        table: [
          {
            kind: "openai",
            model: "gpt-4o",
            input: 1,
            output: 1,
            cachedInput: 1,
            cacheWrite: 1,
            source: "test",
            asOf: "2026-01-01"
          }
        ]
      })
    )
    assert.strictEqual(table.cost("openai", "gpt-4o", usage), 0.0011)
    assert.isUndefined(table.cost("anthropic", "claude-sonnet-4-5", usage))
    assert.strictEqual(table.entries.length, 1)
  })

  it.effect("the layer provides core Pricing with the overrides applied", () =>
    Effect.gen(function* () {
      const pricing = yield* Pricing
      assert.strictEqual(pricing.cost("openai", "gpt-4o", usage), 0.0027)
    }).pipe(Effect.provide(pricingLayer({ overrides: { "openai/gpt-4o": { input: 2 } } })))
  )
})
