/**
 * Store faults never stop requests or lose a record. The engine runs on the real Postgres
 * (ledger, llm_runs, events) and the real Redis (shared state), each behind a pausable TCP proxy;
 * under steady load each store is refused, hung and dropped in turn, then healed. Requests keep
 * being answered (every one succeeds within its deadline), and once the stores have caught up
 * every answered request id has exactly one ledger entry and exactly one `llm_runs` row (none
 * left STARTED), and the chain verifies. Bounded in time; waits for conditions, asserts no timing
 * (the latencies are printed, for the report, not asserted).
 */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { verify } from "@am/ledger"
import { PgStore } from "@am/store-sql"
import { type FaultMode, type FaultProxy, MemoryProvider, startFaultProxy } from "@am/testkit"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { createEngine } from "../src/index.ts"
import { redisUrl } from "./support/Redis.ts"

const PG = { host: "127.0.0.1", port: 5432 }
const direct = "postgres://postgres@127.0.0.1:5432/test"
const pgUrl = (port: number, schema: string) => `postgres://postgres@127.0.0.1:${port}/test?schema=${schema}`

const until = async (cond: () => boolean | Promise<boolean>, what: string, limitMs = 30_000) => {
  const started = Date.now()
  while (!(await cond())) {
    if (Date.now() - started > limitMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

const pct = (xs: ReadonlyArray<number>, p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!
}

/** Reads the tables directly (not through the proxy). */
const readBack = (schema: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const entries = yield* sql<{
      request_id: string
      entry: string
    }>`SELECT request_id, entry FROM ledger_entries ORDER BY seq`
    const runs = yield* sql<{ id: string; status: string }>`SELECT id, status FROM llm_runs`
    return { entries, runs }
  }).pipe(Effect.provide(Layer.fresh(PgStore.layer({ url: direct, schema }))))

const dropSchema = (schema: string) =>
  Effect.flatMap(Effect.service(SqlClient.SqlClient), (sql) =>
    sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  ).pipe(Effect.provide(Layer.fresh(PgStore.layer({ url: direct, schema }))), Effect.ignore)

let pgProxy: FaultProxy
let redisProxy: FaultProxy
beforeAll(async () => {
  pgProxy = await startFaultProxy(PG)
  const r = new URL(redisUrl)
  redisProxy = await startFaultProxy({ host: r.hostname, port: Number(r.port || 6379) })
})
afterAll(async () => {
  await Promise.all([pgProxy?.close(), redisProxy?.close()])
})

describe("store faults never stop requests or lose a record", { timeout: 240_000 }, () => {
  it("Postgres and Redis refused, hung and dropped under load: every request answered, one entry and one row each", async () => {
    const schema = `am_faults_${Math.random().toString(36).slice(2, 10)}`
    const spoolDir = mkdtempSync(join(tmpdir(), "am-faults-"))
    const engine = createEngine(
      {
        providers: {
          primary: { kind: "openai", keys: [{ id: "k1", secret: "sk-faults-0001" }], models: [{ name: "gpt-4o" }] }
        },
        routes: { default: [{ provider: "primary", models: ["gpt-4o"] }] },
        retry: { deadline: "5 seconds" },
        ledger: { store: pgUrl(pgProxy.port, schema), spoolDir, queryTimeout: "400 millis" },
        state: {
          store: `redis://127.0.0.1:${redisProxy.port}`,
          prefix: `am:faults-${Math.random().toString(36).slice(2, 8)}:`,
          commandTimeout: "200 millis"
        }
      },
      { env: {}, workspace: "ws-faults", providers: [MemoryProvider.make({ id: "primary" })] }
    )
    const answered: Array<string> = []
    const failures: Array<string> = []
    const latencies: Record<string, Array<number>> = {}
    let phase = "before"
    let running = true
    // A modest closed loop: 4 clients, each pausing 20 ms between requests.
    const client = async () => {
      while (running) {
        const started = performance.now()
        const at = phase
        try {
          const answer = await engine.complete({ messages: [{ role: "user", content: `q ${answered.length}` }] })
          answered.push(answer.resilience.requestId)
          const xs = latencies[at] ?? []
          xs.push(performance.now() - started)
          latencies[at] = xs
        } catch (e) {
          failures.push(`${at}: ${String(e)}`)
        }
        await new Promise((r) => setTimeout(r, 20))
      }
    }
    const clients = Array.from({ length: 4 }, client)
    const answeredNow = () => answered.length
    const more = async (n: number, what: string) => {
      const from = answeredNow()
      await until(() => answeredNow() >= from + n, what)
    }
    try {
      await more(40, "answers before any fault")
      for (const [proxy, store] of [
        [pgProxy, "postgres"],
        [redisProxy, "redis"]
      ] as const) {
        for (const mode of ["refuse", "hang", "drop"] as ReadonlyArray<FaultMode>) {
          phase = `${store} ${mode}`
          await proxy.set(mode)
          await more(120, `answers while ${store} is ${mode}`)
          phase = `after ${store} ${mode}`
          await proxy.heal()
          await more(40, `answers after ${store} ${mode}`)
        }
      }
      running = false
      await Promise.all(clients)
      // Caught up: the spool replays and the journal writes on their own once the store is back.
      const done = new Set(answered)
      await until(async () => {
        const { entries, runs } = await Effect.runPromise(readBack(schema))
        const ledgered = new Set(entries.map((e) => e.request_id))
        const rowed = new Set(runs.map((r) => r.id))
        return [...done].every((id) => ledgered.has(id) && rowed.has(id))
      }, "the stores to catch up")
    } finally {
      running = false
      await Promise.all(clients)
      await engine.close()
    }
    assert.deepStrictEqual(failures, [], "every request is answered within its deadline")

    const { entries, runs } = await Effect.runPromise(readBack(schema))
    await Effect.runPromise(dropSchema(schema))
    const ledgered = new Map<string, number>()
    for (const e of entries) ledgered.set(e.request_id, (ledgered.get(e.request_id) ?? 0) + 1)
    const rows = new Map<string, number>()
    for (const r of runs) rows.set(r.id, (rows.get(r.id) ?? 0) + 1)
    assert.deepStrictEqual(
      answered.filter((id) => ledgered.get(id) !== 1),
      [],
      "exactly one ledger entry per answered request"
    )
    assert.deepStrictEqual(
      answered.filter((id) => rows.get(id) !== 1),
      [],
      "exactly one llm_runs row per answered request"
    )
    assert.deepStrictEqual(
      runs.filter((r) => r.status === "STARTED"),
      [],
      "no row stays STARTED"
    )
    assert.isTrue(verify(entries.map((e) => JSON.parse(e.entry))).ok, "the chain verifies")
    const figures = Object.entries(latencies).map(
      ([p, xs]) => `${p}: n=${xs.length} p50=${pct(xs, 50).toFixed(1)}ms p99=${pct(xs, 99).toFixed(1)}ms`
    )
    console.log(`store fault latencies (not asserted):\n  ${figures.join("\n  ")}`)
  })
})
