/**
 * `Idempotency-Key` across gateway replicas on this machine's Redis (leases) and Postgres (results,
 * ledger, `llm_runs`): a key answered by A is replayed by B without an upstream call (same body,
 * same request id, `x-am-idempotent-replay: true`, a ledger entry `replayed: true` pointing at the
 * original, and an `llm_runs` row of its own — `replay_of` the original, cost 0 — so the usage
 * report counts every request); a key in flight on A is 409 on B, or waited for and
 * replayed by a replica with `idempotency.wait`; another body under the key is 422; two
 * workspaces using one key each get their own answer and their own `llm_runs` row; a streamed
 * answer is replayed as a stream through the official SDK; a response cached through one replica is
 * a hit on the other.
 */
import type { LedgerEntry } from "@am/core"
import { SqlStore, StoreUrl } from "@am/store-sql"
import { startUpstreams, type Upstream } from "@am/testkit"
import { cleanupAfter, redisUrl } from "@am/testkit/redis"
import { usageReport } from "@am/usage"
import { Effect, type Layer } from "effect"
import { SqlClient } from "effect/sql"
import OpenAI from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { GATEWAY_KEY, KEYS, OTHER_KEY } from "./support/Harness.ts"
import { type GatewayProcess, spawnGateway, until } from "./support/Process.ts"

const run = Math.random().toString(36).slice(2, 10)
const schema = `am_idem_${run}`
const pgUrl = `${process.env.AM_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test"}?schema=${schema}`
const prefix = `am:test-idem-${run}:`
const USAGE_KEY = "am-test-gateway-key-usage-0003"

let upstream: Upstream | undefined
let a: GatewayProcess | undefined
let b: GatewayProcess | undefined
let waiting: GatewayProcess | undefined

const sql = <A>(f: (sql: SqlClient.SqlClient) => Effect.Effect<A, unknown>) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.flatMap(SqlClient.SqlClient, f).pipe(
        Effect.provide(StoreUrl.layer(pgUrl) as Layer.Layer<SqlClient.SqlClient, unknown>)
      )
    )
  )

const runsWithKey = (key: string) =>
  sql(
    (s) =>
      s<{
        workspace_id: string
        id: string
        replay_of: string | null
        cost_usd: number | string | null
      }>`SELECT workspace_id, id, replay_of, cost_usd FROM llm_runs WHERE idempotency_key = ${key}`
  )

/** `llm_runs` rows are written in batches: the rows with `key` once there are at least `n`. */
const runsOnceThere = async (key: string, n: number) => {
  for (let i = 0; i < 400; i++) {
    const rows = await runsWithKey(key)
    if (rows.length >= n) return rows
    await new Promise((r) => setTimeout(r, 25))
  }
  return runsWithKey(key)
}

const ledgerEntries = () =>
  sql((s) => s<{ entry: string }>`SELECT entry FROM ledger_entries`).then((rows) =>
    rows.map((r) => JSON.parse(r.entry) as LedgerEntry)
  )

const body = (content: string) => ({ model: "default", messages: [{ role: "user", content }] })

const post = (gw: GatewayProcess, key: string, payload: unknown, token = GATEWAY_KEY) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "idempotency-key": key },
    body: JSON.stringify(payload)
  })

const upstreamCalls = () => upstream!.requests.length

beforeAll(async () => {
  ;[upstream] = await startUpstreams([{ kind: "openai", keys: [KEYS.p1], models: ["gpt-4o"], latencyMs: 5 }])
  const config = {
    providers: {
      primary: {
        kind: "openai",
        baseURL: upstream!.baseURL,
        keys: [{ id: "p1", secret: KEYS.p1 }],
        models: [{ name: "gpt-4o" }]
      }
    },
    routes: {
      default: [{ provider: "primary", models: ["gpt-4o"] }],
      cached: [{ provider: "primary", models: ["gpt-4o"] }]
    },
    cache: { routes: { cached: { ttl: "10 minutes" } } },
    ledger: { store: pgUrl },
    state: { store: redisUrl, prefix },
    idempotency: { retryAfter: "2 seconds", pollInterval: "20 millis" },
    gatewayKeys: [
      { id: "team-a", secret: GATEWAY_KEY, workspace: "team-a" },
      { id: "team-b", secret: OTHER_KEY, workspace: "team-b" },
      { id: "team-u", secret: USAGE_KEY, workspace: "team-u" }
    ]
  }
  // One after the other: the first runs the migrations.
  a = await spawnGateway(config)
  b = await spawnGateway(config)
  waiting = await spawnGateway({ ...config, idempotency: { ...config.idempotency, wait: true } })
}, 120_000)

afterAll(async () => {
  for (const gw of [a, b, waiting]) gw?.kill("SIGKILL")
  await upstream?.close()
  await sql((s) => s.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)).catch(() => undefined)
  await Effect.runPromise(Effect.scoped(cleanupAfter(prefix)))
})

// Real processes: generous bounds, as the machine may be busy (no timing is asserted).
describe("Idempotency-Key across two replicas on Redis and Postgres", { timeout: 120_000 }, () => {
  it("a key answered by A is replayed by B: same body and request id, no upstream call, ledgered as a replay", async () => {
    const key = `order-${run}-1`
    const before = upstreamCalls()
    const first = await post(a!, key, body("replay me"))
    expect(first.status).toBe(200)
    const firstBody = await first.json()
    const firstId = first.headers.get("x-am-request-id")!
    expect(first.headers.get("x-am-idempotent-replay")).toBeNull()

    const second = await post(b!, key, body("replay me"))
    expect(second.status).toBe(200)
    expect(await second.json()).toEqual(firstBody)
    expect(second.headers.get("x-am-request-id")).toBe(firstId)
    expect(second.headers.get("x-am-idempotent-replay")).toBe("true")
    expect(second.headers.get("x-am-attempts")).toBe("0")
    expect(upstreamCalls() - before).toBe(1)

    // The ledger writes in batches: wait for the entry (a condition, not a duration).
    let replay: LedgerEntry | undefined
    for (let i = 0; i < 400 && replay === undefined; i++) {
      replay = (await ledgerEntries()).find((e) => e.replayed === true && e.originalRequestId === firstId)
      if (replay === undefined) await new Promise((r) => setTimeout(r, 25))
    }
    expect(replay).toMatchObject({
      replayed: true,
      originalRequestId: firstId,
      apiCalls: 0,
      costUsd: 0,
      workspaceId: "team-a"
    })
    expect(replay!.requestId).not.toBe(firstId)
    // Two llm_runs rows under the key: the original, and the replay's own (its ledger entry's id), at no cost.
    const rows = await runsOnceThere(key, 2)
    expect(rows.map((r) => [r.id, r.replay_of, r.cost_usd === null ? null : Number(r.cost_usd)]).sort()).toEqual(
      [
        [firstId, null, expect.any(Number)],
        [replay!.requestId, firstId, 0]
      ].sort()
    )
  })

  it("am usage report counts 3 of 3 requests under one key (two replays at cost 0)", async () => {
    const key = `order-${run}-usage`
    const from = Date.now() - 1
    const sent = [await post(a!, key, body("count me"), USAGE_KEY)]
    sent.push(await post(b!, key, body("count me"), USAGE_KEY), await post(a!, key, body("count me"), USAGE_KEY))
    expect(sent.map((r) => r.status)).toEqual([200, 200, 200])
    expect(sent.map((r) => r.headers.get("x-am-idempotent-replay"))).toEqual([null, "true", "true"])
    const rows = await runsOnceThere(key, 3)
    expect(rows.map((r) => r.workspace_id)).toEqual(["team-u", "team-u", "team-u"])
    // What `am usage report --workspace team-u` runs: RunStore.usage, then @am/usage's report.
    const report = usageReport(
      await sql((s) => SqlStore.makeRunStore(s).usage({ workspaceId: "team-u", from, to: Date.now() + 1 })),
      { workspaceId: "team-u" }
    )
    expect(report.totals.requests).toBe(3)
    const original = rows.find((r) => r.replay_of === null)!
    expect(report.totals.costUsd).toBeCloseTo(Number(original.cost_usd ?? 0), 12)
    expect(rows.filter((r) => r.replay_of !== null).map((r) => Number(r.cost_usd))).toEqual([0, 0])
  })

  it("a key in flight on A is 409 with Retry-After on B, and waited for and replayed by a replica with idempotency.wait", async () => {
    upstream!.setScript([{ sequence: [{ fault: "ok", latencyMs: 1500 }, "ok"], repeat: false }])
    const key = `order-${run}-2`
    const before = upstreamCalls()
    const first = post(a!, key, body("slow"))
    await until(() => upstreamCalls() > before, "A's call reaching the upstream")
    // The dashboard state of the replica holding it lists the key in flight (its own workspace's).
    const held = (await (
      await fetch(`${a!.url}/v1/am/state`, { headers: { authorization: `Bearer ${GATEWAY_KEY}` } })
    ).json()) as { idempotency: { inFlight: Array<{ workspace: string; key: string }> } }
    expect(held.idempotency.inFlight).toContainEqual(expect.objectContaining({ workspace: "team-a", key }))
    const busy = await post(b!, key, body("slow"))
    expect(busy.status).toBe(409)
    expect(((await busy.json()) as { error: { code: string } }).error.code).toBe("idempotency_in_progress")
    expect(busy.headers.get("retry-after")).toBe("2")
    const waited = post(waiting!, key, body("slow"))
    const answered = await first
    expect(answered.status).toBe(200)
    const replayed = await waited
    expect(replayed.status).toBe(200)
    expect(replayed.headers.get("x-am-idempotent-replay")).toBe("true")
    expect(replayed.headers.get("x-am-request-id")).toBe(answered.headers.get("x-am-request-id"))
    expect(await replayed.json()).toEqual(await answered.json())
    expect(upstreamCalls() - before).toBe(1)
    upstream!.setScript([])
  })

  it("the same key with another body is 422 idempotency_key_reused, on either replica", async () => {
    const key = `order-${run}-3`
    expect((await post(a!, key, body("one body"))).status).toBe(200)
    const before = upstreamCalls()
    for (const gw of [a!, b!]) {
      const reused = await post(gw, key, body("another body"))
      expect(reused.status).toBe(422)
      const error = ((await reused.json()) as { error: { code: string; param: string } }).error
      expect(error).toMatchObject({ code: "idempotency_key_reused", param: "Idempotency-Key" })
    }
    expect(upstreamCalls()).toBe(before)
  })

  it("two workspaces using one key each get their own answer and their own llm_runs row", async () => {
    const key = `order-${run}-4`
    const before = upstreamCalls()
    const fromA = await post(a!, key, body("tenant"), GATEWAY_KEY)
    const fromB = await post(b!, key, body("tenant"), OTHER_KEY)
    expect([fromA.status, fromB.status]).toEqual([200, 200])
    expect(fromB.headers.get("x-am-idempotent-replay")).toBeNull()
    expect(fromA.headers.get("x-am-request-id")).not.toBe(fromB.headers.get("x-am-request-id"))
    expect(upstreamCalls() - before).toBe(2)
    const rows = await runsOnceThere(key, 2)
    expect(rows.map((r) => r.workspace_id).sort()).toEqual(["team-a", "team-b"])
    expect(rows.map((r) => r.id).sort()).toEqual(
      [fromA.headers.get("x-am-request-id"), fromB.headers.get("x-am-request-id")].sort()
    )
  })

  it("a failed call is not replayed: the retry runs again, and each request keeps its llm_runs row", async () => {
    upstream!.setScript([{ sequence: [400, "ok"], repeat: false }])
    const key = `order-${run}-6`
    const before = upstreamCalls()
    const failed = await post(a!, key, body("fails once"))
    expect(failed.status).toBe(400)
    const retried = await post(b!, key, body("fails once"))
    expect(retried.status).toBe(200)
    expect(retried.headers.get("x-am-idempotent-replay")).toBeNull()
    expect(upstreamCalls() - before).toBe(2)
    upstream!.setScript([])
    const ids = [failed.headers.get("x-am-request-id")!, retried.headers.get("x-am-request-id")!]
    let rows: ReadonlyArray<{ id: string; status: string }> = []
    for (let i = 0; i < 400 && rows.length < 2; i++) {
      rows = await sql(
        (s) => s<{ id: string; status: string }>`SELECT id, status FROM llm_runs WHERE id IN ${s.in(ids)}`
      )
      if (rows.length < 2) await new Promise((r) => setTimeout(r, 25))
    }
    expect(rows.map((r) => `${r.id}:${r.status}`).sort()).toEqual([`${ids[0]}:FAILED`, `${ids[1]}:SUCCEEDED`].sort())
  })

  it("a response cached through A is a hit on B (entries in Redis), with no upstream call", async () => {
    const ask = (gw: GatewayProcess) =>
      fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${GATEWAY_KEY}` },
        body: JSON.stringify({ model: "cached", messages: [{ role: "user", content: `shared ${run}` }] })
      })
    const before = upstreamCalls()
    const first = await ask(a!)
    expect(first.headers.get("x-am-cache")).toBe("miss")
    const second = await ask(b!)
    expect(second.headers.get("x-am-cache")).toBe("hit")
    const firstBody = (await first.json()) as { choices: unknown }
    expect(await second.json()).toMatchObject({ choices: firstBody.choices })
    expect(upstreamCalls() - before).toBe(1)
  })

  it("a streamed answer is replayed as a stream through the openai SDK", async () => {
    const key = `order-${run}-5`
    const client = (gw: GatewayProcess) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: GATEWAY_KEY, maxRetries: 0 })
    const collect = async (gw: GatewayProcess) => {
      const { data, response } = await client(gw)
        .chat.completions.create(
          { model: "default", messages: [{ role: "user", content: "stream me" }], stream: true },
          { headers: { "Idempotency-Key": key } }
        )
        .withResponse()
      let text = ""
      const ids = new Set<string>()
      for await (const chunk of data) {
        ids.add(chunk.id)
        text += chunk.choices[0]?.delta.content ?? ""
      }
      return { text, ids: [...ids], headers: response.headers }
    }
    const before = upstreamCalls()
    const first = await collect(a!)
    const second = await collect(b!)
    expect(first.text.length).toBeGreaterThan(0)
    expect(second.text).toBe(first.text)
    expect(second.ids).toEqual(first.ids)
    expect(second.headers.get("x-am-idempotent-replay")).toBe("true")
    expect(second.headers.get("x-am-request-id")).toBe(first.headers.get("x-am-request-id"))
    expect(upstreamCalls() - before).toBe(1)
  })
})
