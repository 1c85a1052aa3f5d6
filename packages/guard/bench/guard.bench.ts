// `./am bench guard` — the guard's work per request for a 2 KB prompt: PII redaction of the
// messages into a fresh vault + injection scoring + restoring a 1 KB answer, with few findings
// (one e-mail) and with many (a dozen values of every entity), and each part on its own. Prints
// µs per request and each part's share; asserts nothing. To compare against an engine without
// guards when the stage is wired, add a row to `cases` that runs both in the same loop.
import type { ChatMessage } from "@am/core"
import { guardRequest, resolveGuardConfig, restore, scanMessages, streamRestorer } from "../src/index.ts"

const N = Number(process.argv[2] ?? 20_000)
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
const config = resolveGuardConfig({ pii: "redact", injection: "block" })
const messagesOf = (prompt: string): ReadonlyArray<ChatMessage> => [
  { role: "system", content: "You are a concise assistant." },
  { role: "user", content: prompt }
]

const time = (label: string, fn: () => void): number => {
  for (let i = 0; i < 2_000; i++) fn()
  const start = process.hrtime.bigint()
  for (let i = 0; i < N; i++) fn()
  const us = Number(process.hrtime.bigint() - start) / 1_000 / N
  console.log(`  ${label.padEnd(44)} ${us.toFixed(2).padStart(8)} µs`)
  return us
}

const cases = [
  ["few findings (1 e-mail)", few],
  ["many findings (13 values, every entity)", many]
] as const

console.log(`guard work per request, 2 KB prompt, ${N} iterations (budget: well under 50 µs)`)
for (const [label, prompt] of cases) {
  const messages = messagesOf(prompt)
  const probe = guardRequest(messages, config)
  if (probe._tag !== "Pass") throw new Error("bench prompt was blocked")
  const vault = probe.request.vault
  const redacted = probe.request.messages[1]!.content as string
  const answer = pad(`Done. ${redacted.slice(0, 400)} `, 1024)
  console.log(`${label}: ${vault.size} values in the vault`)
  const total = time("redact + score + restore 1 KB answer", () => {
    const g = guardRequest(messages, config)
    if (g._tag === "Pass") restore(answer, g.request.vault)
  })
  const score = time("  injection scoring only (of the redacted text)", () =>
    scanMessages(probe.request.messages, config.thresholds)
  )
  const redact = time("  redaction only", () => guardRequest(messages, { ...config, injection: "off" }))
  const rest = time("  restore 1 KB answer only", () => restore(answer, vault))
  const stream = time("  stream-restore 1 KB answer in 32 B chunks", () => {
    const r = streamRestorer(vault)
    for (let i = 0; i < answer.length; i += 32) r.push(answer.slice(i, i + 32))
    r.end()
  })
  console.log(
    `  shares of the total: scoring ${((score / total) * 100).toFixed(0)} %, redaction ${((redact / total) * 100).toFixed(0)} %, restore ${((rest / total) * 100).toFixed(0)} %; streaming restore / complete restore ${(stream / rest).toFixed(1)}x`
  )
}
