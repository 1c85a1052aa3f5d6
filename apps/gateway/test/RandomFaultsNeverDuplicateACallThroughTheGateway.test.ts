/**
 * Issue 12's fault-mix line through the gateway: 1,000 chat requests (JSON and streamed) from two
 * workspaces, 700 distinct `Idempotency-Key`s (the same key names in both workspaces) and 300
 * repeats, 16 at a time, against an upstream that fails 30 % of calls at random (5xx, overload,
 * connection resets; seeded, so a run is reproducible), with the engine retrying within its
 * budget. Then:
 *
 * - a (workspace, key) reaches the upstream with an answered call at most once, and exactly once
 *   when it was answered; upstream calls = distinct keys that succeeded + the failed calls
 *   (retried by the engine, or by the client sending the key again after a 5xx);
 * - a repeat of an answered key is a replay of it (same request id, no call) or, while the first
 *   is in flight, 409 — never a second answer;
 * - `llm_runs` has exactly one row per accepted request (answered, replayed or failed after the
 *   engine took it; a 409 is not accepted), counted per workspace, replays with `replay_of` and
 *   cost 0 — and the usage report (what `am usage report` runs) counts the same.
 */
import { rmSync } from "node:fs"
import { join } from "node:path"
import { SqlStore, StoreUrl } from "@am/store-sql"
import { startUpstreams, type Upstream } from "@am/testkit"
import { usageReport } from "@am/usage"
import { Effect, type Layer } from "effect"
import { SqlClient } from "effect/sql"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { checkAnswersAndUpstream, DISTINCT, plan, REPEATS, sendAll, WORKSPACES } from "./support/FaultMix.ts"
import { KEYS, type RunningGateway, startGateway } from "./support/Harness.ts"
import { tempDir } from "./support/Process.ts"

const SEED = 20261203

let upstream: Upstream | undefined
let gateway: RunningGateway | undefined
const dir = tempDir("am-fault-mix-")
const db = join(dir, "am.db")
const run = Math.random().toString(36).slice(2, 8)

const sql = <A>(f: (s: SqlClient.SqlClient) => Effect.Effect<A, unknown>) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.flatMap(SqlClient.SqlClient, f).pipe(
        Effect.provide(StoreUrl.layer(`sqlite:${db}`) as Layer.Layer<SqlClient.SqlClient, unknown>)
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
  gateway = await startGateway({
    providers: {
      primary: {
        kind: "openai",
        baseURL: upstream!.baseURL,
        keys: [{ id: "p1", secret: KEYS.p1 }],
        models: [{ name: "gpt-4o" }],
        // Failures are the point here: the circuit stays closed, so each request is retried or fails on its own.
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
    ledger: { store: `sqlite:${db}`, spoolDir: join(dir, "spool") },
    telemetry: { logs: false },
    gatewayKeys: Object.entries(WORKSPACES).map(([workspace, secret]) => ({ id: workspace, secret, workspace }))
  })
}, 60_000)

afterAll(async () => {
  await gateway?.close()
  await upstream?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe("random faults through the gateway never duplicate a call or lose a run", { timeout: 120_000 }, () => {
  it("1,000 requests, 300 repeated keys, two workspaces", async () => {
    const requests = plan(SEED, `k-${run}-`)
    expect(requests.length).toBe(DISTINCT + REPEATS)
    const answers = await sendAll([gateway!.url], requests)
    const { accepted, replays, answeredBy, calls, failedCalls, statuses } = checkAnswersAndUpstream(
      requests,
      answers,
      upstream!
    )

    // llm_runs: exactly one row per accepted request, per workspace; replays are rows of their own at cost 0.
    const expected = (w: string) => accepted.filter((a) => a.request.slot.workspace === w).length
    const count = () =>
      sql(
        (s) =>
          s<{ workspace_id: string; n: number; replays: number; replay_cost: number | null }>`
          SELECT workspace_id, COUNT(*) AS n,
            SUM(CASE WHEN replay_of IS NULL THEN 0 ELSE 1 END) AS replays,
            SUM(CASE WHEN replay_of IS NULL THEN 0 ELSE cost_usd END) AS replay_cost
          FROM llm_runs WHERE idempotency_key LIKE ${`k-${run}-%`} OR idempotency_key IS NULL
          GROUP BY workspace_id ORDER BY workspace_id`
      )
    let rows = await count()
    const total = () => rows.reduce((n, r) => n + Number(r.n), 0)
    // Written behind, in batches: wait for them (a condition, bounded), then compare exactly.
    for (let i = 0; i < 600 && total() < accepted.length; i++) {
      await new Promise((r) => setTimeout(r, 25))
      rows = await count()
    }
    expect(rows.map((r) => [r.workspace_id, Number(r.n)])).toEqual([
      ["team-a", expected("team-a")],
      ["team-b", expected("team-b")]
    ])
    expect(rows.map((r) => [r.workspace_id, Number(r.replays), Number(r.replay_cost ?? 0)])).toEqual([
      ["team-a", replays.filter((r) => r.request.slot.workspace === "team-a").length, 0],
      ["team-b", replays.filter((r) => r.request.slot.workspace === "team-b").length, 0]
    ])
    // Every accepted request's own id is among the rows (a replay's row has an id of its own).
    const ids = new Set((await sql((s) => s<{ id: string }>`SELECT id FROM llm_runs`)).map((r) => r.id))
    for (const a of accepted.filter((a) => !a.replay)) expect(ids.has(a.requestId!), a.requestId!).toBe(true)
    // What `am usage report` counts.
    const report = usageReport(await sql((s) => SqlStore.makeRunStore(s).usage({ from: 0, to: Date.now() + 1000 })))
    expect(report.totals.requests).toBe(accepted.length)
    console.info(
      `fault mix: ${calls} upstream calls = ${answeredBy.size} keys answered + ${failedCalls} failed calls; ` +
        `statuses ${JSON.stringify(statuses)}; ${replays.length} replays; ` +
        `llm_runs ${rows.map((r) => `${r.workspace_id}=${r.n}`).join(", ")}`
    )
  })
})
