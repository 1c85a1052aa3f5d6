/**
 * Usage reports: rows per workspace, provider and model (as `RunStore.usage` returns them) with
 * their totals, and three renderings — a readable table, JSON and CSV — for `am usage report`.
 *
 * @example
 * ```ts
 * import { formatUsageTable, usageReport } from "@am/usage"
 * const report = usageReport(
 *   [{ workspaceId: "w1", provider: "primary", model: "gpt-4o", requests: 2, inputTokens: 1200, outputTokens: 80, costUsd: 0.0038 }],
 *   { from: Date.parse("2026-11-01"), to: Date.parse("2026-12-01") }
 * )
 * console.log(formatUsageTable(report))
 * ```
 * @since 0.1.0
 */
import type { UsageRow } from "@am/core"

export interface UsageTotals {
  readonly requests: number
  readonly inputTokens: number
  readonly outputTokens: number
  readonly costUsd: number
}

export interface UsageReport {
  readonly workspaceId?: string
  /** Epoch milliseconds, as passed to `RunStore.usage`. */
  readonly from?: number
  readonly to?: number
  /** One row per (workspace, provider, model), sorted in that order. */
  readonly rows: ReadonlyArray<UsageRow>
  /** The sum of `rows`. */
  readonly totals: UsageTotals
}

export interface UsageReportPeriod {
  readonly workspaceId?: string
  readonly from?: number
  readonly to?: number
}

const rowKey = (r: UsageRow) => JSON.stringify([r.workspaceId, r.provider, r.model])

/**
 * Builds a report: rows for the same (workspace, provider, model) are merged, rows are sorted,
 * and the totals are the sum of the resulting rows.
 */
export const usageReport = (rows: ReadonlyArray<UsageRow>, period: UsageReportPeriod = {}): UsageReport => {
  const merged = new Map<string, UsageRow>()
  for (const r of rows) {
    const k = rowKey(r)
    const m = merged.get(k)
    merged.set(
      k,
      m === undefined
        ? { ...r }
        : {
            ...m,
            requests: m.requests + r.requests,
            inputTokens: m.inputTokens + r.inputTokens,
            outputTokens: m.outputTokens + r.outputTokens,
            costUsd: m.costUsd + r.costUsd
          }
    )
  }
  const sorted = [...merged.values()].sort(
    (a, b) => cmp(a.workspaceId, b.workspaceId) || cmp(a.provider, b.provider) || cmp(a.model, b.model)
  )
  const totals = sorted.reduce<UsageTotals>(
    (t, r) => ({
      requests: t.requests + r.requests,
      inputTokens: t.inputTokens + r.inputTokens,
      outputTokens: t.outputTokens + r.outputTokens,
      costUsd: t.costUsd + r.costUsd
    }),
    { requests: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 }
  )
  return {
    ...(period.workspaceId !== undefined ? { workspaceId: period.workspaceId } : {}),
    ...(period.from !== undefined ? { from: period.from } : {}),
    ...(period.to !== undefined ? { to: period.to } : {}),
    rows: sorted,
    totals
  }
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** USD with six decimals (sub-cent requests are the norm). */
export const formatUsd = (usd: number): string => `$${usd.toFixed(6)}`

const formatInt = (n: number): string => n.toLocaleString("en-US")

/**
 * A fixed-width text table with a TOTAL line, for terminals.
 *
 * @example
 * ```ts
 * formatUsageTable(usageReport(rows))
 * // WORKSPACE  PROVIDER  MODEL   REQUESTS  INPUT  OUTPUT  COST (USD)
 * // w1         primary   gpt-4o         2  1,200      80   $0.003800
 * // TOTAL                               2  1,200      80   $0.003800
 * ```
 */
export const formatUsageTable = (report: UsageReport): string => {
  const header = ["WORKSPACE", "PROVIDER", "MODEL", "REQUESTS", "INPUT", "OUTPUT", "COST (USD)"]
  const line = (r: UsageRow | (UsageTotals & { workspaceId: string; provider: string; model: string })) => [
    r.workspaceId,
    r.provider,
    r.model,
    formatInt(r.requests),
    formatInt(r.inputTokens),
    formatInt(r.outputTokens),
    formatUsd(r.costUsd)
  ]
  const body = report.rows.map(line)
  const total = line({ ...report.totals, workspaceId: "TOTAL", provider: "", model: "" })
  const all = [header, ...body, total]
  const widths = header.map((_, i) => Math.max(...all.map((cells) => (cells[i] ?? "").length)))
  // Text columns align left, numbers right.
  const render = (cells: ReadonlyArray<string>) =>
    cells
      .map((c, i) => (i < 3 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join("  ")
      .trimEnd()
  const lines = [render(header), ...body.map(render), render(total)]
  if (report.rows.length === 0) lines.splice(1, 0, "(no usage in this period)")
  return lines.join("\n")
}

/** The report as pretty-printed JSON (dates as ISO strings beside the epoch milliseconds). */
export const usageReportJson = (report: UsageReport): string =>
  JSON.stringify(
    {
      ...(report.workspaceId !== undefined ? { workspaceId: report.workspaceId } : {}),
      ...(report.from !== undefined ? { from: new Date(report.from).toISOString() } : {}),
      ...(report.to !== undefined ? { to: new Date(report.to).toISOString() } : {}),
      rows: report.rows,
      totals: report.totals
    },
    null,
    2
  )

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote, CR or LF, with quotes doubled.
 * A text field starting with `=`, `+`, `-`, `@`, tab or CR is prefixed with `'` so a spreadsheet
 * does not run it as a formula (OWASP "CSV injection").
 */
export const csvField = (value: string | number): string => {
  if (typeof value === "number") return String(value)
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe
}

const csvHeader = ["workspace_id", "provider", "model", "requests", "input_tokens", "output_tokens", "cost_usd"]

/** The report's rows as CSV with a header line, CRLF line endings (RFC 4180); no totals line. */
export const usageReportCsv = (report: UsageReport): string => {
  const lines = [
    csvHeader.join(","),
    ...report.rows.map((r) =>
      [r.workspaceId, r.provider, r.model, r.requests, r.inputTokens, r.outputTokens, r.costUsd].map(csvField).join(",")
    )
  ]
  return `${lines.join("\r\n")}\r\n`
}
