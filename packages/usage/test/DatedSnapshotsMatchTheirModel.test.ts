import { makeUsage } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { pricingTable, stripSnapshotSuffix } from "../src/index.ts"

const table = Result.getOrThrow(pricingTable())
const usage = makeUsage({ inputTokens: 1000, outputTokens: 100 })

describe("a dated snapshot is priced as its model", () => {
  it("strips the documented suffixes", () => {
    assert.strictEqual(stripSnapshotSuffix("gpt-4o-2024-08-06"), "gpt-4o")
    assert.strictEqual(stripSnapshotSuffix("claude-haiku-4-5-20251001"), "claude-haiku-4-5")
    assert.strictEqual(stripSnapshotSuffix("claude-sonnet-4-5@20250929"), "claude-sonnet-4-5")
    assert.strictEqual(stripSnapshotSuffix("claude-3-5-haiku-latest"), "claude-3-5-haiku")
    assert.strictEqual(stripSnapshotSuffix("gemini-2.5-flash-001"), "gemini-2.5-flash")
    assert.isUndefined(stripSnapshotSuffix("gpt-4o"))
    assert.isUndefined(stripSnapshotSuffix("gpt-4.1-mini"))
  })

  it("exact, then stripped", () => {
    for (const [kind, dated, base] of [
      ["openai", "gpt-4o-2024-08-06", "gpt-4o"],
      ["openai", "gpt-4o-mini-2024-07-18", "gpt-4o-mini"],
      ["anthropic", "claude-haiku-4-5-20251001", "claude-haiku-4-5"],
      ["anthropic", "claude-sonnet-4-5-20250929", "claude-sonnet-4-5"],
      ["gemini", "gemini-2.5-flash-001", "gemini-2.5-flash"],
      ["gemini", "models/gemini-2.5-pro", "gemini-2.5-pro"]
    ] as const) {
      const c = table.cost(kind, dated, usage)
      assert.isDefined(c, dated)
      assert.strictEqual(c, table.cost(kind, base, usage), dated)
    }
  })

  it("a price for the exact snapshot wins over its base model", () => {
    const t = Result.getOrThrow(pricingTable({ overrides: { "openai/gpt-4o-2024-05-13": { input: 5, output: 15 } } }))
    // (1,000 × 5 + 100 × 15) / 1e6 = 0.0065, not gpt-4o's (2,500 + 1,000) / 1e6
    assert.strictEqual(t.cost("openai", "gpt-4o-2024-05-13", usage), 0.0065)
    assert.strictEqual(t.cost("openai", "gpt-4o-2024-08-06", usage), 0.0035)
  })

  it("only the suffix is stripped, not a version inside the name", () => {
    assert.isUndefined(table.cost("openai", "gpt-4o-2024", usage))
    assert.isUndefined(table.cost("anthropic", "claude-haiku-4-5-2025", usage))
  })
})
