// `pnpm bench ledger` — ledger write throughput (entries/s) into the in-memory store, with
// batching on (group commit, up to 100 entries per append) and off (maxBatchSize 1), for
// sequential and concurrent callers; plus `verify` throughput. The memory store isolates the
// ledger's own cost (hashing, redaction, the single writer); the SQL figures come from the
// store-sql bench. Prints figures; asserts nothing.
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type LedgerEntry, type LedgerInput, Ledger as LedgerService } from "@am/core"
import { Context, Effect, Layer } from "effect"
import { Ledger, MemoryLedgerStore, verify } from "../src/index.ts"

const N = Number(process.argv[2] ?? 20_000)
const dir = mkdtempSync(join(tmpdir(), "am-ledger-bench-"))

const input = (i: number): LedgerInput => ({
  requestId: `req-${i}`,
  startedAt: i,
  finishedAt: i + 120,
  workspaceId: "bench",
  route: "chat",
  initialMessages: [
    { role: "system", content: "You are terse." },
    { role: "user", content: `Question ${i}: summarise the attached notes for jane@example.com in two lines.` }
  ],
  responseText: "A two-line summary. ".repeat(20),
  outcome: "SUCCESS",
  attempts: [
    {
      provider: "primary",
      model: "gpt-4o",
      keyId: "k1",
      keyFingerprint: "fp",
      outcome: "failure",
      latencyMs: 40,
      class: "server_error",
      message: "500 upstream error"
    },
    { provider: "primary", model: "gpt-4o", keyId: "k2", keyFingerprint: "fp2", outcome: "success", latencyMs: 80 }
  ],
  events: [
    { topic: "request.started", at: i },
    { topic: "request.succeeded", at: i + 120 }
  ],
  provider: "primary",
  model: "gpt-4o",
  keyFingerprint: "fp2",
  latencyMs: 120,
  apiCalls: 2,
  usage: { inputTokens: 30, outputTokens: 40, totalTokens: 70 },
  costUsd: 0.000_4,
  mitigationAttempted: false,
  mitigationSucceeded: false
})

const run = (maxBatchSize: number, concurrency: number) =>
  Effect.scoped(
    Effect.gen(function* () {
      const handle = MemoryLedgerStore.make()
      const ctx = yield* Layer.build(
        Ledger.layer({ spoolDir: join(dir, `${maxBatchSize}-${concurrency}`), maxBatchSize }).pipe(
          Layer.provide(handle.layer)
        )
      )
      const ledger = Context.get(ctx, LedgerService)
      const start = performance.now()
      yield* Effect.forEach(
        Array.from({ length: N }, (_, i) => i),
        (i) => ledger.record(input(i)),
        { concurrency, discard: true }
      )
      const ms = performance.now() - start
      return { ms, entries: handle.entries(), appends: handle.appendCalls() }
    })
  )

const rows: Array<[string, number, number]> = []
let sample: ReadonlyArray<LedgerEntry> = []
for (const [label, batch, concurrency] of [
  ["batching off, 1 caller", 1, 1],
  ["batching on,  1 caller", 100, 1],
  ["batching off, 64 callers", 1, 64],
  ["batching on,  64 callers", 100, 64]
] as const) {
  const r = await Effect.runPromise(run(batch, concurrency))
  rows.push([label, (N / r.ms) * 1000, r.appends])
  sample = r.entries
}
console.log(`ledger.record into the memory store, ${N} entries`)
for (const [label, perSec, appends] of rows) {
  console.log(`  ${label.padEnd(26)} ${Math.round(perSec).toString().padStart(9)} entries/s   ${appends} appends`)
}
const start = performance.now()
const result = verify(sample)
const ms = performance.now() - start
console.log(`verify: ${result.ok ? "ok" : "BROKEN"}, ${Math.round((sample.length / ms) * 1000)} entries/s`)
rmSync(dir, { recursive: true, force: true })
