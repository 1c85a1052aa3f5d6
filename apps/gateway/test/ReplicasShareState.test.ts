/**
 * Two gateway processes sharing this machine's Redis (state) and Postgres (ledger): a breaker
 * tripped through one is open in the other; a key disabled through one is skipped by the other;
 * an operator's breaker hold (force open, reset) through one applies in the other; killing one
 * under load loses no ledger entry for any request that was answered.
 */
import type { LedgerStore } from "@am/core"
import { verifyStore } from "@am/ledger"
import { StoreUrl } from "@am/store-sql"
import { startUpstreams, type Upstream } from "@am/testkit"
import { cleanupAfter, redisUrl } from "@am/testkit/redis"
import { Effect, type Layer } from "effect"
import { SqlClient } from "effect/sql"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { GATEWAY_KEY, KEYS } from "./support/Harness.ts"

const ADMIN_KEY = "am-test-admin-key-replicas-0001"
import { type GatewayProcess, load, spawnGateway, until } from "./support/Process.ts"

const run = Math.random().toString(36).slice(2, 10)
const schema = `am_gw_${run}`
const pgUrl = `${process.env.AM_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test"}?schema=${schema}`

let upstreams: ReadonlyArray<Upstream> = []
let a: GatewayProcess | undefined
let b: GatewayProcess | undefined

const withStore = <A>(f: Effect.Effect<A, unknown, LedgerStore | SqlClient.SqlClient>) =>
  Effect.runPromise(
    Effect.scoped(
      f.pipe(Effect.provide(StoreUrl.layer(pgUrl) as Layer.Layer<LedgerStore | SqlClient.SqlClient, unknown>))
    )
  )

const chat = (gw: GatewayProcess) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${GATEWAY_KEY}` },
    body: JSON.stringify({ model: "default", messages: [{ role: "user", content: "replica" }] })
  })

const state = async (gw: GatewayProcess) =>
  (await (await fetch(`${gw.url}/v1/am/state`, { headers: { authorization: `Bearer ${GATEWAY_KEY}` } })).json()) as {
    breakers: Array<{ name: string; status: string }>
    keys: Array<{ provider: string; id: string; status: string; fingerprint: string }>
  }

beforeAll(async () => {
  upstreams = await startUpstreams([
    { kind: "openai", keys: [KEYS.p1, KEYS.p2], models: ["gpt-4o"], latencyMs: 5 },
    { kind: "anthropic", keys: [KEYS.s1], models: ["claude-sonnet-4-6"], latencyMs: 5 }
  ])
  const config = {
    providers: {
      primary: {
        kind: "openai",
        baseURL: upstreams[0]!.baseURL,
        keys: [
          { id: "p1", secret: KEYS.p1 },
          { id: "p2", secret: KEYS.p2 }
        ],
        models: [{ name: "gpt-4o" }],
        breaker: { consecutiveFailures: 3, openFor: "5 minutes" }
      },
      secondary: {
        kind: "anthropic",
        baseURL: upstreams[1]!.baseURL,
        keys: [{ id: "s1", secret: KEYS.s1 }],
        models: [{ name: "claude-sonnet-4-6" }]
      }
    },
    routes: {
      default: [
        { provider: "primary", models: ["gpt-4o"] },
        { provider: "secondary", models: ["claude-sonnet-4-6"] }
      ]
    },
    retry: { base: "5 millis", max: "20 millis", maxAttempts: 6, deadline: "10 seconds" },
    ledger: { store: pgUrl },
    state: { store: redisUrl, prefix: `am:test-${run}:` },
    gatewayKeys: [
      { id: "t", secret: GATEWAY_KEY, workspace: "team-r" },
      // Key enable/disable is an operator action: it needs an admin key.
      { id: "ops", secret: ADMIN_KEY, workspace: "ops", role: "admin" }
    ]
  }
  // One after the other: the first runs the migrations.
  a = await spawnGateway(config)
  b = await spawnGateway(config)
}, 120_000)

afterAll(async () => {
  a?.kill("SIGKILL")
  b?.kill("SIGKILL")
  await Promise.all(upstreams.map((u) => u.close()))
  await withStore(
    Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`))
  ).catch(() => undefined)
  // Keyring and budget keys have no TTL: remove this run's namespace.
  await Effect.runPromise(Effect.scoped(cleanupAfter(`am:test-${run}:`)))
})

// Real processes under load: generous bounds, as the machine may be busy (no timing is asserted).
describe("two replicas on Redis and Postgres", { timeout: 120_000 }, () => {
  it("a key disabled through one replica is skipped by the other", async () => {
    const disabled = await fetch(`${a!.url}/v1/am/keys/primary/p1/disable`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_KEY}` }
    })
    expect(disabled.status).toBe(200)
    const seenBefore = upstreams[0]!.requests.length
    for (let i = 0; i < 8; i++) expect((await chat(b!)).status).toBe(200)
    const sent = upstreams[0]!.requests.slice(seenBefore)
    expect(sent).toHaveLength(8)
    expect(sent.every((r) => r.key === KEYS.p2)).toBe(true)
    const keyInB = (await state(b!)).keys.find((k) => k.provider === "primary" && k.id === "p1")
    expect(keyInB?.status).toBe("disabled")
    // Back into rotation, through the other replica this time.
    await fetch(`${b!.url}/v1/am/keys/primary/p1/enable`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_KEY}` }
    })
    expect((await state(a!)).keys.find((k) => k.provider === "primary" && k.id === "p1")?.status).not.toBe("disabled")
  })

  it("a breaker forced open through one replica fails over in the other; a reset through the other hands it back", async () => {
    const admin = { authorization: `Bearer ${ADMIN_KEY}` }
    const statusIn = async (gw: GatewayProcess) =>
      (await state(gw)).breakers.find((c) => c.name === "provider:primary")?.status
    /** Polls (the holds are re-read every second) until `gw` reads `status`, bounded. */
    const reads = async (gw: GatewayProcess, status: string) => {
      for (let i = 0; i < 300 && (await statusIn(gw)) !== status; i++) await new Promise((r) => setTimeout(r, 50))
      expect(await statusIn(gw)).toBe(status)
    }
    expect((await fetch(`${a!.url}/v1/am/breakers/primary/open`, { method: "POST", headers: admin })).status).toBe(200)
    await reads(b!, "open")
    const before = upstreams[0]!.requests.length
    const r = await chat(b!)
    expect(r.status).toBe(200)
    expect(r.headers.get("x-am-provider")).toBe("secondary")
    expect(upstreams[0]!.requests.length, "B never called the provider held open through A").toBe(before)

    expect((await fetch(`${b!.url}/v1/am/breakers/primary/reset`, { method: "POST", headers: admin })).status).toBe(200)
    await reads(a!, "closed")
    const back = await chat(a!)
    expect(back.status).toBe(200)
    expect(back.headers.get("x-am-provider")).toBe("primary")
  })

  it("a breaker tripped through one replica is open in the other", async () => {
    upstreams[0]!.setScript([{ sequence: ["overloaded"], repeat: true }])
    for (let i = 0; i < 10; i++) {
      const s = await state(a!)
      if (s.breakers.find((c) => c.name === "provider:primary")?.status === "open") break
      expect((await chat(a!)).status).toBe(200) // the secondary answers
    }
    expect((await state(b!)).breakers.find((c) => c.name === "provider:primary")?.status).toBe("open")
    const before = upstreams[0]!.requests.length
    const r = await chat(b!)
    expect(r.status).toBe(200)
    expect(r.headers.get("x-am-provider")).toBe("secondary")
    // B never called the provider whose circuit A opened.
    expect(upstreams[0]!.requests.length).toBe(before)
  })

  it("killing one replica under load loses no ledger entry of an answered request", async () => {
    const onA = load(a!.url, GATEWAY_KEY, 8)
    const onB = load(b!.url, GATEWAY_KEY, 8)
    await until(() => onA.result.answered.length >= 100, "100 answers from replica A")
    a!.kill("SIGKILL")
    expect(await a!.exited).toBe("SIGKILL")
    // The survivor keeps answering under load once A is gone (and A's clients see it gone).
    const byBAtKill = onB.result.answered.length
    await until(
      () => onB.result.answered.length >= byBAtKill + 50 && onA.result.refused > 0,
      "50 answers from replica B after A died, and a refused connection to A"
    )
    const [fromA, fromB] = [await onA.stop(), await onB.stop()]
    expect(fromB.failedStatus).toEqual([])
    const answered = [...fromA.answered, ...fromB.answered]
    const { missing, chain } = await withStore(
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const rows = yield* sql<{ request_id: string }>`SELECT request_id FROM ledger_entries`
        const ids = new Set(rows.map((r) => r.request_id))
        return { missing: answered.filter((id) => !ids.has(id)), chain: yield* verifyStore({ pageSize: 500 }) }
      })
    )
    expect(missing).toEqual([])
    expect(chain.ok).toBe(true)
    b!.kill("SIGTERM")
    expect(await b!.exited).toBe(0)
  })
})
