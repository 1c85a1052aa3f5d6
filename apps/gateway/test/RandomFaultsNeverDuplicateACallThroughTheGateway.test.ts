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
import { GATEWAY_KEY, KEYS, OTHER_KEY, type RunningGateway, startGateway } from "./support/Harness.ts"
import { tempDir } from "./support/Process.ts"

const SEED = 20261203
const DISTINCT = 700
const REPEATS = 300
const CONCURRENCY = 16
const WORKSPACES = { "team-a": GATEWAY_KEY, "team-b": OTHER_KEY } as const
type Workspace = keyof typeof WORKSPACES

/** mulberry32: a small seeded generator, so the request plan is the same every run. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

interface Slot {
  readonly workspace: Workspace
  readonly key: string
  readonly prompt: string
  readonly stream: boolean
}

interface Answer {
  readonly slot: Slot
  readonly status: number
  readonly requestId: string | null
  readonly replay: boolean
}

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

/** 700 slots (half per workspace, the same key names in both), then 300 repeats, shuffled. */
const plan = (): ReadonlyArray<Slot> => {
  const random = prng(SEED)
  const slots: Array<Slot> = []
  for (let i = 0; i < DISTINCT; i++) {
    const workspace: Workspace = i % 2 === 0 ? "team-a" : "team-b"
    const key = `k-${run}-${Math.floor(i / 2)}`
    slots.push({ workspace, key, prompt: `${workspace} ${key}`, stream: random() < 0.15 })
  }
  const requests = [...slots]
  for (let i = 0; i < REPEATS; i++) requests.push(slots[Math.floor(random() * slots.length)]!)
  for (let i = requests.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[requests[i], requests[j]] = [requests[j]!, requests[i]!]
  }
  return requests
}

const send = async (slot: Slot): Promise<Answer> => {
  const response = await fetch(`${gateway!.url}/v1/chat/completions`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${WORKSPACES[slot.workspace]}`,
      "idempotency-key": slot.key
    },
    body: JSON.stringify({
      model: "default",
      messages: [{ role: "user", content: slot.prompt }],
      ...(slot.stream ? { stream: true } : {})
    })
  })
  const text = await response.text()
  // A streamed answer committed only after its first token: a 200 stream here is a whole answer.
  if (response.status === 200 && slot.stream) expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true)
  return {
    slot,
    status: response.status,
    requestId: response.headers.get("x-am-request-id"),
    replay: response.headers.get("x-am-idempotent-replay") === "true"
  }
}

describe("random faults through the gateway never duplicate a call or lose a run", { timeout: 120_000 }, () => {
  it("1,000 requests, 300 repeated keys, two workspaces", async () => {
    const requests = plan()
    expect(requests.length).toBe(DISTINCT + REPEATS)
    const answers: Array<Answer> = []
    let next = 0
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < requests.length) answers.push(await send(requests[next++]!))
      })
    )
    expect(answers.length).toBe(1000)

    const slotId = (s: Slot) => `${s.workspace}\u0000${s.key}`
    const statuses = new Map<number, number>()
    for (const a of answers) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1)
    // Answered, replayed, in flight elsewhere, or failed by the engine — nothing else.
    for (const status of statuses.keys()) expect([200, 409, 502, 503, 504]).toContain(status)

    // Each key answered fresh at most once; every replay carries that answer's request id.
    const answeredBy = new Map<string, string>()
    for (const a of answers.filter((a) => a.status === 200 && !a.replay)) {
      expect(answeredBy.has(slotId(a.slot)), `${slotId(a.slot)} answered twice`).toBe(false)
      answeredBy.set(slotId(a.slot), a.requestId!)
    }
    const replays = answers.filter((a) => a.replay)
    for (const r of replays) expect(r.requestId).toBe(answeredBy.get(slotId(r.slot)))

    // Upstream: one answered call per key that succeeded, and otherwise only failed calls.
    const log = upstream!.requests.filter((r) => r.path.endsWith("/chat/completions"))
    const answeredCalls = new Map<string, number>()
    for (const r of log.filter((r) => r.fault === undefined && r.status === 200)) {
      answeredCalls.set(r.prompt, (answeredCalls.get(r.prompt) ?? 0) + 1)
    }
    const failedCalls = log.filter((r) => r.fault !== undefined).length
    for (const [prompt, n] of answeredCalls) expect(n, prompt).toBe(1)
    expect(new Set(answeredCalls.keys())).toEqual(
      new Set(requests.filter((s) => answeredBy.has(slotId(s))).map((s) => s.prompt))
    )
    expect(log.length).toBe(answeredBy.size + failedCalls)
    // The mix did what it is for: failures, engine retries, client retries after a 5xx, replays and in-flight repeats.
    expect(failedCalls).toBeGreaterThan(100)
    expect(replays.length).toBeGreaterThan(50)

    // llm_runs: exactly one row per accepted request, per workspace; replays are rows of their own at cost 0.
    const accepted = answers.filter((a) => a.status !== 409)
    const expected = (w: Workspace) => accepted.filter((a) => a.slot.workspace === w).length
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
      ["team-a", replays.filter((r) => r.slot.workspace === "team-a").length, 0],
      ["team-b", replays.filter((r) => r.slot.workspace === "team-b").length, 0]
    ])
    // Every accepted request's own id is among the rows (a replay's row has an id of its own).
    const ids = new Set((await sql((s) => s<{ id: string }>`SELECT id FROM llm_runs`)).map((r) => r.id))
    for (const a of accepted.filter((a) => !a.replay)) expect(ids.has(a.requestId!), a.requestId!).toBe(true)
    // What `am usage report` counts.
    const report = usageReport(await sql((s) => SqlStore.makeRunStore(s).usage({ from: 0, to: Date.now() + 1000 })))
    expect(report.totals.requests).toBe(accepted.length)
    console.info(
      `fault mix: ${log.length} upstream calls = ${answeredBy.size} keys answered + ${failedCalls} failed calls; ` +
        `statuses ${JSON.stringify(Object.fromEntries(statuses))}; ${replays.length} replays; ` +
        `llm_runs ${rows.map((r) => `${r.workspace_id}=${r.n}`).join(", ")}`
    )
  })
})
