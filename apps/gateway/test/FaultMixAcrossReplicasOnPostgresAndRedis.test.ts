/**
 * Issue 12's fault-mix line on two gateway replicas (separate processes) sharing this machine's
 * Postgres (ledger, `llm_runs`, idempotent results; a schema of this run's own) and Redis
 * (state and idempotency leases; a key prefix of this run's own): the 1,000-request plan of
 * `support/FaultMix.ts` (700 keys in two workspaces, 300 repeats, 15 % streamed), each request
 * sent to replica A or B at random (seeded), against an upstream failing 30 % of calls.
 *
 * - Upstream calls = distinct keys that succeeded + the failed calls (retried by the engine or by
 *   the client sending the key again); no key answered upstream twice, though its repeats land
 *   on either replica;
 * - a repeat is a replay of the answer (same request id, possibly by the other replica), a 409
 *   while the first is in flight on either replica, or a new try after a failure;
 * - `llm_runs` has exactly one row per accepted request (not a 409), counted per workspace, every
 *   accepted request's own id among them, replays with `replay_of` at cost 0, none without its
 *   key — and the usage report (what `am usage report` runs) counts the same.
 */
import { SqlStore, StoreUrl } from "@am/store-sql"
import { startUpstreams, type Upstream } from "@am/testkit"
import { cleanupAfter, redisUrl } from "@am/testkit/redis"
import { usageReport } from "@am/usage"
import { Effect, type Layer } from "effect"
import { SqlClient } from "effect/sql"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { checkAnswersAndUpstream, DISTINCT, plan, REPEATS, sendAll, WORKSPACES } from "./support/FaultMix.ts"
import { KEYS } from "./support/Harness.ts"
import { type GatewayProcess, spawnGateway } from "./support/Process.ts"

const SEED = Number(process.env.AM_FAULT_MIX_SEED ?? 20261204)
const run = Math.random().toString(36).slice(2, 10)
const schema = `am_faultmix_${run}`
const pgUrl = `${process.env.AM_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test"}?schema=${schema}`
const prefix = `am:test-faultmix-${run}:`

let upstream: Upstream | undefined
let replicas: Array<GatewayProcess> = []

const sql = <A>(f: (s: SqlClient.SqlClient) => Effect.Effect<A, unknown>) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.flatMap(SqlClient.SqlClient, f).pipe(
        Effect.provide(StoreUrl.layer(pgUrl) as Layer.Layer<SqlClient.SqlClient, unknown>)
      )
    )
  )

beforeAll(async () => {
  ;[upstream] = await startUpstreams([
    {
      kind: "openai",
      keys: [KEYS.p1],
      models: ["gpt-4o"],
      latencyMs: 1,
      script: [
        {
          random: {
            rate: 0.3,
            faults: ["server_error", "overloaded", "bad_gateway", "reset_before_headers"],
            seed: SEED
          }
        }
      ]
    }
  ])
  const config = {
    providers: {
      primary: {
        kind: "openai",
        baseURL: upstream!.baseURL,
        keys: [{ id: "p1", secret: KEYS.p1 }],
        models: [{ name: "gpt-4o" }],
        // Failures are the point here: the circuit (shared over Redis) stays closed.
        breaker: { consecutiveFailures: 100_000 }
      }
    },
    routes: { default: [{ provider: "primary", models: ["gpt-4o"] }] },
    // Three attempts, barely any backoff: ~2.7 % of requests fail all three (then the client may send the key again).
    retry: {
      base: "1 millis",
      max: "2 millis",
      jitter: false,
      maxAttempts: 3,
      providerRetries: 2,
      deadline: "20 seconds",
      budget: { maxTokens: 100_000 }
    },
    ledger: { store: pgUrl },
    state: { store: redisUrl, prefix },
    telemetry: { logs: false },
    gatewayKeys: Object.entries(WORKSPACES).map(([workspace, secret]) => ({ id: workspace, secret, workspace }))
  }
  // One after the other: the first runs the migrations.
  replicas = [await spawnGateway(config)]
  replicas.push(await spawnGateway(config))
}, 60_000)

afterAll(async () => {
  for (const gw of replicas) gw.kill("SIGKILL")
  await upstream?.close()
  await sql((s) => s.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)).catch(() => undefined)
  await Effect.runPromise(Effect.scoped(cleanupAfter(prefix)))
})

describe("random faults across two replicas on Postgres and Redis", { timeout: 90_000 }, () => {
  it("1,000 requests, 300 repeated keys, two workspaces: no duplicate call, one llm_runs row per accepted request", async () => {
    const requests = plan(SEED, `k-${run}-`, replicas.length)
    expect(requests.length).toBe(DISTINCT + REPEATS)
    const answers = await sendAll(
      replicas.map((r) => r.url),
      requests
    )
    const figures = checkAnswersAndUpstream(requests, answers, upstream!)
    const { accepted, replays } = figures
    // Both replicas answered fresh and replayed; some replays are of the other replica's answer.
    const freshOn = new Map<string, number>()
    for (const a of answers.filter((a) => a.status === 200 && !a.replay)) freshOn.set(a.requestId!, a.request.gateway)
    for (const g of [0, 1]) {
      expect(answers.filter((a) => a.request.gateway === g && a.status === 200 && !a.replay).length).toBeGreaterThan(0)
      expect(replays.filter((a) => a.request.gateway === g).length).toBeGreaterThan(0)
    }
    const crossReplays = replays.filter((r) => freshOn.get(r.requestId!) !== r.request.gateway).length
    expect(crossReplays).toBeGreaterThan(0)

    const count = () =>
      sql(
        (s) =>
          s<{
            workspace_id: string
            n: number | string
            replays: number | string
            replay_cost: number | string | null
          }>`
          SELECT workspace_id, COUNT(*) AS n,
            SUM(CASE WHEN replay_of IS NULL THEN 0 ELSE 1 END) AS replays,
            SUM(CASE WHEN replay_of IS NULL THEN 0 ELSE cost_usd END) AS replay_cost
          FROM llm_runs GROUP BY workspace_id ORDER BY workspace_id`
      )
    // Written behind, in batches by each replica: wait until neither holds a finished row it has not
    // written (`/readyz`'s store:runs spool) and the count is reached (a condition, bounded), then compare exactly.
    const spooled = async () =>
      Promise.all(
        replicas.map(async (r) => {
          const body = (await (await fetch(`${r.url}/readyz`)).json()) as {
            components?: Record<string, { spooled?: number }>
          }
          return body.components?.["store:runs"]?.spooled ?? 0
        })
      )
    let rows = await count()
    let held = await spooled()
    const total = () => rows.reduce((n, r) => n + Number(r.n), 0)
    for (let i = 0; i < 600 && (total() < accepted.length || held.some((n) => n > 0)); i++) {
      await new Promise((r) => setTimeout(r, 25))
      held = await spooled()
      rows = await count()
    }
    const expected = (w: string) => accepted.filter((a) => a.request.slot.workspace === w).length
    const summary =
      `fault mix on 2 replicas (seed ${SEED}): ${figures.calls} upstream calls = ${figures.answeredBy.size} keys answered + ` +
      `${figures.failedCalls} failed calls; statuses ${JSON.stringify(figures.statuses)}; ${replays.length} replays ` +
      `(${crossReplays} of the other replica's answer); llm_runs ${rows.map((r) => `${r.workspace_id}=${r.n}`).join(", ")} ` +
      `for accepted team-a=${expected("team-a")}, team-b=${expected("team-b")}; runs spooled ${held.join("/")}`
    // What the replicas said about llm_runs (a lost or keyless row is logged there), for a failure's message.
    const said = replicas
      .flatMap((r, i) =>
        r
          .output()
          .split("\n")
          .filter((l) => /llm_runs|runs:/.test(l))
          .map((l) => `${i}: ${l.slice(0, 300)}`)
      )
      .slice(0, 20)
      .join("\n")
    console.info(summary)
    // Every accepted request's own id is among the rows (a replay's row has an id of its own, not in the answer).
    const ids = new Set((await sql((s) => s<{ id: string }>`SELECT id FROM llm_runs`)).map((r) => r.id))
    const missing = accepted.filter((a) => !a.replay && !ids.has(a.requestId!))
    expect(
      missing.map((a) => `${a.requestId} ${a.status} ${a.code ?? ""} on ${a.request.gateway}`),
      `${summary}\n${said}`
    ).toEqual([])
    expect(
      rows.map((r) => [r.workspace_id, Number(r.n)]),
      `${summary}\n${said}`
    ).toEqual([
      ["team-a", expected("team-a")],
      ["team-b", expected("team-b")]
    ])
    expect(rows.map((r) => [r.workspace_id, Number(r.replays), Number(r.replay_cost ?? 0)])).toEqual([
      ["team-a", replays.filter((r) => r.request.slot.workspace === "team-a").length, 0],
      ["team-b", replays.filter((r) => r.request.slot.workspace === "team-b").length, 0]
    ])
    // What `am usage report` counts.
    const report = usageReport(await sql((s) => SqlStore.makeRunStore(s).usage({ from: 0, to: Date.now() + 1000 })))
    expect(report.totals.requests).toBe(accepted.length)
    // No key has two answered originals (the partial unique index would have dropped a key from a row).
    const keyless = await sql(
      (s) => s<{ n: number | string }>`SELECT COUNT(*) AS n FROM llm_runs WHERE idempotency_key IS NULL`
    )
    expect(Number(keyless[0]!.n)).toBe(0)
  })
})
