/** Counters the live view and the summary read, fed from the event bus and the workload. */
import type { ResilienceEvent } from "@am/core"

export class Stats {
  started = 0
  succeeded = 0
  mitigated = 0
  failed = 0
  /** Requests the injection guard refused before any provider call. */
  blocked = 0
  calls = 0
  /** Values redacted before send, by entity (from `guard.pii.redacted`). */
  readonly redacted = new Map<string, number>()
  readonly latencies: Array<number> = []
  readonly attemptsPerRequest: Array<number> = []
  readonly failovers = new Map<string, number>()
  readonly breakerTransitions = new Map<string, number>()
  readonly failuresByClass = new Map<string, number>()
  readonly errorsByCode = new Map<string, number>()
  readonly recent: Array<string> = []
  private bump(map: Map<string, number>, key: string) {
    map.set(key, (map.get(key) ?? 0) + 1)
  }
  private note(at: number, line: string) {
    this.recent.push(`${new Date(at).toISOString().slice(11, 23)}  ${line}`)
    if (this.recent.length > 8) this.recent.shift()
  }
  onEvent(e: ResilienceEvent) {
    switch (e.topic) {
      case "api.call.started":
        this.calls++
        return
      case "api.call.failure":
        this.bump(this.failuresByClass, e.class)
        return
      case "api.key.rotation":
        this.bump(this.failovers, `key rotation (${e.reason})`)
        this.note(e.at, `key rotation   ${e.provider} from ${e.fromKeyId}: ${e.reason}`)
        return
      case "model.failover":
        this.bump(this.failovers, `model failover (${e.reason})`)
        this.note(e.at, `model failover ${e.provider} from ${e.fromModel}: ${e.reason}`)
        return
      case "provider.failover":
        this.bump(this.failovers, `provider failover (${e.reason})`)
        this.note(e.at, `provider failover from ${e.fromProvider}: ${e.reason}`)
        return
      case "circuit.tripped":
      case "circuit.half_open":
      case "circuit.reset":
        this.bump(this.breakerTransitions, `${e.topic} ${e.breaker}`)
        this.note(e.at, `${e.topic.padEnd(17)} ${e.breaker}`)
        return
      case "guard.pii.redacted":
        for (const c of e.counts) this.redacted.set(c.entity, (this.redacted.get(c.entity) ?? 0) + c.count)
        return
      case "guard.blocked":
        this.note(e.at, `guard blocked  ${e.reason} (${e.rule})`)
        return
      case "resource.disabled":
        this.note(e.at, `key disabled   ${e.provider}/${e.keyId} (${e.keyFingerprint}): ${e.reason}`)
        return
      default:
        return
    }
  }
}

export const percentile = (xs: ReadonlyArray<number>, p: number): number => {
  if (xs.length === 0) return 0
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}
