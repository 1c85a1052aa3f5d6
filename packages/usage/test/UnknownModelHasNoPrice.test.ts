import { makeUsage } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { pricingTable } from "../src/index.ts"

const table = Result.getOrThrow(pricingTable())
const usage = makeUsage({ inputTokens: 1000, outputTokens: 100 })

describe("an unknown model has no price (undefined, not 0)", () => {
  it("unknown model of a known kind", () => {
    assert.isUndefined(table.cost("openai", "gpt-9", usage))
    assert.isUndefined(table.lookup("openai", "gpt-9"))
  })

  it("a known model under another kind is not priced", () => {
    // The same name behind an OpenAI-compatible gateway may be billed differently.
    assert.isUndefined(table.cost("openai-compatible", "gpt-4o", usage))
    assert.isUndefined(table.cost("anthropic", "gpt-4o", usage))
  })

  it("a prefix of a known model is not that model", () => {
    assert.isUndefined(table.cost("openai", "gpt-4", usage))
    assert.isUndefined(table.cost("gemini", "gemini-2.5", usage))
  })

  it("a priced model with zero usage costs 0, which is different", () => {
    assert.strictEqual(table.cost("openai", "gpt-4o", makeUsage({ inputTokens: 0, outputTokens: 0 })), 0)
  })
})
