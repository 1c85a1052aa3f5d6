// `./am bench guard [iterations] [rounds]` — the guard's work per request for a 2 KB prompt: PII
// redaction of the messages into a fresh vault + injection scoring + restoring a 1 KB answer,
// with few findings (one e-mail) and with many (a dozen values of every entity), and each part
// on its own. Rounds are interleaved and the median of each row is printed, so a shared machine's
// load falls on every row alike. With GUARD_BASELINE=<dir of another src/> the same cases run
// against that implementation in the same rounds (e.g. `git archive` an older commit), printed
// as a baseline with the ratio. Prints µs per request; asserts nothing.
import type { ChatMessage } from "@am/core"
import * as current from "../src/index.ts"

type Guard = typeof current
const N = Number(process.argv[2] ?? 10_000)
const ROUNDS = Number(process.argv[3] ?? 5)
const baseline: Guard | undefined =
  process.env.GUARD_BASELINE === undefined ? undefined : await import(`${process.env.GUARD_BASELINE}/index.ts`)

const filler =
  "The quarterly review covers revenue, churn and the hiring plan for the platform team. Please keep the tone neutral and the summary short. "
const pad = (s: string, size: number) => {
  let out = s
  while (out.length < size) out += filler
  return out.slice(0, size)
}
const few = pad("Summarise the notes below and send the result to jane.doe@example.com. ", 2048)
const many = pad(
  "Notes from jane.doe@example.com and omar@example.org: call +44 20 7946 0958 or (415) 555-0100; card 4111 1111 1111 1111; IBAN GB82 WEST 1234 5698 7654 32; SSN 536-22-1834; server 10.0.12.7 and 2001:db8::8a2e:370:7334; key sk-proj-abc123DEF456ghi789JKL012mno and AKIAIOSFODNN7EXAMPLE; postgres://admin:s3cr3tP4ss@db.example.com/app; dates 2024-05-01, v1.2.3, order #12345678. ",
  2048
)
const messagesOf = (prompt: string): ReadonlyArray<ChatMessage> => [
  { role: "system", content: "You are a concise assistant." },
  { role: "user", content: prompt }
]

/** The rows of one implementation for one prompt. */
const rowsOf = (g: Guard, prompt: string, parts: boolean): ReadonlyArray<readonly [string, () => void]> => {
  const config = g.resolveGuardConfig({ pii: "redact", injection: "block" })
  const messages = messagesOf(prompt)
  const probe = g.guardRequest(messages, config)
  if (probe._tag !== "Pass") throw new Error("bench prompt was blocked")
  const vault = probe.request.vault
  const answer = pad(`Done. ${(probe.request.messages[1]!.content as string).slice(0, 400)} `, 1024)
  const total = [
    "redact + score + restore 1 KB answer",
    () => {
      const out = g.guardRequest(messages, config)
      if (out._tag === "Pass") g.restore(answer, out.request.vault)
    }
  ] as const
  if (!parts) return [total]
  const noInjection = { ...config, injection: "off" as const }
  const noPii = { ...config, pii: g.piiPolicy("off") }
  return [
    total,
    ["  redaction only (injection off)", () => g.guardRequest(messages, noInjection)],
    ["  injection scoring only (pii off)", () => g.guardRequest(messages, noPii)],
    ["  restore 1 KB answer", () => g.restore(answer, vault)],
    [
      "  stream-restore 1 KB answer, 32 B chunks",
      () => {
        const r = g.streamRestorer(vault)
        for (let i = 0; i < answer.length; i += 32) r.push(answer.slice(i, i + 32))
        r.end()
      }
    ]
  ]
}

const cases = [
  ["few findings (1 e-mail)", few],
  ["many findings (13 values, every entity)", many]
] as const

const rows: Array<{ label: string; fn: () => void; samples: number[] }> = []
for (const [label, prompt] of cases) {
  for (const [name, fn] of rowsOf(current, prompt, true)) rows.push({ label: `${label} | ${name}`, fn, samples: [] })
  if (baseline !== undefined) {
    for (const [name, fn] of rowsOf(baseline, prompt, false)) {
      rows.push({ label: `${label} | ${name} [baseline]`, fn, samples: [] })
    }
  }
}
for (let round = 0; round < ROUNDS; round++) {
  for (const row of rows) {
    for (let i = 0; i < Math.min(2_000, N); i++) row.fn()
    const start = process.hrtime.bigint()
    for (let i = 0; i < N; i++) row.fn()
    row.samples.push(Number(process.hrtime.bigint() - start) / 1_000 / N)
  }
}
const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
console.log(
  `guard work per request, 2 KB prompt: ${N} iterations × ${ROUNDS} interleaved rounds, median — the guard's functions alone; what a request pays through the engine (the 50 µs budget) is "./am bench guards"`
)
let group = ""
const medians = new Map(rows.map((r) => [r.label, median(r.samples)]))
for (const row of rows) {
  const [g, name] = row.label.split(" | ") as [string, string]
  if (g !== group) {
    group = g
    console.log(g)
  }
  const us = medians.get(row.label)!
  const base = name.endsWith("[baseline]") ? medians.get(`${g} | ${name.replace(" [baseline]", "")}`) : undefined
  const ratio = base === undefined ? "" : `   current/baseline ${(base / us).toFixed(2)}`
  console.log(`  ${name.padEnd(48)} ${us.toFixed(2).padStart(8)} µs${ratio}`)
}
