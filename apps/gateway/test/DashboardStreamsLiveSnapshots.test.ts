/**
 * The dashboard's feed over plain HTTP: `/dashboard` and `/dashboard/events` need a gateway key
 * when keys are configured (header or `?key=`), the feed opens with a snapshot of breakers and
 * keys (fingerprints, never secrets), follows traffic (rates, ledger entries with their attempt
 * trails), forgets viewers that disconnect, and ends its streams when the gateway shuts down.
 */
import type { Upstream } from "@am/testkit"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { DashboardSnapshot } from "../src/Dashboard.ts"
import { Lifecycle } from "../src/Lifecycle.ts"
import { GATEWAY_KEY, KEYS, type RunningGateway, startGateway, twoProviders } from "./support/Harness.ts"

/** Reads `snapshot` events from an SSE response. */
const sse = (response: Response) => {
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  let buffer = ""
  let raw = ""
  return {
    /** Everything received so far, as text. */
    get raw() {
      return raw
    },
    /** The next snapshot, or `undefined` when the stream ended. */
    next: async (): Promise<DashboardSnapshot | undefined> => {
      for (;;) {
        const end = buffer.indexOf("\n\n")
        if (end >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const lines = block.split("\n")
          if (!lines.includes("event: snapshot")) continue
          const data = lines.find((l) => l.startsWith("data: "))
          return JSON.parse(data!.slice(6)) as DashboardSnapshot
        }
        const { done, value } = await reader.read()
        if (done) return undefined
        const text = decoder.decode(value, { stream: true })
        raw += text
        buffer += text
      }
    },
    /** The first snapshot that satisfies `test` (the feed sends one at least every second). */
    async until(test: (s: DashboardSnapshot) => boolean): Promise<DashboardSnapshot> {
      for (;;) {
        const s = await this.next()
        if (s === undefined) throw new Error("the stream ended")
        if (test(s)) return s
      }
    },
    cancel: () => reader.cancel()
  }
}

const auth = { authorization: `Bearer ${GATEWAY_KEY}` }

const chat = (url: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ model: "default", messages: [{ role: "user", content: "hello" }] })
  })

describe("dashboard feed", () => {
  let gateway: RunningGateway
  let upstreams: ReadonlyArray<Upstream>

  beforeAll(async () => {
    // The primary doesn't know the model once: the first request fails over to the secondary.
    const made = await twoProviders({ primary: [{ sequence: ["model_not_found"] }] })
    upstreams = made.upstreams
    gateway = await startGateway(made.raw)
  })
  afterAll(async () => {
    await gateway?.close()
    await Promise.all((upstreams ?? []).map((u) => u.close()))
  })

  it("refuses the page and the feed without a valid gateway key, in OpenAI's error shape", async () => {
    for (const path of ["/dashboard", "/dashboard/events", "/dashboard?key=wrong", "/dashboard/events?key=wrong"]) {
      const response = await fetch(`${gateway.url}${path}`)
      expect(response.status, path).toBe(401)
      const body = (await response.json()) as { error: { type: string; code: string; message: string } }
      expect(body.error.type).toBe("authentication_error")
      expect(body.error.code).toBe("unauthorized")
    }
    const wrongHeader = await fetch(`${gateway.url}/dashboard/events`, { headers: { authorization: "Bearer nope" } })
    expect(wrongHeader.status).toBe(401)
    await wrongHeader.body?.cancel()
  })

  it("serves the page with a key in the query, self-contained under a strict CSP", async () => {
    const response = await fetch(`${gateway.url}/dashboard?key=${GATEWAY_KEY}`)
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toMatch(/^text\/html/)
    const csp = response.headers.get("content-security-policy") ?? ""
    expect(csp).toContain("default-src 'none'")
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/)
    const html = await response.text()
    expect(html).toContain("/events")
    // Nothing loaded from elsewhere.
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//)
  })

  it("opens with a snapshot of breakers and keys, fingerprints only", async () => {
    const response = await fetch(`${gateway.url}/dashboard/events`, { headers: auth })
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/)
    const feed = sse(response)
    const first = (await feed.next())!
    await feed.cancel()
    expect(first.providers.map((p) => p.id).sort()).toEqual(["primary", "secondary"])
    expect(first.breakers.some((b) => b.provider === "primary" && b.status === "closed")).toBe(true)
    expect(first.keys.map((k) => `${k.provider}/${k.id}/${k.status}`).sort()).toEqual([
      "primary/p1/healthy",
      "primary/p2/healthy",
      "secondary/s1/healthy"
    ])
    for (const k of first.keys) expect(k.fingerprint).toMatch(/\S/)
    for (const secret of Object.values(KEYS)) expect(feed.raw).not.toContain(secret)
    expect(feed.raw).not.toContain(GATEWAY_KEY)
    expect(first.rates.requests.length).toBe(120)
    expect(first.ledger.available).toBe(true)
  })

  it("follows traffic: request rate, failovers and the newest ledger entries with their trails", async () => {
    const response = await fetch(`${gateway.url}/dashboard/events?key=${GATEWAY_KEY}`)
    const feed = sse(response)
    await feed.next()
    const answers = [await chat(gateway.url), await chat(gateway.url), await chat(gateway.url)]
    const ids = answers.map((a) => a.headers.get("x-am-request-id")!)
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200])
    await Promise.all(answers.map((a) => a.text()))
    const seen = await feed.until((s) => ids.every((id) => s.ledger.entries.some((e) => e.requestId === id)))
    await feed.cancel()
    const total = (k: "requests" | "succeeded" | "failedOver") => seen.rates[k].reduce((n, v) => n + v, 0)
    expect(total("requests")).toBeGreaterThanOrEqual(3)
    expect(total("succeeded")).toBeGreaterThanOrEqual(3)
    expect(total("failedOver")).toBeGreaterThanOrEqual(1)
    // Newest first; the failed-over one shows both attempts.
    const first = seen.ledger.entries.find((e) => e.requestId === ids[0])!
    expect(first.outcome).toBe("SUCCESS")
    expect(first.attempts.map((a) => `${a.provider}:${a.outcome}`)).toEqual(["primary:failure", "secondary:success"])
    expect(first.attempts[0]!.class).toBe("model_not_found")
    expect(first.attempts[0]!.keyFingerprint).toMatch(/\S/)
    const seqs = seen.ledger.entries.map((e) => e.seq)
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a))
    // Previews of the prompt and the answer stay in the ledger.
    expect(feed.raw).not.toContain("hello")
  })

  it("counts viewers, and forgets one that disconnects", async () => {
    const a = sse(await fetch(`${gateway.url}/dashboard/events`, { headers: auth }))
    await a.until((s) => s.viewers === 1)
    const b = sse(await fetch(`${gateway.url}/dashboard/events`, { headers: auth }))
    await b.until((s) => s.viewers === 2)
    await a.cancel()
    await b.until((s) => s.viewers === 1)
    await b.cancel()
  })
})

describe("dashboard feed at shutdown", () => {
  it("ends open streams when the gateway drains, so they never hold up the shutdown", async () => {
    const made = await twoProviders()
    const gateway = await startGateway(made.raw, { shutdownTimeout: "1 hour" })
    try {
      const feed = sse(await fetch(`${gateway.url}/dashboard/events`, { headers: auth }))
      expect(await feed.next()).toBeDefined()
      // What `am-gateway` does on SIGTERM before releasing the server.
      await gateway.run(
        Effect.gen(function* () {
          const lifecycle = yield* Lifecycle
          yield* lifecycle.drain
        })
      )
      await feed.until(() => false).catch((e: Error) => expect(e.message).toBe("the stream ended"))
    } finally {
      // Would wait for the open stream up to the hour-long shutdown timeout if it had not ended.
      await gateway.close()
      await Promise.all(made.upstreams.map((u) => u.close()))
    }
  })
})
