/** Renders the live view: progress, breakers, key health and failovers as they happen. */
import type { EngineState } from "@am/engine"
import type { Stats } from "./Stats.ts"

const bar = (done: number, total: number, width = 30) => {
  const n = Math.round((done / Math.max(1, total)) * width)
  return `[${"#".repeat(n)}${".".repeat(width - n)}]`
}

export const render = (stats: Stats, total: number, state: EngineState, phase: string): string => {
  const done = stats.succeeded + stats.mitigated + stats.failed + stats.blocked
  const redacted = [...stats.redacted.values()].reduce((a, b) => a + b, 0)
  const lines = [
    `Adaptive Mind demo — ${phase}`,
    `${bar(done, total)} ${done}/${total}  ok ${stats.succeeded}  mitigated ${stats.mitigated}  failed ${stats.failed}  provider calls ${stats.calls}`,
    `guards: ${redacted} values redacted before send, ${stats.blocked} injections blocked`,
    "",
    "breakers:"
  ]
  const breakers = state.breakers.filter((b) => b.status !== "closed" || b.model === undefined)
  breakers.forEach((b) => {
    const until = b.openUntil !== undefined ? ` until ${new Date(b.openUntil).toISOString().slice(11, 19)}` : ""
    lines.push(`  ${b.name.padEnd(36)} ${b.status}${until}`)
  })
  if (breakers.length === 0) lines.push("  (all closed)")
  lines.push("keys:")
  state.keys.forEach((k) => {
    lines.push(
      `  ${`${k.provider}/${k.id}`.padEnd(14)} ${k.fingerprint}  ${k.status.padEnd(8)} penalty ${k.penalty.toFixed(1).padStart(5)}  leases ${String(k.leases).padStart(4)}  failures ${k.failures}${k.disabledReason ? `  (${k.disabledReason})` : ""}`
    )
  })
  lines.push("recent:")
  lines.push(...stats.recent.map((r) => `  ${r}`))
  return lines.join("\n")
}
