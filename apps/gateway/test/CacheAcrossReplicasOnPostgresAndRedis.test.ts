/**
 * The response cache on two gateway replicas (separate processes) sharing this machine's Redis
 * (entries and fill locks; a key prefix of this run's own) and Postgres (ledger and `llm_runs`;
 * a schema of this run's own), with PII redaction on:
 *
 * - a request answered through A is a hit on B: no upstream call, cost 0, ledgered as a hit
 *   naming the original, and an `llm_runs` row of its own;
 * - a changed sampling parameter, tool or system prompt misses;
 * - 50 concurrent identical misses, half to each replica, make one upstream call;
 * - two workspaces never share an entry;
 * - no e-mail address of a prompt appears in any Redis key or value of the run (the upstream
 *   echoes the prompt it saw, so an entry holds what the cache was given), and two prompts
 *   differing only in the address share one entry, each asker's own address restored.
 */
import type { LedgerEntry } from "@am/core"
import { StoreUrl } from "@am/store-sql"
import { startUpstreams, type Upstream } from "@am/testkit"
import { cleanupAfter, connection, redisUrl } from "@am/testkit/redis"
import { Effect, Layer } from "effect"
import { Redis } from "effect/persistence"
import { SqlClient } from "effect/sql"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { GATEWAY_KEY, KEYS, OTHER_KEY } from "./support/Harness.ts"
import { type GatewayProcess, spawnGateway } from "./support/Process.ts"

const run = Math.random().toString(36).slice(2, 10)
const schema = `am_cache_${run}`
const pgUrl = `${process.env.AM_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test"}?schema=${schema}`
const prefix = `am:test-cache-${run}:`

let upstream: Upstream | undefined
let a: GatewayProcess | undefined
let b: GatewayProcess | undefined

const sql = <A>(f: (s: SqlClient.SqlClient) => Effect.Effect<A, unknown>) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.flatMap(SqlClient.SqlClient, f).pipe(
        Effect.provide(StoreUrl.layer(pgUrl) as Layer.Layer<SqlClient.SqlClient, unknown>)
      )
    )
  )

const calls = () => upstream!.requests.filter((r) => r.path.endsWith("/chat/completions")).length

const ask = async (gw: GatewayProcess, body: Record<string, unknown>, token = GATEWAY_KEY) => {
  const response = await fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ model: "cached", ...body })
  })
  const json = (await response.json()) as { choices?: Array<{ message: { content: string | null } }> }
  return {
    status: response.status,
    cache: response.headers.get("x-am-cache"),
    id: response.headers.get("x-am-request-id")!,
    text: json.choices?.[0]?.message.content ?? null
  }
}

const user = (content: string) => ({ messages: [{ role: "user", content }] })

/** Rows are written behind, in batches: the condition, bounded. */
const eventually = async <A>(read: () => Promise<A>, ok: (a: A) => boolean): Promise<A> => {
  let value = await read()
  for (let i = 0; i < 400 && !ok(value); i++) {
    await new Promise((r) => setTimeout(r, 25))
    value = await read()
  }
  return value
}

beforeAll(async () => {
  ;[upstream] = await startUpstreams([
    // The answer is the prompt as the upstream saw it: what the cache stores shows what it was given.
    { kind: "openai", keys: [KEYS.p1], models: ["gpt-4o"], latencyMs: 1, echo: true }
  ])
  const config = {
    providers: {
      primary: {
        kind: "openai",
        baseURL: upstream!.baseURL,
        keys: [{ id: "p1", secret: KEYS.p1 }],
        models: [{ name: "gpt-4o" }]
      }
    },
    routes: { cached: [{ provider: "primary", models: ["gpt-4o"] }] },
    cache: { routes: { cached: { ttl: "10 minutes" } }, pollInterval: "10 millis" },
    guards: { pii: "redact" },
    ledger: { store: pgUrl },
    state: { store: redisUrl, prefix },
    telemetry: { logs: false },
    gatewayKeys: [
      { id: "team-a", secret: GATEWAY_KEY, workspace: "team-a" },
      { id: "team-b", secret: OTHER_KEY, workspace: "team-b" }
    ]
  }
  // One after the other: the first runs the migrations.
  a = await spawnGateway(config)
  b = await spawnGateway(config)
}, 60_000)

afterAll(async () => {
  for (const gw of [a, b]) gw?.kill("SIGKILL")
  await upstream?.close()
  await sql((s) => s.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)).catch(() => undefined)
  await Effect.runPromise(Effect.scoped(cleanupAfter(prefix)))
})

describe("the response cache across two replicas on Redis and Postgres", { timeout: 60_000 }, () => {
  it("a request answered through A is a hit on B: no call, cost 0, a ledgered hit with its own llm_runs row", async () => {
    const before = calls()
    const first = await ask(a!, user(`what is 2+2? ${run}`))
    const second = await ask(b!, user(`what is 2+2? ${run}`))
    expect([first.status, first.cache, second.status, second.cache]).toEqual([200, "miss", 200, "hit"])
    expect(second.text).toBe(first.text)
    expect(calls() - before).toBe(1)
    const entry = await eventually(
      async () =>
        (await sql((s) => s<{ entry: string }>`SELECT entry FROM ledger_entries WHERE request_id = ${second.id}`)).map(
          (r) => JSON.parse(r.entry) as LedgerEntry
        )[0],
      (e) => e !== undefined
    )
    expect(entry).toMatchObject({ cacheHit: true, originalRequestId: first.id, apiCalls: 0, costUsd: 0 })
    const rows = await eventually(
      () =>
        sql(
          (s) =>
            s<{
              id: string
              cost_usd: unknown
            }>`SELECT id, cost_usd FROM llm_runs WHERE id IN ${s.in([first.id, second.id])}`
        ),
      (r) => r.length >= 2
    )
    expect(rows.map((r) => r.id).sort()).toEqual([first.id, second.id].sort())
    expect(Number(rows.find((r) => r.id === second.id)!.cost_usd ?? 0)).toBe(0)
  })

  it("a changed sampling parameter, tool or system prompt misses, on either replica", async () => {
    const question = user(`the weather in Paris ${run}`)
    expect((await ask(a!, question)).cache).toBe("miss")
    const before = calls()
    const tool = {
      type: "function",
      function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } }
    }
    const variants = [
      { ...question, temperature: 0.3 },
      { ...question, tools: [tool] },
      { messages: [{ role: "system", content: "Answer in French." }, ...question.messages] }
    ]
    for (const [i, variant] of variants.entries()) {
      const answer = await ask(i % 2 === 0 ? b! : a!, variant)
      expect(answer.cache, JSON.stringify(variant)).toBe("miss")
    }
    expect(calls() - before).toBe(3)
    // And each variant is now a hit itself, on the other replica.
    for (const [i, variant] of variants.entries()) expect((await ask(i % 2 === 0 ? a! : b!, variant)).cache).toBe("hit")
    expect(calls() - before).toBe(3)
  })

  it("50 concurrent identical misses, half on each replica, make one upstream call", async () => {
    // A slow first call, so the 50 overlap it: the others wait for the fill (in A, in B or across).
    upstream!.setScript([{ sequence: [{ fault: "ok", latencyMs: 800 }], repeat: false }])
    const before = calls()
    const question = user(`fifty at once ${run}`)
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => ask(i % 2 === 0 ? a! : b!, question)))
    upstream!.setScript([])
    expect(answers.map((r) => r.status)).toEqual(Array(50).fill(200))
    expect(calls() - before).toBe(1)
    expect(new Set(answers.map((r) => r.text)).size).toBe(1)
    expect(answers.filter((r) => r.cache === "miss").length).toBe(1)
  })

  it("two workspaces never share an entry", async () => {
    const question = user(`tenant question ${run}`)
    expect((await ask(a!, question, GATEWAY_KEY)).cache).toBe("miss")
    const before = calls()
    expect((await ask(b!, question, OTHER_KEY)).cache).toBe("miss")
    expect((await ask(a!, question, OTHER_KEY)).cache).toBe("hit")
    expect((await ask(b!, question, GATEWAY_KEY)).cache).toBe("hit")
    expect(calls() - before).toBe(1)
  })

  it("no e-mail address of a prompt reaches a Redis key or value, and two prompts differing only in it share the entry", async () => {
    const emails = [`ada.${run}@example.com`, `grace.${run}@example.org`]
    const answers = []
    for (const [i, email] of emails.entries())
      answers.push(await ask(i === 0 ? a! : b!, user(`Write to ${email} that the order shipped`)))
    expect(answers.map((r) => r.cache)).toEqual(["miss", "hit"])
    // Each asker gets the answer with their own address restored (the entry holds the placeholder).
    for (const [i, email] of emails.entries()) expect(answers[i]!.text).toContain(email)
    const dump = await Effect.runPromise(
      Effect.gen(function* () {
        const redis = yield* Redis.Redis
        const keys = yield* redis.send<Array<string>>("KEYS", `${prefix}*`)
        const values: Array<string> = []
        for (const key of keys) {
          const type = yield* redis.send<string>("TYPE", key)
          const value =
            type === "string"
              ? yield* redis.send<string>("GET", key)
              : type === "hash"
                ? yield* redis.send<Array<string>>("HGETALL", key)
                : type === "zset"
                  ? yield* redis.send<Array<string>>("ZRANGE", key, "0", "-1", "WITHSCORES")
                  : type === "list"
                    ? yield* redis.send<Array<string>>("LRANGE", key, "0", "-1")
                    : type === "set"
                      ? yield* redis.send<Array<string>>("SMEMBERS", key)
                      : `(${type})`
          values.push(key, JSON.stringify(value))
        }
        return { keys, text: values.join("\n") }
      }).pipe(Effect.provide(Layer.fresh(connection())))
    )
    // The cache did write here (the entries of this test's requests are among the keys).
    expect(dump.keys.length).toBeGreaterThan(0)
    expect(dump.text).toContain("order shipped")
    for (const email of emails) {
      expect(dump.text).not.toContain(email)
      expect(dump.text).not.toContain(email.split("@")[0])
    }
  })
})
