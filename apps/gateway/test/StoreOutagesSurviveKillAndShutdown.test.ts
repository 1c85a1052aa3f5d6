/**
 * The gateway as a real process with Postgres behind a pausable TCP proxy:
 *
 * - SIGKILL under load, then a restart while Postgres is down: the new process starts degraded
 *   (`/readyz` 200 `degraded`, the store components named), serves, and once Postgres returns
 *   every answered request of both processes has its ledger entry and its `llm_runs` row, the
 *   runs the kill cut are `INTERRUPTED`, and no row stays `STARTED`.
 * - SIGTERM while Postgres hangs, and while Redis (the shared state) hangs: the process exits 0
 *   within the documented shutdown bound (10 s for requests in flight, then the stores' bounded
 *   close), and every 503 it gave carries its JSON error body.
 *
 * Bounded in time, waits for conditions, asserts no timing.
 */
import { verify } from "@am/ledger"
import { PgStore } from "@am/store-sql"
import { type FaultProxy, startFaultProxy, startUpstreams, type Upstream } from "@am/testkit"
import { redisUrl } from "@am/testkit/redis"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { GATEWAY_KEY, KEYS } from "./support/Harness.ts"
import { type GatewayProcess, spawnGateway, tempDir, until } from "./support/Process.ts"

/** Waits for an asynchronous condition (a database read), bounded. */
const untilAsync = async (cond: () => Promise<boolean>, what: string, limitMs: number) => {
  const started = Date.now()
  while (!(await cond())) {
    if (Date.now() - started > limitMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

const direct = "postgres://postgres@127.0.0.1:5432/test"

const tables = (schema: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const entries = yield* sql<{
      request_id: string
      entry: string
    }>`SELECT request_id, entry FROM ledger_entries ORDER BY seq`
    const runs = yield* sql<{ id: string; status: string }>`SELECT id, status FROM llm_runs`
    return { entries, runs }
  }).pipe(Effect.provide(Layer.fresh(PgStore.layer({ url: direct, schema }))), Effect.runPromise)

const dropSchema = (schema: string) =>
  Effect.flatMap(Effect.service(SqlClient.SqlClient), (sql) =>
    sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  ).pipe(Effect.provide(Layer.fresh(PgStore.layer({ url: direct, schema }))), Effect.ignore, Effect.runPromise)

interface Traffic {
  readonly answered: Array<string>
  readonly errors: Array<{ readonly status: number; readonly body: string }>
  readonly stop: () => Promise<void>
}

/** Closed-loop load that keeps every non-2xx answer's status and body. */
const traffic = (url: string, concurrency: number): Traffic => {
  let running = true
  const answered: Array<string> = []
  const errors: Array<{ status: number; body: string }> = []
  const body = JSON.stringify({ model: "default", messages: [{ role: "user", content: "load" }] })
  const client = async () => {
    while (running) {
      try {
        const r = await fetch(`${url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${GATEWAY_KEY}` },
          body
        })
        const text = await r.text()
        if (r.ok) answered.push(r.headers.get("x-am-request-id")!)
        else errors.push({ status: r.status, body: text })
      } catch {
        await new Promise((r) => setTimeout(r, 20)) // refused: the process is gone
      }
      await new Promise((r) => setTimeout(r, 10))
    }
  }
  const clients = Array.from({ length: concurrency }, client)
  return {
    answered,
    errors,
    stop: async () => {
      running = false
      await Promise.all(clients)
    }
  }
}

let upstreams: ReadonlyArray<Upstream> = []
let proxy: FaultProxy
let redisProxy: FaultProxy
const spawned: Array<GatewayProcess> = []
beforeAll(async () => {
  upstreams = await startUpstreams([{ kind: "openai", keys: [KEYS.p1], models: ["gpt-4o"], latencyMs: 20 }])
  proxy = await startFaultProxy({ host: "127.0.0.1", port: 5432 })
  const redis = new URL(redisUrl)
  redisProxy = await startFaultProxy({ host: redis.hostname, port: Number(redis.port || 6379) })
})
afterEach(async () => {
  await proxy.heal()
  await redisProxy.heal()
  for (const gw of spawned.splice(0)) gw.kill("SIGKILL")
})
afterAll(async () => {
  await Promise.all([...upstreams.map((u) => u.close()), proxy.close(), redisProxy.close()])
})

const configFor = (schema: string) => ({
  providers: {
    primary: {
      kind: "openai",
      baseURL: upstreams[0]!.baseURL,
      keys: [{ id: "p1", secret: KEYS.p1 }],
      models: [{ name: "gpt-4o" }]
    }
  },
  routes: { default: [{ provider: "primary", models: ["gpt-4o"] }] },
  retry: { deadline: "10 seconds" },
  ledger: { store: `postgres://postgres@127.0.0.1:${proxy.port}/test?schema=${schema}`, queryTimeout: "500 millis" },
  gatewayKeys: [{ id: "t", secret: GATEWAY_KEY, workspace: "team-t" }]
})

describe("store outages across a kill, a restart and a shutdown", { timeout: 180_000 }, () => {
  it("SIGKILL under load, restart while Postgres is down: starts degraded, serves, and catches up", async () => {
    const schema = `am_kill_${Math.random().toString(36).slice(2, 10)}`
    const dir = tempDir("am-gw-kill-")
    const first = await spawnGateway(configFor(schema), { cwd: dir })
    spawned.push(first)
    const load1 = traffic(first.url, 8)
    await until(() => load1.answered.length >= 100, "100 answers")
    first.kill("SIGKILL")
    await first.exited
    await load1.stop()

    await proxy.refuse()
    const second = await spawnGateway(configFor(schema), { cwd: dir })
    spawned.push(second)
    const ready = await fetch(`${second.url}/readyz`)
    const readiness = (await ready.json()) as {
      status: string
      components: Record<string, { status: string; state?: string }>
    }
    expect(ready.status).toBe(200)
    expect(readiness.status).toBe("degraded")
    for (const c of ["store:ledger", "store:runs", "store:events"]) {
      expect(readiness.components[c]?.status, `${c}: ${JSON.stringify(readiness.components[c])}`).toBe("degraded")
    }
    const load2 = traffic(second.url, 4)
    await until(() => load2.answered.length >= 50, "50 answers while Postgres is down")
    await load2.stop()
    expect(load2.errors).toEqual([])

    await proxy.heal()
    const answered = [...load1.answered, ...load2.answered]
    await untilAsync(
      async () => {
        const { entries, runs } = await tables(schema)
        const ledgered = new Set(entries.map((e) => e.request_id))
        const rowed = new Set(runs.map((r) => r.id))
        return answered.every((id) => ledgered.has(id) && rowed.has(id))
      },
      "every answered request in both tables",
      60_000
    )
    second.kill("SIGTERM")
    expect(await second.exited, second.output()).toBe(0)

    const { entries, runs } = await tables(schema)
    const count = (ids: ReadonlyArray<string>) =>
      ids.reduce((m, id) => m.set(id, (m.get(id) ?? 0) + 1), new Map<string, number>())
    const perEntry = count(entries.map((e) => e.request_id))
    const perRow = count(runs.map((r) => r.id))
    expect(answered.filter((id) => perEntry.get(id) !== 1)).toEqual([])
    expect(answered.filter((id) => perRow.get(id) !== 1)).toEqual([])
    expect(runs.filter((r) => r.status === "STARTED")).toEqual([])
    const status = new Map(runs.map((r) => [r.id, r.status]))
    expect(answered.filter((id) => status.get(id) !== "SUCCEEDED")).toEqual([])
    expect(verify(entries.map((e) => JSON.parse(e.entry))).ok).toBe(true)
    await dropSchema(schema)
  })

  it("SIGTERM while Postgres hangs: exits 0, every 503 with its JSON body", async () => {
    const schema = `am_term_${Math.random().toString(36).slice(2, 10)}`
    const dir = tempDir("am-gw-term-hang-")
    const gw = await spawnGateway(configFor(schema), { cwd: dir })
    spawned.push(gw)
    const load = traffic(gw.url, 8)
    await until(() => load.answered.length >= 50, "50 answers")
    await proxy.hang()
    const during = load.answered.length
    await until(() => load.answered.length >= during + 50, "50 answers while Postgres hangs")
    const started = Date.now()
    gw.kill("SIGTERM")
    const code = await gw.exited
    const tookMs = Date.now() - started
    await load.stop()
    expect(code, gw.output()).toBe(0)
    console.log(`SIGTERM while Postgres hangs: exit ${code} after ${tookMs} ms (not asserted)`)
    const unexpected = load.errors.filter((e) => e.status !== 503)
    expect(unexpected).toEqual([])
    for (const e of load.errors) {
      const parsed = JSON.parse(e.body) as { error?: { code?: string } }
      expect(typeof parsed.error?.code, e.body).toBe("string")
    }
    await proxy.heal()
    await dropSchema(schema)
  })

  it("SIGTERM while Redis hangs: exits 0, every 503 with its JSON body", async () => {
    const schema = `am_term_redis_${Math.random().toString(36).slice(2, 10)}`
    const dir = tempDir("am-gw-term-redis-")
    const gw = await spawnGateway(
      {
        ...configFor(schema),
        state: {
          store: `redis://127.0.0.1:${redisProxy.port}`,
          prefix: `am:term-${Math.random().toString(36).slice(2, 8)}:`,
          commandTimeout: "200 millis"
        }
      },
      { cwd: dir }
    )
    spawned.push(gw)
    const load = traffic(gw.url, 8)
    await until(() => load.answered.length >= 50, "50 answers")
    await redisProxy.hang()
    const during = load.answered.length
    await until(() => load.answered.length >= during + 50, "50 answers while Redis hangs")
    const started = Date.now()
    gw.kill("SIGTERM")
    const code = await gw.exited
    const tookMs = Date.now() - started
    await load.stop()
    expect(code, gw.output()).toBe(0)
    console.log(
      `SIGTERM while Redis hangs: exit ${code} after ${tookMs} ms (not asserted; bound: 10 s in flight + bounded store close)`
    )
    const unexpected = load.errors.filter((e) => e.status !== 503)
    expect(unexpected).toEqual([])
    for (const e of load.errors) {
      const parsed = JSON.parse(e.body) as { error?: { code?: string } }
      expect(typeof parsed.error?.code, e.body).toBe("string")
    }
    await redisProxy.heal()
    await dropSchema(schema)
  })
})
