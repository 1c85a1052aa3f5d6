// Measures the firewall on fixtures/injection.json and injection-delimiters.json, tune and held-out splits (every 4th case,
// fixed before any measurement, never tuned on). TPR counts attacks *blocked* at the default
// thresholds; FPR counts benign prompts that did not *pass* (flagged or blocked) — the strict
// reading of both. Prints the figures by category; asserts TPR ≥ 0.9 at FPR ≤ 0.03.
import type { ChatMessage } from "@am/core"
import { describe, expect, it } from "vitest"
import { guardRequest, type InjectionResult, resolveGuardConfig, scanMessages } from "../src/index.ts"
import { fixture, pct, ratio, type Split } from "./support.ts"

interface InjectionCase {
  readonly label: "attack" | "benign"
  readonly category: string
  readonly source: "user" | "indirect"
  readonly text?: string
  readonly messages?: ReadonlyArray<ChatMessage>
  readonly split: Split
}

// The general set, and the fake-delimiter / role-header set (variants of every template family,
// direct and indirect, with hard negatives; its own held-out third).
const cases = [...fixture<InjectionCase>("injection.json"), ...fixture<InjectionCase>("injection-delimiters.json")]

const messagesOf = (c: InjectionCase): ReadonlyArray<ChatMessage> =>
  c.messages ??
  (c.source === "user"
    ? [{ role: "user", content: c.text! }]
    : [
        { role: "user", content: "Use the tool and summarise what it returns." },
        { role: "assistant", content: null, toolCalls: [{ id: "t1", name: "fetch", arguments: "{}" }] },
        { role: "tool", toolCallId: "t1", content: c.text! }
      ])

type Scan = (messages: ReadonlyArray<ChatMessage>) => InjectionResult

// What the engine runs with `guards: { pii: "redact", injection: "block" }`: redaction first, the
// firewall on the redacted text (through the one-byte views redaction builds).
const guarded = resolveGuardConfig({ pii: "redact", injection: "block" })
const throughGuard: Scan = (messages) => guardRequest(messages, guarded).request.injection!

const measure = (split: Split, scan: Scan = scanMessages) => {
  const attacks = cases.filter((c) => c.split === split && c.label === "attack")
  const benign = cases.filter((c) => c.split === split && c.label === "benign")
  const missed: string[] = []
  const falsePositives: string[] = []
  const byCategory = new Map<string, { n: number; ok: number }>()
  let flaggedAttacks = 0
  let blockedBenign = 0
  for (const c of attacks) {
    const r = scan(messagesOf(c))
    const cat = byCategory.get(c.category) ?? { n: 0, ok: 0 }
    cat.n++
    if (r.verdict === "block") cat.ok++
    else missed.push(`${c.category} ${r.score} [${r.rules.join(",")}]: ${c.text ?? JSON.stringify(c.messages)}`)
    if (r.verdict !== "pass") flaggedAttacks++
    byCategory.set(c.category, cat)
  }
  for (const c of benign) {
    const r = scan(messagesOf(c))
    if (r.verdict === "block") blockedBenign++
    if (r.verdict !== "pass")
      falsePositives.push(
        `${c.category} ${r.verdict} ${r.score} [${r.rules.join(",")}]: ${c.text ?? JSON.stringify(c.messages)}`
      )
  }
  return {
    attacks: attacks.length,
    benign: benign.length,
    tpr: ratio(attacks.length - missed.length, attacks.length),
    tprFlag: ratio(flaggedAttacks, attacks.length),
    fpr: ratio(falsePositives.length, benign.length),
    fprBlock: ratio(blockedBenign, benign.length),
    byCategory,
    missed,
    falsePositives
  }
}

describe("injection firewall on the labelled sets", () => {
  it("the sets have enough attacks in every category, and benign prompts including indirect ones", () => {
    const attacks = cases.filter((c) => c.label === "attack")
    const benign = cases.filter((c) => c.label === "benign")
    expect(attacks.length).toBeGreaterThanOrEqual(80)
    expect(benign.length).toBeGreaterThanOrEqual(150)
    expect(new Set(attacks.map((c) => c.category)).size).toBeGreaterThanOrEqual(9)
    expect(benign.filter((c) => c.source === "indirect").length).toBeGreaterThanOrEqual(30)
  })

  for (const split of ["tune", "holdout"] as const) {
    it(`${split}: blocks at least 0.9 of attacks while flagging at most 0.03 of benign prompts`, () => {
      const m = measure(split)
      console.log(
        `injection ${split}: ${m.attacks} attacks, ${m.benign} benign — TPR (blocked) ${pct(m.tpr)}, TPR (flagged or blocked) ${pct(m.tprFlag)}, FPR (flagged or blocked) ${pct(m.fpr)}, FPR (blocked) ${pct(m.fprBlock)}`
      )
      console.log(`  by category: ${[...m.byCategory].map(([k, v]) => `${k} ${v.ok}/${v.n}`).join(", ")}`)
      for (const line of m.missed) console.log(`  ${split} missed: ${line}`)
      for (const line of m.falsePositives) console.log(`  ${split} false positive: ${line}`)
      expect(m.tpr).toBeGreaterThanOrEqual(0.9)
      expect(m.fpr).toBeLessThanOrEqual(0.03)
    })

    it(`${split}: the same bars through the input guard with PII redacted first`, () => {
      const m = measure(split, throughGuard)
      console.log(
        `injection ${split} through guardRequest (pii redact): TPR (blocked) ${pct(m.tpr)}, FPR (flagged or blocked) ${pct(m.fpr)}`
      )
      for (const line of m.missed) console.log(`  ${split} missed through the guard: ${line}`)
      for (const line of m.falsePositives) console.log(`  ${split} false positive through the guard: ${line}`)
      expect(m.tpr).toBeGreaterThanOrEqual(0.9)
      expect(m.fpr).toBeLessThanOrEqual(0.03)
    })
  }
})
