import { type AttemptRecord, makeUsage } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { costOfAttempt, costOfAttempts, pricingTable } from "../src/index.ts"

const pricing = Result.getOrThrow(pricingTable())
const kinds: Record<string, string> = { primary: "openai", secondary: "anthropic", tertiary: "gemini" }
const kindOf = (id: string) => kinds[id]

// A request that failed over twice before succeeding:
const attempts: ReadonlyArray<AttemptRecord> = [
  // 1. a 429 before any token was counted: not billed
  { provider: "primary", model: "gpt-4o", outcome: "failure", class: "rate_limit", status: 429, latencyMs: 40 },
  // 2. skipped by an open circuit: never called
  { provider: "primary", model: "gpt-4o-mini", outcome: "skipped", skipped: "circuit_open", latencyMs: 0 },
  // 3. a stream cut mid-answer after the provider counted tokens: billed although it failed
  {
    provider: "secondary",
    model: "claude-sonnet-4-5-20250929",
    outcome: "failure",
    class: "stream_interrupted",
    latencyMs: 900,
    usage: makeUsage({ inputTokens: 2000, outputTokens: 120 })
  },
  // 4. the answer
  {
    provider: "tertiary",
    model: "gemini-2.5-flash",
    outcome: "success",
    latencyMs: 700,
    usage: makeUsage({ inputTokens: 2000, outputTokens: 300, cacheReadInputTokens: 1000 })
  }
]

describe("a request's cost is the sum of its billed attempts, failed ones included", () => {
  it("prices each attempt", () => {
    const costs = attempts.map((a) => costOfAttempt(a, pricing, kindOf))
    assert.deepStrictEqual(
      costs.map((c) => c.billed),
      [false, false, true, true]
    )
    assert.isUndefined(costs[0]?.costUsd)
    assert.isUndefined(costs[1]?.costUsd)
    // claude-sonnet-4-5 (snapshot stripped): (2,000 × 3 + 120 × 15) / 1e6 = (6,000 + 1,800) / 1e6 = 0.0078
    assert.closeTo(costs[2]?.costUsd ?? Number.NaN, 0.0078, 1e-15)
    // gemini-2.5-flash: (1,000 × 0.30 + 1,000 × 0.03 + 300 × 2.50) / 1e6 = (300 + 30 + 750) / 1e6 = 0.00108
    assert.closeTo(costs[3]?.costUsd ?? Number.NaN, 0.00108, 1e-15)
  })

  it("sums the billed attempts and their usage", () => {
    const cost = costOfAttempts(attempts, pricing, kindOf)
    // 0.0078 + 0.00108 = 0.00888
    assert.closeTo(cost.totalUsd ?? Number.NaN, 0.00888, 1e-15)
    assert.strictEqual(cost.billedAttempts, 2)
    assert.strictEqual(cost.unpricedAttempts, 0)
    assert.deepStrictEqual(cost.usage, {
      inputTokens: 4000,
      outputTokens: 420,
      totalTokens: 4420,
      cacheReadInputTokens: 1000
    })
  })

  it("without a kind mapping, the provider id is the kind", () => {
    const cost = costOfAttempts(
      [
        {
          provider: "openai",
          model: "gpt-4o",
          outcome: "success",
          latencyMs: 1,
          usage: makeUsage({ inputTokens: 1000, outputTokens: 0 })
        }
      ],
      pricing
    )
    // 1,000 × 2.50 / 1e6
    assert.strictEqual(cost.totalUsd, 0.0025)
  })

  it("an unpriced billed attempt is counted, not priced at 0", () => {
    const cost = costOfAttempts(
      [
        ...attempts,
        {
          provider: "primary",
          model: "gpt-9",
          outcome: "failure",
          latencyMs: 5,
          usage: makeUsage({ inputTokens: 10, outputTokens: 1 })
        }
      ],
      pricing,
      kindOf
    )
    assert.strictEqual(cost.unpricedAttempts, 1)
    assert.closeTo(cost.totalUsd ?? Number.NaN, 0.00888, 1e-15)
  })

  it("no billed attempt, or none priced: the total is undefined", () => {
    assert.isUndefined(costOfAttempts(attempts.slice(0, 2), pricing, kindOf).totalUsd)
    assert.isUndefined(costOfAttempts([], pricing).totalUsd)
    const unpriced = costOfAttempts(
      [
        {
          provider: "x",
          model: "y",
          outcome: "success",
          latencyMs: 1,
          usage: makeUsage({ inputTokens: 1, outputTokens: 1 })
        }
      ],
      pricing
    )
    assert.isUndefined(unpriced.totalUsd)
    assert.strictEqual(unpriced.unpricedAttempts, 1)
  })
})
