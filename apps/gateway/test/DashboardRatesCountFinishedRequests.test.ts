/**
 * The dashboard's rate window: a request counts once, in the 5 s bucket where it finished, as
 * answered (mitigated or not) or failed, and as failed over when a failover event carried its
 * id first; the window keeps the last 10 minutes, oldest first, empty buckets included.
 */
import type { ResilienceEvent } from "@am/core"
import { describe, expect, it } from "vitest"
import { RateWindow } from "../src/internal/DashboardRates.ts"

const T0 = 1_800_000_000_000 // a bucket boundary (divisible by 5 000)

const succeeded = (
  at: number,
  requestId: string,
  outcome: "SUCCESS" | "MITIGATED_SUCCESS" = "SUCCESS"
): ResilienceEvent => ({
  topic: "request.succeeded",
  at,
  requestId,
  outcome,
  provider: "primary",
  model: "gpt-4o",
  attempts: 1,
  latencyMs: 10
})
const failed = (at: number, requestId: string): ResilienceEvent => ({
  topic: "request.failed",
  at,
  requestId,
  code: "all_providers_failed",
  attempts: 3,
  latencyMs: 30
})
const failover = (at: number, requestId: string): ResilienceEvent => ({
  topic: "provider.failover",
  at,
  requestId,
  fromProvider: "primary",
  reason: "overloaded"
})

describe("dashboard rate window", () => {
  it("counts each finished request in its bucket, by outcome", () => {
    const w = new RateWindow()
    w.record(succeeded(T0 + 100, "a"))
    w.record(succeeded(T0 + 4_999, "b", "MITIGATED_SUCCESS"))
    w.record(failed(T0 + 5_000, "c"))
    const s = w.series(T0 + 5_001)
    expect(s.requests.length).toBe(120)
    expect(s.start).toBe(T0 + 5_000 - 119 * 5_000)
    expect(s.requests.slice(-2)).toEqual([2, 1])
    expect(s.succeeded.slice(-2)).toEqual([2, 0])
    expect(s.mitigated.slice(-2)).toEqual([1, 0])
    expect(s.failed.slice(-2)).toEqual([0, 1])
  })

  it("counts a request as failed over once, when it finishes, whatever the number of failovers", () => {
    const w = new RateWindow()
    w.record(failover(T0 + 1, "a"))
    w.record(failover(T0 + 2, "a"))
    w.record(failover(T0 + 3, "other"))
    w.record(succeeded(T0 + 6_000, "a"))
    w.record(succeeded(T0 + 6_001, "b"))
    const s = w.series(T0 + 6_001)
    expect(s.failedOver.slice(-2)).toEqual([0, 1])
    expect(s.requests.slice(-2)).toEqual([0, 2])
    // A second finish event for the same id is not a second failover.
    w.record(succeeded(T0 + 6_002, "a"))
    expect(w.series(T0 + 6_002).failedOver.at(-1)).toBe(1)
  })

  it("reports whether an event changes what the dashboard shows", () => {
    const w = new RateWindow()
    expect(w.record(failover(T0, "a"))).toBe(false)
    expect(w.record(succeeded(T0, "a"))).toBe(true)
    expect(
      w.record({
        topic: "circuit.tripped",
        at: T0,
        breaker: "provider:primary",
        provider: "primary",
        openForMs: 30_000
      })
    ).toBe(true)
    expect(
      w.record({
        topic: "api.call.started",
        at: T0,
        provider: "p",
        model: "m",
        keyId: "k",
        keyFingerprint: "fp",
        attempt: 1
      })
    ).toBe(false)
    expect(w.series(T0).trips.at(-1)).toBe(1)
  })

  it("keeps the last 10 minutes: older buckets leave the window", () => {
    const w = new RateWindow()
    w.record(succeeded(T0, "old"))
    w.record(succeeded(T0 + 600_000, "new"))
    const s = w.series(T0 + 600_000)
    expect(s.requests.reduce((a, b) => a + b, 0)).toBe(1)
    expect(s.requests.at(-1)).toBe(1)
    // Ten minutes minus one bucket later, the old one is still the oldest bucket.
    const w2 = new RateWindow()
    w2.record(succeeded(T0, "old"))
    expect(w2.series(T0 + 595_000).requests[0]).toBe(1)
  })
})
