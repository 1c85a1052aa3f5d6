// `pnpm bench ledger-sql` — ledger entry write throughput (entries/s) through LedgerStore.append
// on SQLite (a temp file, WAL; `synchronous=FULL`, the previous default, and `NORMAL`, today's)
// and on PostgreSQL (AM_BENCH_PG_URL, default the local server; a schema of its own, dropped
// after), with batching on (BATCH entries per append) and off (one entry per append). Three
// interleaved rounds; prints each figure's median and the ratios measured in this run; asserts
// nothing. (Every append runs on the calling thread for SQLite: entries/s is also how long the
// event loop is held.)
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type LedgerEntry, LedgerStore } from "@am/core"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { PgStore, SqliteStore } from "../src/index.ts"

const BATCH = 500
const BATCHED_ENTRIES = 20_000
const SINGLE_ENTRIES = 2_000
const pgUrl = process.env.AM_BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test"

const entry = (seq: number): LedgerEntry => ({
  seq,
  requestId: `req-${seq}`,
  startedAt: 1_700_000_000_000 + seq,
  finishedAt: 1_700_000_000_400 + seq,
  workspaceId: "ws-bench",
  route: "chat",
  promptSha256: "a".repeat(64),
  initialPromptPreview: "Summarise the attached quarterly report in three bullet points.".repeat(4),
  responsePreview: "- Revenue grew 12%\n- Costs were flat\n- Outlook raised".repeat(4),
  outcome: "SUCCESS",
  attempts: [
    { provider: "openai", model: "gpt-4o", keyId: "k1", keyFingerprint: "fp-1", outcome: "success", latencyMs: 380 }
  ],
  events: [{ topic: "api.call.success", at: 1_700_000_000_390 + seq }],
  provider: "openai",
  model: "gpt-4o",
  keyFingerprint: "fp-1",
  latencyMs: 400,
  apiCalls: 1,
  usage: { inputTokens: 120, outputTokens: 40, totalTokens: 160 },
  costUsd: 0.0009,
  mitigationAttempted: false,
  mitigationSucceeded: false,
  resilienceScore: 1,
  prevHash: "p".repeat(64),
  hash: "h".repeat(64)
})

const measure = (perCall: number, total: number, firstSeq: number) =>
  Effect.gen(function* () {
    const ledger = yield* LedgerStore
    const calls = Array.from({ length: Math.ceil(total / perCall) }, (_, i) =>
      Array.from({ length: perCall }, (_, j) => entry(firstSeq + i * perCall + j))
    )
    const started = performance.now()
    yield* Effect.forEach(calls, (batch) => ledger.append(batch), { discard: true })
    const seconds = (performance.now() - started) / 1000
    return total / seconds
  })

const ROUNDS = 3
const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
const results = new Map<string, Array<number>>()
const note = (key: string, value: number) => results.set(key, [...(results.get(key) ?? []), value])

// Each round appends into fresh seq ranges of the same database.
const suite = (name: string, round: number) =>
  Effect.gen(function* () {
    note(`${name} batched`, yield* measure(BATCH, BATCHED_ENTRIES, 1 + round * 10_000_000))
    note(`${name} unbatched`, yield* measure(1, SINGLE_ENTRIES, 5_000_000 + round * 10_000_000))
  })

const dir = mkdtempSync(join(tmpdir(), "am-ledger-bench-"))
const sqliteFull = SqliteStore.layer({ filename: join(dir, "full.db"), synchronous: "full" })
const sqliteNormal = SqliteStore.layer({ filename: join(dir, "normal.db"), synchronous: "normal" })
const schema = `am_bench_${Math.random().toString(36).slice(2, 10)}`
const pg = Layer.effectDiscard(
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* Effect.addFinalizer(() => Effect.ignore(sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)))
  })
).pipe(Layer.provideMerge(PgStore.layer({ url: pgUrl, schema })))

const fmt = (n: number) => Math.round(n).toLocaleString("en-US").padStart(10)
const program = Effect.gen(function* () {
  console.log(
    `ledger-sql: LedgerStore.append throughput (${BATCHED_ENTRIES} batched, ${SINGLE_ENTRIES} unbatched), median of ${ROUNDS} interleaved rounds`
  )
  let pgSkipped: string | undefined
  for (let round = 0; round < ROUNDS; round++) {
    yield* suite("sqlite full", round).pipe(Effect.provide(sqliteFull))
    yield* suite("sqlite normal", round).pipe(Effect.provide(sqliteNormal))
    if (pgSkipped === undefined) {
      yield* suite("postgres", round).pipe(
        Effect.provide(pg),
        Effect.catch((error) => Effect.sync(() => (pgSkipped = error.message)))
      )
    }
  }
  for (const [key, xs] of results) {
    console.log(`${key.padEnd(24)} ${fmt(median(xs))} entries/s   (rounds: ${xs.map((x) => Math.round(x)).join(", ")})`)
  }
  const ratio = (a: string, b: string) => {
    const x = results.get(a)
    const y = results.get(b)
    return x === undefined || y === undefined ? "n/a" : `×${(median(x) / median(y)).toFixed(2)}`
  }
  console.log(
    `sqlite normal / full: batched ${ratio("sqlite normal batched", "sqlite full batched")}, unbatched ${ratio("sqlite normal unbatched", "sqlite full unbatched")}`
  )
  console.log(
    `batching (normal): ${ratio("sqlite normal batched", "sqlite normal unbatched")}; postgres: ${pgSkipped === undefined ? ratio("postgres batched", "postgres unbatched") : `skipped (${pgSkipped})`}`
  )
}).pipe(Effect.ensuring(Effect.sync(() => rmSync(dir, { recursive: true, force: true }))))

await Effect.runPromise(program)
