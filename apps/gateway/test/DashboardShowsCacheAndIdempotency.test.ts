/**
 * The dashboard shows `@am/cache` as `GET /v1/am/state` does, on a real gateway: the response
 * cache's counters and hit rate follow repeated requests (an admin's feed only: they are every
 * workspace's traffic), and an Idempotency-Key held in flight — its upstream frozen behind a
 * TCP proxy until the test lets it answer, so nothing depends on timing — is listed while it is
 * held and gone once its request finished, each workspace's feed listing only its own keys.
 */
import { type FaultProxy, startFaultProxy, startUpstreams, type Upstream } from "@am/testkit"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { DashboardSnapshot } from "../src/Dashboard.ts"
import { GATEWAY_KEY, KEYS, OTHER_KEY, type RunningGateway, startGateway } from "./support/Harness.ts"

const ADMIN_KEY = "am-test-admin-key-dashboard-0001"

let upstream: Upstream | undefined
let proxy: FaultProxy | undefined
let gateway: RunningGateway | undefined

beforeAll(async () => {
  ;[upstream] = await startUpstreams([{ kind: "openai", keys: [KEYS.p1], models: ["gpt-4o"], latencyMs: 1 }])
  // The gateway reaches its upstream through a proxy the test can freeze (`hang`) and thaw (`heal`).
  proxy = await startFaultProxy({ host: "127.0.0.1", port: upstream!.port })
  gateway = await startGateway({
    providers: {
      primary: {
        kind: "openai",
        baseURL: `http://127.0.0.1:${proxy.port}/v1`,
        keys: [{ id: "p1", secret: KEYS.p1 }],
        models: [{ name: "gpt-4o" }],
        timeout: "60 seconds"
      }
    },
    routes: {
      cached: [{ provider: "primary", models: ["gpt-4o"] }],
      plain: [{ provider: "primary", models: ["gpt-4o"] }]
    },
    cache: { routes: { cached: { ttl: "10 minutes", maxEntries: 100 } } },
    ledger: { store: "memory" },
    gatewayKeys: [
      { id: "team-a", secret: GATEWAY_KEY, workspace: "team-a" },
      { id: "team-b", secret: OTHER_KEY, workspace: "team-b" },
      { id: "ops", secret: ADMIN_KEY, workspace: "ops", role: "admin" }
    ]
  })
}, 60_000)

afterAll(async () => {
  await proxy?.heal()
  await gateway?.close()
  await proxy?.close()
  await upstream?.close()
})

/** One viewer of the feed: its snapshots in order, and everything it received as text. */
const watch = async (key: string) => {
  const response = await fetch(`${gateway!.url}/dashboard/events`, { headers: { authorization: `Bearer ${key}` } })
  expect(response.status).toBe(200)
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  let buffer = ""
  let raw = ""
  const next = async (): Promise<DashboardSnapshot> => {
    for (;;) {
      const end = buffer.indexOf("\n\n")
      if (end >= 0) {
        const lines = buffer.slice(0, end).split("\n")
        buffer = buffer.slice(end + 2)
        const data = lines.find((l) => l.startsWith("data: "))
        if (lines.includes("event: snapshot") && data !== undefined)
          return JSON.parse(data.slice(6)) as DashboardSnapshot
        continue
      }
      const { done, value } = await reader.read()
      if (done) throw new Error("the feed ended")
      const text = decoder.decode(value, { stream: true })
      raw += text
      buffer += text
    }
  }
  return {
    get raw() {
      return raw
    },
    next,
    /** The first snapshot that satisfies `test` (the feed sends one within a tick of a change). */
    until: async (test: (s: DashboardSnapshot) => boolean): Promise<DashboardSnapshot> => {
      for (;;) {
        const s = await next()
        if (test(s)) return s
      }
    },
    cancel: () => reader.cancel()
  }
}

const chat = (key: string, model: string, content: string, idempotencyKey?: string) =>
  fetch(`${gateway!.url}/v1/chat/completions`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${key}`,
      "content-type": "application/json",
      ...(idempotencyKey !== undefined ? { "idempotency-key": idempotencyKey } : {})
    },
    body: JSON.stringify({ model, messages: [{ role: "user", content }] })
  })

const cacheOf = (s: DashboardSnapshot) => {
  const cache = s.cache
  if (cache === undefined || !cache.available) throw new Error(`no cache counters in ${JSON.stringify(cache)}`)
  return cache
}
const heldKeys = (s: DashboardSnapshot) => s.idempotency.inFlight.map((h) => `${h.workspace}/${h.key}`).sort()

describe("the dashboard shows the response cache and the Idempotency-Keys in flight", { timeout: 60_000 }, () => {
  it("serves the page with a Cache panel and an Idempotency panel", async () => {
    const html = await (await fetch(`${gateway!.url}/dashboard?key=${ADMIN_KEY}`)).text()
    expect(html).toContain('id="cache"')
    expect(html).toContain('id="idempotency"')
    expect(html).toContain("Idempotency in flight")
  })

  it("counts a repeated cached request as a hit, with its hit rate; a workspace feed has no counters", async () => {
    const admin = await watch(ADMIN_KEY)
    const teamA = await watch(GATEWAY_KEY)
    try {
      // A fresh gateway: no lookups yet, so no rate.
      const before = cacheOf(await admin.next())
      expect(before).toEqual({ available: true, hits: 0, misses: 0, bypassed: 0, coalesced: 0 })

      const first = await chat(GATEWAY_KEY, "cached", "what is 2+2?")
      expect(first.headers.get("x-am-cache")).toBe("miss")
      await first.text()
      const second = await chat(GATEWAY_KEY, "cached", "what is 2+2?")
      expect(second.headers.get("x-am-cache")).toBe("hit")
      await second.text()
      const once = cacheOf(await admin.until((s) => s.cache?.available === true && s.cache.hits >= 1))
      expect(once).toMatchObject({ hits: 1, misses: 1, hitRate: 0.5 })

      const third = await chat(GATEWAY_KEY, "cached", "what is 2+2?")
      expect(third.headers.get("x-am-cache")).toBe("hit")
      await third.text()
      const twice = cacheOf(await admin.until((s) => s.cache?.available === true && s.cache.hits >= 2))
      expect(twice).toMatchObject({ hits: 2, misses: 1 })
      expect(twice.hitRate).toBeCloseTo(2 / 3, 10)

      // The workspace that made the requests still does not see every workspace's counters.
      const own = await teamA.next()
      expect(own.cache).toBeUndefined()
      expect(teamA.raw).not.toContain('"hits"')
      expect(teamA.raw).not.toContain("hitRate")
      // Neither the prompt nor a gateway key reaches a feed.
      for (const feed of [admin, teamA]) {
        expect(feed.raw).not.toContain("2+2")
        expect(feed.raw).not.toContain(GATEWAY_KEY)
        expect(feed.raw).not.toContain(KEYS.p1)
      }
    } finally {
      await admin.cancel()
      await teamA.cancel()
    }
  })

  it("lists a key while its request is in flight and drops it when it finishes; each workspace sees its own", async () => {
    const admin = await watch(ADMIN_KEY)
    const teamA = await watch(GATEWAY_KEY)
    const teamB = await watch(OTHER_KEY)
    const keyA = "order-team-a-0001"
    const keyB = "order-team-b-0001"
    try {
      for (const feed of [admin, teamA, teamB])
        expect((await feed.next()).idempotency).toEqual({ available: true, count: 0, inFlight: [] })

      // Freeze the upstream: both requests are held (their keys in flight) until the test thaws it.
      await proxy!.hang()
      const pendingA = chat(GATEWAY_KEY, "plain", "held request a", keyA)
      const pendingB = chat(OTHER_KEY, "plain", "held request b", keyB)

      const all = await admin.until((s) => s.idempotency.count === 2)
      expect(heldKeys(all)).toEqual([`team-a/${keyA}`, `team-b/${keyB}`])
      for (const h of all.idempotency.inFlight) expect(h.since).toBeLessThanOrEqual(all.at)
      // Newest first.
      const sinces = all.idempotency.inFlight.map((h) => h.since)
      expect(sinces).toEqual([...sinces].sort((a, b) => b - a))

      const seenByA = await teamA.until((s) => s.idempotency.count > 0)
      expect(seenByA.idempotency.count).toBe(1)
      expect(heldKeys(seenByA)).toEqual([`team-a/${keyA}`])
      const seenByB = await teamB.until((s) => s.idempotency.count > 0)
      expect(seenByB.idempotency.count).toBe(1)
      expect(heldKeys(seenByB)).toEqual([`team-b/${keyB}`])
      // Neither workspace's feed ever carried the other's key, nor the cache's counters.
      expect(teamA.raw).not.toContain(keyB)
      expect(teamB.raw).not.toContain(keyA)
      for (const feed of [teamA, teamB]) expect(feed.raw).not.toContain("hitRate")
      expect((await teamB.next()).cache).toBeUndefined()

      // Thaw: both answer, and their keys leave the list.
      await proxy!.heal()
      const [answerA, answerB] = await Promise.all([pendingA, pendingB])
      expect([answerA.status, answerB.status]).toEqual([200, 200])
      await Promise.all([answerA.text(), answerB.text()])
      const after = await admin.until((s) => s.idempotency.count === 0)
      expect(after.idempotency.inFlight).toEqual([])
      expect((await teamA.until((s) => s.idempotency.count === 0)).idempotency.inFlight).toEqual([])
      expect((await teamB.until((s) => s.idempotency.count === 0)).idempotency.inFlight).toEqual([])
      // The prompts never reach a feed.
      for (const feed of [admin, teamA, teamB]) expect(feed.raw).not.toContain("held request")
    } finally {
      await proxy!.heal()
      await admin.cancel()
      await teamA.cancel()
      await teamB.cancel()
    }
  })
})
