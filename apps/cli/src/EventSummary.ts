/**
 * The operator summary of seed `002_…` §4.4 over persisted events: per provider, attempts,
 * failures by class, failovers away from it, breaker trips and call latency percentiles.
 */
import type { ResilienceEvent } from "@am/core"

export interface ProviderSummary {
  readonly provider: string
  readonly attempts: number
  readonly successes: number
  readonly failuresByClass: Readonly<Record<string, number>>
  readonly failoversAway: number
  readonly breakerTrips: number
  readonly latencyMs: { readonly p50: number; readonly p95: number; readonly p99: number }
}

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!

export const summarize = (events: Iterable<ResilienceEvent>): ReadonlyArray<ProviderSummary> => {
  type Acc = {
    attempts: number
    successes: number
    failures: Record<string, number>
    failovers: number
    trips: number
    latencies: Array<number>
  }
  const by = new Map<string, Acc>()
  const acc = (p: string): Acc => {
    const found = by.get(p)
    if (found) return found
    const fresh: Acc = { attempts: 0, successes: 0, failures: {}, failovers: 0, trips: 0, latencies: [] }
    by.set(p, fresh)
    return fresh
  }
  for (const e of events) {
    switch (e.topic) {
      case "api.call.success": {
        const a = acc(e.provider)
        a.attempts++
        a.successes++
        a.latencies.push(e.latencyMs)
        break
      }
      case "api.call.failure": {
        const a = acc(e.provider)
        a.attempts++
        a.failures[e.class] = (a.failures[e.class] ?? 0) + 1
        a.latencies.push(e.latencyMs)
        break
      }
      case "provider.failover":
        acc(e.fromProvider).failovers++
        break
      case "circuit.tripped":
        acc(e.provider).trips++
        break
      default:
        break
    }
  }
  return [...by.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([provider, a]) => {
      const sorted = [...a.latencies].sort((x, y) => x - y)
      return {
        provider,
        attempts: a.attempts,
        successes: a.successes,
        failuresByClass: a.failures,
        failoversAway: a.failovers,
        breakerTrips: a.trips,
        latencyMs: { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) }
      }
    })
}

export const formatSummary = (rows: ReadonlyArray<ProviderSummary>): string => {
  if (rows.length === 0) return "no provider calls in this period"
  const header = ["provider", "attempts", "ok", "failures by class", "failovers", "trips", "p50 ms", "p95 ms", "p99 ms"]
  const body = rows.map((r) => [
    r.provider,
    String(r.attempts),
    String(r.successes),
    Object.entries(r.failuresByClass)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k}=${v}`)
      .join(" ") || "-",
    String(r.failoversAway),
    String(r.breakerTrips),
    String(r.latencyMs.p50),
    String(r.latencyMs.p95),
    String(r.latencyMs.p99)
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ")
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n")
}
