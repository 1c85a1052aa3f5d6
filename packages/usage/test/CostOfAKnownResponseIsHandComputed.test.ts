import { makeUsage, Pricing } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import { costOf, PricingDefault, pricingTable } from "../src/index.ts"

const table = Result.getOrThrow(pricingTable())

describe("the cost of a known response equals the hand-computed value", () => {
  it("OpenAI gpt-4o: 1,234 input of which 200 cache reads, 56 output", () => {
    // gpt-4o: input 2.50, cached input 1.25, output 10.00 USD per million tokens.
    // OTel input_tokens includes the cached 200, so uncached = 1,234 − 200 = 1,034.
    // (1,034 × 2.50 + 200 × 1.25 + 56 × 10.00) / 1e6 = (2,585 + 250 + 560) / 1e6 = 0.003395
    const usage = makeUsage({ inputTokens: 1234, outputTokens: 56, cacheReadInputTokens: 200 })
    assert.strictEqual(table.cost("openai", "gpt-4o", usage), 0.003395)
  })

  it("Anthropic claude-sonnet-4-5: 3,000 input = 1,000 uncached + 1,500 cache reads + 500 cache writes, 400 output", () => {
    // claude-sonnet-4-5: input 3.00, cache read 0.30, 5-minute cache write 3.75, output 15.00.
    // The 100 reasoning tokens are part of the 400 output tokens and bill at the output rate.
    // (1,000 × 3 + 1,500 × 0.30 + 500 × 3.75 + 400 × 15) / 1e6 = (3,000 + 450 + 1,875 + 6,000) / 1e6 = 0.011325
    const usage = makeUsage({
      inputTokens: 3000,
      outputTokens: 400,
      cacheReadInputTokens: 1500,
      cacheCreationInputTokens: 500,
      reasoningOutputTokens: 100
    })
    const cost = table.cost("anthropic", "claude-sonnet-4-5", usage)
    assert.isDefined(cost)
    assert.closeTo(cost ?? Number.NaN, 0.011325, 1e-12)
  })

  it("Gemini gemini-2.5-flash: 10,000 input of which 4,000 cached, 800 output of which 300 thoughts", () => {
    // gemini-2.5-flash: input 0.30, context-cache read 0.03, output 2.50.
    // (6,000 × 0.30 + 4,000 × 0.03 + 800 × 2.50) / 1e6 = (1,800 + 120 + 2,000) / 1e6 = 0.00392
    const usage = makeUsage({
      inputTokens: 10_000,
      outputTokens: 800,
      cacheReadInputTokens: 4000,
      reasoningOutputTokens: 300
    })
    const cost = table.cost("gemini", "gemini-2.5-flash", usage)
    assert.isDefined(cost)
    assert.closeTo(cost ?? Number.NaN, 0.00392, 1e-12)
  })

  it("reasoning tokens are not billed twice", () => {
    const price = { input: 1, output: 4, cachedInput: 0.5, cacheWrite: 1.25 }
    const plain = costOf(price, makeUsage({ inputTokens: 100, outputTokens: 50 }))
    const withReasoning = costOf(price, makeUsage({ inputTokens: 100, outputTokens: 50, reasoningOutputTokens: 40 }))
    // (100 × 1 + 50 × 4) / 1e6 either way
    assert.strictEqual(plain, 0.0003)
    assert.strictEqual(withReasoning, plain)
  })

  it("cache counts larger than the input never bill a negative uncached part", () => {
    const price = { input: 10, output: 0, cachedInput: 1, cacheWrite: 0 }
    // uncached = max(0, 100 − 150) = 0; 150 × 1 / 1e6
    assert.strictEqual(
      costOf(price, makeUsage({ inputTokens: 100, outputTokens: 0, cacheReadInputTokens: 150 })),
      0.00015
    )
  })

  it.effect("the core Pricing service prices through the default layer", () =>
    Effect.gen(function* () {
      const pricing = yield* Pricing
      // gpt-4o-mini: (1,000 × 0.15 + 100 × 0.60) / 1e6 = (150 + 60) / 1e6 = 0.00021
      const cost = pricing.cost("openai", "gpt-4o-mini", makeUsage({ inputTokens: 1000, outputTokens: 100 }))
      assert.closeTo(cost ?? Number.NaN, 0.00021, 1e-15)
    }).pipe(Effect.provide(PricingDefault))
  )
})
