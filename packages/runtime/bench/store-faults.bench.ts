// `pnpm bench store-faults [seconds]` — the store-fault suite at operator scale (the CI test
// `StoreFaultsNeverStopRequests` runs ~2 s phases; this runs each fault for 30 s by default).
// The engine runs on the real Postgres (ledger, llm_runs, events) and Redis (shared state), each
// behind a pausable TCP proxy, with the default query and command timeouts. An open loop sends
// 50 requests/s; for each of Postgres and Redis refused, hung and dropped it prints p50/p99 of
// the answer latency before (10 s), during (the fault) and after (10 s), the failures, and at the
// end whether every answered request has exactly one ledger entry and one llm_runs row (none
// STARTED) and whether the chain verifies. Each request has a 20 s deadline; answers later than
// it are counted as `late`. The machine's 1-minute load average and this process's CPU share
// are printed per phase, so a load-bound figure can be told from a fault-bound one (compare
// with the fault-free "before" phases of the same run). Prints figures; asserts nothing.
import { mkdtempSync, rmSync } from "node:fs"
import { cpus, loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import { verify } from "@am/ledger"
import { PgStore } from "@am/store-sql"
import { type FaultMode, type FaultProxy, MemoryProvider, startFaultProxy } from "@am/testkit"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { createEngine } from "../src/index.ts"

const FAULT_S = Number(process.argv[2] ?? 30)
const AROUND_S = Math.min(10, FAULT_S)
const RATE = 50
const DEADLINE_MS = 20_000
const direct = process.env.AM_BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test"
const redis = new URL(process.env.AM_BENCH_REDIS_URL ?? "redis://127.0.0.1:6379")
const pg = new URL(direct)

const pct = (xs: ReadonlyArray<number>, p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? Number.NaN : (s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number)
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const withSchema = (schema: string) => Layer.fresh(PgStore.layer({ url: direct, schema }))

const schema = `am_bench_faults_${Math.random().toString(36).slice(2, 10)}`
const pgProxy: FaultProxy = await startFaultProxy({ host: pg.hostname, port: Number(pg.port || 5432) })
const redisProxy: FaultProxy = await startFaultProxy({ host: redis.hostname, port: Number(redis.port || 6379) })
const proxied = new URL(direct)
proxied.port = String(pgProxy.port)
proxied.searchParams.set("schema", schema)

const spoolDir = mkdtempSync(join(tmpdir(), "am-bench-faults-"))
const engine = createEngine(
  {
    providers: {
      primary: { kind: "openai", keys: [{ id: "k1", secret: "sk-bench-faults-0001" }], models: [{ name: "gpt-4o" }] }
    },
    routes: { default: [{ provider: "primary", models: ["gpt-4o"] }] },
    retry: { deadline: `${DEADLINE_MS} millis` },
    telemetry: { logs: false },
    ledger: { store: proxied.toString(), spoolDir },
    state: {
      store: `redis://${redis.hostname}:${redisProxy.port}`,
      prefix: `am:bench-faults-${Math.random().toString(36).slice(2, 8)}:`
    }
  },
  { env: {}, workspace: "ws-bench-faults", providers: [MemoryProvider.make({ id: "primary" })] }
)

const answered: Array<string> = []
const latencies = new Map<string, Array<number>>()
const failures = new Map<string, number>()
const inFlight = new Set<Promise<void>>()
let phase = "warm-up"
// Open loop: a request every 1000/RATE ms whatever the previous ones do (as a client fleet would).
const ticker = setInterval(() => {
  const at = phase
  const started = performance.now()
  const p: Promise<void> = engine
    .complete({ messages: [{ role: "user", content: `q ${answered.length}` }] })
    .then(
      (answer) => {
        answered.push(answer.resilience.requestId)
        const xs = latencies.get(at) ?? []
        xs.push(performance.now() - started)
        latencies.set(at, xs)
      },
      () => void failures.set(at, (failures.get(at) ?? 0) + 1)
    )
    .finally(() => inFlight.delete(p))
  inFlight.add(p)
}, 1000 / RATE)

const rows: Array<string> = []
// Per phase: the load average and this process's CPU share (of one core) at its end.
const conditions = new Map<string, string>()
let cpuMark = { usage: process.cpuUsage(), at: performance.now() }
const markPhase = (name: string) => {
  const usage = process.cpuUsage(cpuMark.usage)
  const wall = performance.now() - cpuMark.at
  const share = ((usage.user + usage.system) / 1000 / wall) * 100
  conditions.set(name, `load1=${loadavg()[0]?.toFixed(1)}/${cpus().length} cpus  bench cpu=${share.toFixed(0)}%`)
  cpuMark = { usage: process.cpuUsage(), at: performance.now() }
}
const report = (name: string) => {
  const xs = latencies.get(name) ?? []
  const late = xs.filter((ms) => ms > DEADLINE_MS).length
  rows.push(
    `  ${name.padEnd(24)} n=${String(xs.length).padStart(5)}  p50=${pct(xs, 50).toFixed(1).padStart(7)} ms  p99=${pct(xs, 99).toFixed(1).padStart(7)} ms  max=${Math.max(
      ...xs,
      0
    )
      .toFixed(0)
      .padStart(6)} ms  failed=${failures.get(name) ?? 0}  late=${late}  ${conditions.get(name) ?? ""}`
  )
}

console.log(
  `store-faults: ${RATE} req/s, each fault ${FAULT_S} s (${AROUND_S} s before and after), deadline ${DEADLINE_MS} ms`
)
await sleep(2000)
markPhase("warm-up")
for (const [proxy, store] of [
  [pgProxy, "postgres"],
  [redisProxy, "redis"]
] as const) {
  for (const mode of ["refuse", "hang", "drop"] as ReadonlyArray<FaultMode>) {
    const name = `${store} ${mode}`
    phase = `before ${name}`
    await sleep(AROUND_S * 1000)
    markPhase(phase)
    phase = name
    await proxy.set(mode)
    await sleep(FAULT_S * 1000)
    markPhase(phase)
    phase = `after ${name}`
    await proxy.heal()
    await sleep(AROUND_S * 1000)
    markPhase(phase)
    for (const p of [`before ${name}`, name, `after ${name}`]) report(p)
    console.log(rows.splice(0).join("\n"))
  }
}
clearInterval(ticker)
await Promise.all(inFlight)

// Caught up? Every answered request: one ledger entry, one llm_runs row, none STARTED; chain verifies.
const readBack = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const entries = yield* sql<{
    request_id: string
    entry: string
  }>`SELECT request_id, entry FROM ledger_entries ORDER BY seq`
  const runs = yield* sql<{ id: string; status: string }>`SELECT id, status FROM llm_runs`
  return { entries, runs }
}).pipe(Effect.provide(withSchema(schema)))
const caughtUpBy = Date.now() + 60_000
let result = await Effect.runPromise(readBack)
const complete = (r: typeof result) => {
  const ledgered = new Set(r.entries.map((e) => e.request_id))
  const rowed = new Set(r.runs.map((x) => x.id))
  return answered.every((id) => ledgered.has(id) && rowed.has(id))
}
while (!complete(result) && Date.now() < caughtUpBy) {
  await sleep(500)
  result = await Effect.runPromise(readBack)
}
await engine.close()
result = await Effect.runPromise(readBack)
const count = (ids: ReadonlyArray<string>) => {
  const m = new Map<string, number>()
  for (const id of ids) m.set(id, (m.get(id) ?? 0) + 1)
  return m
}
const entryCount = count(result.entries.map((e) => e.request_id))
const rowCount = count(result.runs.map((r) => r.id))
console.log(
  `answered ${answered.length}; without exactly one ledger entry: ${answered.filter((id) => entryCount.get(id) !== 1).length}; ` +
    `without exactly one llm_runs row: ${answered.filter((id) => rowCount.get(id) !== 1).length}; ` +
    `rows STARTED: ${result.runs.filter((r) => r.status === "STARTED").length}; ` +
    `chain ${verify(result.entries.map((e) => JSON.parse(e.entry))).ok ? "verifies" : "BROKEN"}`
)
await Effect.runPromise(
  Effect.flatMap(Effect.service(SqlClient.SqlClient), (sql) =>
    sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  ).pipe(Effect.provide(withSchema(schema)), Effect.ignore)
)
await Promise.all([pgProxy.close(), redisProxy.close()])
rmSync(spoolDir, { recursive: true, force: true })
process.exit(0)
