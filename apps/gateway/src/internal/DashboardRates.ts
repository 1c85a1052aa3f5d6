/**
 * The dashboard's traffic counters: finished requests per fixed time bucket (5 s by default,
 * 120 buckets = the last 10 minutes), computed from the resilience events. A request counts in
 * the bucket of its `request.succeeded` / `request.failed` event; it counts as failed over when a
 * `provider.failover` or `model.failover` event carried its request id before it finished.
 *
 * @since 0.1.0
 */
import type { ResilienceEvent } from "@am/core"

/** One bucket of finished requests (all counts; rates are derived by the page). */
export interface RateBucket {
  /** Bucket start, epoch milliseconds. */
  readonly t: number
  readonly requests: number
  /** Answered (`SUCCESS` or `MITIGATED_SUCCESS`). */
  readonly succeeded: number
  /** Answered after a prompt rewrite. */
  readonly mitigated: number
  readonly failed: number
  /** Finished requests that went to another provider or model on the way. */
  readonly failedOver: number
  /** Key rotations (`api.key.rotation`). */
  readonly rotations: number
  /** Circuits that tripped (`circuit.tripped`). */
  readonly trips: number
}

type Count = Exclude<keyof RateBucket, "t">
const COUNTS: ReadonlyArray<Count> = [
  "requests",
  "succeeded",
  "mitigated",
  "failed",
  "failedOver",
  "rotations",
  "trips"
]

/** The window as columns (compact on the wire): `requests[i]` is the bucket starting at `start + i * bucketMs`. */
export type RateSeries = { readonly bucketMs: number; readonly start: number } & {
  readonly [K in Count]: ReadonlyArray<number>
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** Request ids seen failing over and not finished yet; bounded (a lost finish event must not leak). */
const MAX_PENDING = 10_000

export class RateWindow {
  private readonly buckets = new Map<number, Mutable<RateBucket>>()
  private readonly failingOver = new Set<string>()

  // Plain fields, not parameter properties: the gateway also runs from source with Node's type stripping.
  readonly bucketMs: number
  readonly size: number
  constructor(bucketMs = 5_000, size = 120) {
    this.bucketMs = bucketMs
    this.size = size
  }

  private bucket(at: number): Mutable<RateBucket> {
    const t = Math.floor(at / this.bucketMs) * this.bucketMs
    let b = this.buckets.get(t)
    if (b === undefined) {
      b = { t, requests: 0, succeeded: 0, mitigated: 0, failed: 0, failedOver: 0, rotations: 0, trips: 0 }
      this.buckets.set(t, b)
      this.prune(t)
    }
    return b
  }

  private prune(newest: number) {
    const oldest = newest - (this.size - 1) * this.bucketMs
    for (const t of this.buckets.keys()) if (t < oldest) this.buckets.delete(t)
  }

  /** Counts an event; returns whether it changed anything the dashboard shows. */
  record(event: ResilienceEvent): boolean {
    switch (event.topic) {
      case "provider.failover":
      case "model.failover": {
        if (event.requestId === undefined) return false
        if (this.failingOver.size >= MAX_PENDING) {
          // Drop the oldest half (insertion order): their finish events were lost.
          let n = MAX_PENDING / 2
          for (const id of this.failingOver) {
            if (n-- <= 0) break
            this.failingOver.delete(id)
          }
        }
        this.failingOver.add(event.requestId)
        return false
      }
      case "request.succeeded":
      case "request.failed": {
        const b = this.bucket(event.at)
        b.requests++
        if (event.topic === "request.succeeded") {
          b.succeeded++
          if (event.outcome === "MITIGATED_SUCCESS") b.mitigated++
        } else b.failed++
        if (event.requestId !== undefined && this.failingOver.delete(event.requestId)) b.failedOver++
        return true
      }
      case "api.key.rotation":
        this.bucket(event.at).rotations++
        return true
      case "circuit.tripped":
        this.bucket(event.at).trips++
        return true
      case "circuit.half_open":
      case "circuit.reset":
      case "resource.penalized":
      case "resource.disabled":
      case "resource.health.restored":
      case "resource.healed.all":
      case "bias.ledger.entry.created":
        return true
      default:
        return false
    }
  }

  /** The last `size` buckets up to `now`, oldest first, empty ones included, one array per count. */
  series(now: number): RateSeries {
    const newest = Math.floor(now / this.bucketMs) * this.bucketMs
    this.prune(newest)
    const start = newest - (this.size - 1) * this.bucketMs
    const out = {
      bucketMs: this.bucketMs,
      start,
      ...(Object.fromEntries(COUNTS.map((k) => [k, [] as Array<number>])) as Record<Count, Array<number>>)
    }
    for (let i = 0; i < this.size; i++) {
      const b = this.buckets.get(start + i * this.bucketMs)
      for (const k of COUNTS) out[k].push(b === undefined ? 0 : b[k])
    }
    return out
  }
}
