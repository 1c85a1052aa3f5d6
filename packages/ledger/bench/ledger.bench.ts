// `pnpm bench ledger` — ledger write throughput (entries/s) into the in-memory store, with
// batching on (group commit, up to 100 entries per append) and off (maxBatchSize 1), for
// sequential and concurrent callers; plus `verify` throughput. The memory store isolates the
// ledger's own cost (hashing, redaction, the single writer); the SQL figures come from the
// store-sql bench. Prints figures; asserts nothing.
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type LedgerEntry, type LedgerInput, Ledger as LedgerService } from "@am/core"
import { Context, Effect, Layer, References } from "effect"
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

const run = (maxBatchSize: number, concurrency: number, storeDown = false) =>
  Effect.scoped(
    Effect.gen(function* () {
      const handle = MemoryLedgerStore.make()
      handle.setDown(storeDown)
      const ctx = yield* Layer.build(
        Ledger.layer({
          spoolDir: join(dir, `${maxBatchSize}-${concurrency}-${storeDown}-${++runs}`),
          maxBatchSize
        }).pipe(Layer.provide(handle.layer))
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

let runs = 0
const ROUNDS = 3
const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
const cells = [
  ["batching off, 1 caller", 1, 1, false],
  ["batching on,  1 caller", 100, 1, false],
  ["batching off, 64 callers", 1, 64, false],
  ["batching on,  64 callers", 100, 64, false],
  // The outage path: every batch goes to the local spool file.
  ["store down (spool), 1 caller", 100, 1, true],
  ["store down (spool), 64 callers", 100, 64, true]
] as const
const rows = cells.map(() => ({ perSec: [] as Array<number>, appends: 0 }))
let sample: ReadonlyArray<LedgerEntry> = []
for (let round = 0; round < ROUNDS; round++) {
  for (const [i, [, batch, concurrency, down]] of cells.entries()) {
    // Quiet: the spool's warnings would time the logger, not the ledger.
    const r = await Effect.runPromise(
      run(batch, concurrency, down).pipe(Effect.provideService(References.MinimumLogLevel, "Error"))
    )
    const row = rows[i] as (typeof rows)[number]
    row.perSec.push((N / r.ms) * 1000)
    row.appends = r.appends
    if (!down) sample = r.entries
  }
}
console.log(`ledger.record into the memory store, ${N} entries, median of ${ROUNDS} interleaved rounds`)
for (const [i, [label]] of cells.entries()) {
  const row = rows[i] as (typeof rows)[number]
  console.log(
    `  ${label.padEnd(32)} ${Math.round(median(row.perSec)).toString().padStart(9)} entries/s   ${row.appends} appends   (rounds: ${row.perSec.map(Math.round).join(", ")})`
  )
}
const start = performance.now()
const result = verify(sample)
const ms = performance.now() - start
console.log(`verify: ${result.ok ? "ok" : "BROKEN"}, ${Math.round((sample.length / ms) * 1000)} entries/s`)
rmSync(dir, { recursive: true, force: true })
