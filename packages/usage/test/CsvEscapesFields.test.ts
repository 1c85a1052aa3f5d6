import type { UsageRow } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { csvField, usageReport, usageReportCsv } from "../src/index.ts"

// A small RFC 4180 reader (every line ends with CRLF), to check that what we write reads back.
const parseCsv = (text: string): Array<Array<string>> => {
  const rows: Array<Array<string>> = [[]]
  for (const m of text.matchAll(/(?:"((?:[^"]|"")*)"|([^",\r\n]*))(,|\r\n)/g)) {
    rows[rows.length - 1]?.push(m[1] !== undefined ? m[1].replaceAll('""', '"') : (m[2] ?? ""))
    if (m[3] === "\r\n") rows.push([])
  }
  rows.pop()
  return rows
}

describe("CSV output escapes its fields", () => {
  it("quotes commas, quotes and line breaks; doubles quotes", () => {
    assert.strictEqual(csvField("plain"), "plain")
    assert.strictEqual(csvField("acme, inc"), '"acme, inc"')
    assert.strictEqual(csvField('say "hi"'), '"say ""hi"""')
    assert.strictEqual(csvField("two\nlines"), '"two\nlines"')
    assert.strictEqual(csvField("cr\rhere"), '"cr\rhere"')
    assert.strictEqual(csvField(0.003395), "0.003395")
  })

  it("neutralises spreadsheet formulas", () => {
    assert.strictEqual(csvField('=HYPERLINK("x")'), '"\'=HYPERLINK(""x"")"')
    assert.strictEqual(csvField("+1"), "'+1")
    assert.strictEqual(csvField("@cmd"), "'@cmd")
    assert.strictEqual(csvField("-2"), "'-2")
  })

  it("writes a header and one CRLF-terminated line per row", () => {
    const csv = usageReportCsv(
      usageReport([
        {
          workspaceId: 'acme, "inc"',
          provider: "primary",
          model: "gpt-4o",
          requests: 2,
          inputTokens: 1234,
          outputTokens: 56,
          costUsd: 0.003395
        }
      ])
    )
    assert.strictEqual(
      csv,
      'workspace_id,provider,model,requests,input_tokens,output_tokens,cost_usd\r\n"acme, ""inc""",primary,gpt-4o,2,1234,56,0.003395\r\n'
    )
  })

  it("any workspace id reads back unchanged (apart from the formula guard)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({
            unit: fc.constantFrom(",", '"', "\r", "\n", "\t", "=", "+", "-", "@", "a", "Z", " ", "é", "😀"),
            maxLength: 12
          }),
          { minLength: 1, maxLength: 5 }
        ),
        (ids) => {
          const rows: Array<UsageRow> = ids.map((workspaceId, k) => ({
            workspaceId,
            provider: "p",
            model: `m${k}`,
            requests: 1,
            inputTokens: 1,
            outputTokens: 1,
            costUsd: 0.5
          }))
          const report = usageReport(rows)
          const parsed = parseCsv(usageReportCsv(report))
          assert.strictEqual(parsed.length, report.rows.length + 1)
          report.rows.forEach((r, k) => {
            const cells = parsed[k + 1] ?? []
            assert.strictEqual(cells.length, 7)
            const expected = /^[=+\-@\t\r]/.test(r.workspaceId) ? `'${r.workspaceId}` : r.workspaceId
            assert.strictEqual(cells[0], expected)
            assert.strictEqual(cells[2], r.model)
          })
        }
      )
    )
  })
})
