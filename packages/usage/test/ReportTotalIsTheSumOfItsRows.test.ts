import type { UsageRow } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { formatUsageTable, usageReport, usageReportJson } from "../src/index.ts"

const row = fc.record({
  workspaceId: fc.constantFrom("w1", "w2", "acme, inc"),
  provider: fc.constantFrom("primary", "secondary"),
  model: fc.constantFrom("gpt-4o", "claude-sonnet-4-5", "gemini-2.5-flash"),
  requests: fc.nat({ max: 10_000 }),
  inputTokens: fc.nat({ max: 50_000_000 }),
  outputTokens: fc.nat({ max: 5_000_000 }),
  costUsd: fc.double({ min: 0, max: 10_000, noNaN: true, noDefaultInfinity: true })
})

const sum = (rows: ReadonlyArray<UsageRow>, f: (r: UsageRow) => number) => rows.reduce((a, r) => a + f(r), 0)

describe("a usage report's total equals the sum of its rows", () => {
  it("for any rows", () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 40 }), (rows) => {
        const report = usageReport(rows)
        assert.strictEqual(
          report.totals.requests,
          sum(report.rows, (r) => r.requests)
        )
        assert.strictEqual(
          report.totals.inputTokens,
          sum(report.rows, (r) => r.inputTokens)
        )
        assert.strictEqual(
          report.totals.outputTokens,
          sum(report.rows, (r) => r.outputTokens)
        )
        assert.strictEqual(
          report.totals.costUsd,
          sum(report.rows, (r) => r.costUsd)
        )
        // Merging keeps every request and token of the input, and the cost up to rounding.
        assert.strictEqual(
          report.totals.requests,
          sum(rows, (r) => r.requests)
        )
        assert.strictEqual(
          report.totals.inputTokens,
          sum(rows, (r) => r.inputTokens)
        )
        assert.closeTo(
          report.totals.costUsd,
          sum(rows, (r) => r.costUsd),
          1e-6
        )
        // One row per (workspace, provider, model), sorted.
        const keys = report.rows.map((r) => `${r.workspaceId}\u0000${r.provider}\u0000${r.model}`)
        assert.strictEqual(new Set(keys).size, keys.length)
        assert.deepStrictEqual(keys, [...keys].sort())
      })
    )
  })

  it("merges duplicate rows", () => {
    const r = {
      workspaceId: "w1",
      provider: "primary",
      model: "gpt-4o",
      requests: 1,
      inputTokens: 10,
      outputTokens: 2,
      costUsd: 0.5
    }
    const report = usageReport([r, { ...r, requests: 2, costUsd: 0.25 }])
    assert.deepStrictEqual(report.rows, [{ ...r, requests: 3, inputTokens: 20, outputTokens: 4, costUsd: 0.75 }])
  })

  it("the table shows every row and the total; JSON carries the same totals", () => {
    const report = usageReport(
      [
        {
          workspaceId: "w1",
          provider: "primary",
          model: "gpt-4o",
          requests: 2,
          inputTokens: 1200,
          outputTokens: 80,
          costUsd: 0.0038
        },
        {
          workspaceId: "w2",
          provider: "secondary",
          model: "claude-sonnet-4-5",
          requests: 1,
          inputTokens: 3000,
          outputTokens: 400,
          costUsd: 0.011325
        }
      ],
      { workspaceId: "w1", from: Date.UTC(2026, 10, 1), to: Date.UTC(2026, 11, 1) }
    )
    const lines = formatUsageTable(report).split("\n")
    assert.strictEqual(lines.length, 4)
    assert.match(lines[0] ?? "", /^WORKSPACE\s+PROVIDER\s+MODEL\s+REQUESTS\s+INPUT\s+OUTPUT\s+COST \(USD\)$/)
    assert.match(lines[1] ?? "", /^w1\s+primary\s+gpt-4o\s+2\s+1,200\s+80\s+\$0\.003800$/)
    assert.match(lines[3] ?? "", /^TOTAL\s+3\s+4,200\s+480\s+\$0\.015125$/)
    // columns line up
    assert.strictEqual(new Set(lines.map((l) => l.length)).size, 1)
    const json = JSON.parse(usageReportJson(report))
    assert.deepStrictEqual(json.totals, report.totals)
    assert.strictEqual(json.from, "2026-11-01T00:00:00.000Z")
    assert.strictEqual(json.rows.length, 2)
  })

  it("an empty period says so", () => {
    const report = usageReport([])
    assert.deepStrictEqual(report.totals, { requests: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 })
    assert.include(formatUsageTable(report), "(no usage in this period)")
  })
})
