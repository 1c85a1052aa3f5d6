import { readFileSync } from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import { defaultPriceTable, validatePricingConfig } from "../src/index.ts"

const required: ReadonlyArray<readonly [string, string]> = [
  ["openai", "gpt-4o"],
  ["openai", "gpt-4o-mini"],
  ["openai", "gpt-4.1"],
  ["openai", "gpt-4.1-mini"],
  ["openai", "o3-mini"],
  ["anthropic", "claude-sonnet-4-5"],
  ["anthropic", "claude-sonnet-4-6"],
  ["anthropic", "claude-opus-4-1"],
  ["anthropic", "claude-haiku-4-5"],
  ["anthropic", "claude-3-5-haiku"],
  ["gemini", "gemini-2.5-pro"],
  ["gemini", "gemini-2.5-flash"],
  ["gemini", "gemini-2.5-flash-lite"]
]

describe("the default price table is dated, sourced and documented", () => {
  it("prices the models this repo uses and the common ones", () => {
    for (const [kind, model] of required)
      assert.isDefined(
        defaultPriceTable.find((e) => e.kind === kind && e.model === model),
        `${kind}/${model}`
      )
  })

  it("every entry validates: non-negative prices, a source and an asOf date", () => {
    assert.deepStrictEqual(validatePricingConfig({ table: defaultPriceTable }), [])
    for (const e of defaultPriceTable) {
      assert.isAbove(e.source.length, 10, `${e.kind}/${e.model}`)
      assert.isTrue(e.cachedInput <= e.input, `${e.kind}/${e.model}: a cache read never costs more than input`)
    }
  })

  it("the README's price table lists every entry with the same prices and date", () => {
    const docs = readFileSync(new URL("../README.md", import.meta.url), "utf8")
    const rows = new Map(
      docs
        .split("\n")
        .filter((l) => l.startsWith("| "))
        .map((l) => l.split("|").map((c) => c.trim()))
        .map((cells) => [`${cells[1]}/${cells[2]}`, cells] as const)
    )
    for (const e of defaultPriceTable) {
      const cells = rows.get(`${e.kind}/${e.model}`)
      assert.isDefined(cells, `${e.kind}/${e.model} is missing from the docs table`)
      assert.deepStrictEqual(
        cells?.slice(3, 7).map(Number),
        [e.input, e.cachedInput, e.cacheWrite, e.output],
        `${e.kind}/${e.model} prices`
      )
      assert.strictEqual(cells?.[8], e.asOf, `${e.kind}/${e.model} date`)
    }
  })
})
