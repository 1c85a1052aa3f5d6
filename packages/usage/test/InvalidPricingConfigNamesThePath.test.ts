import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Result } from "effect"
import {
  defaultPriceTable,
  PricingConfigError,
  pricingLayer,
  pricingTable,
  validatePricingConfig
} from "../src/index.ts"

describe("an invalid pricing config is a typed error naming the path", () => {
  it("the built-in table is valid", () => {
    assert.deepStrictEqual(validatePricingConfig({}), [])
  })

  it("names every bad field", () => {
    assert.deepStrictEqual(
      validatePricingConfig({
        overrides: {
          "openai/gpt-4o": { input: -1 },
          "anthropic/claude-opus-4-1": { output: Number.NaN, cacheWrite: "3" as unknown as number },
          "gpt-4o": { input: 1 },
          "gemini/gemini-9": { input: 1 },
          "gemini/gemini-2.5-pro": { input: 1, asOf: "yesterday" }
        }
      }),
      [
        'overrides["openai/gpt-4o"].input: must be a finite number >= 0 (USD per million tokens) (got -1)',
        'overrides["anthropic/claude-opus-4-1"].output: must be a finite number >= 0 (USD per million tokens) (got NaN)',
        'overrides["anthropic/claude-opus-4-1"].cacheWrite: must be a finite number >= 0 (USD per million tokens) (got "3")',
        'overrides["gpt-4o"]: the key must be "kind/model" (for example "openai/gpt-4o")',
        'overrides["gemini/gemini-9"]: gemini/gemini-9 is not in the table, so the override must set at least input and output',
        'overrides["gemini/gemini-2.5-pro"].asOf: must be a date YYYY-MM-DD (got "yesterday")'
      ]
    )
  })

  it("checks a replacement table: prices, source, date and duplicates", () => {
    const good = defaultPriceTable[0]
    assert.isDefined(good)
    if (good === undefined) return
    assert.deepStrictEqual(
      validatePricingConfig({
        table: [good, { ...good, model: "x", output: -0.5, source: "", asOf: "last week" }, { ...good }]
      }),
      [
        "table[1].source: must say where the price comes from",
        'table[1].asOf: must be a date YYYY-MM-DD (got "last week")',
        "table[1].output: must be a finite number >= 0 (USD per million tokens) (got -0.5)",
        "table[2]: duplicates table[0] (openai/gpt-4o)"
      ]
    )
  })

  it("pricingTable fails with PricingConfigError whose path is the first bad field", () => {
    const r = pricingTable({ overrides: { "openai/gpt-4o": { cachedInput: -2 } } })
    assert.isTrue(Result.isFailure(r))
    if (Result.isFailure(r)) {
      assert.instanceOf(r.failure, PricingConfigError)
      assert.strictEqual(r.failure.path, 'overrides["openai/gpt-4o"].cachedInput')
      assert.include(r.failure.message, "must be a finite number >= 0")
    }
  })

  it.effect("the layer refuses to build", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        Effect.scoped(Layer.build(pricingLayer({ overrides: { "openai/gpt-4o": { output: -10 } } })))
      )
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        const error = Cause.squash(exit.cause)
        assert.instanceOf(error, PricingConfigError)
        assert.strictEqual((error as PricingConfigError).path, 'overrides["openai/gpt-4o"].output')
      }
    })
  )
})
