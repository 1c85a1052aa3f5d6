/**
 * No provider key and no gateway key ever leaves the gateway: not in answers, error bodies,
 * headers, `/v1/am/state`, `/readyz`, `/metrics`, the dashboard feed, the ledger or the logs —
 * even when a dead key's provider error is the thing being reported. Keys appear only as
 * fingerprints.
 */
import { LedgerStore } from "@am/core"
import type { Upstream } from "@am/testkit"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { GATEWAY_KEY, KEYS, OTHER_KEY, type RunningGateway, startGateway, twoProviders } from "./support/Harness.ts"

let gateway: RunningGateway
let upstreams: ReadonlyArray<Upstream>
const SECRETS = [KEYS.p1, KEYS.p2, KEYS.s1, GATEWAY_KEY, OTHER_KEY]
const logs: Array<string> = []
const original = { log: console.log, error: console.error, warn: console.warn, info: console.info }

beforeAll(async () => {
  // p1 is not accepted by the upstream (a dead key): its auth error is reported in the trail.
  const made = await twoProviders({ primary: [{ sequence: ["invalid_key", "overloaded", "ok"], repeat: true }] })
  upstreams = made.upstreams
  for (const k of ["log", "error", "warn", "info"] as const) {
    console[k] = (...args: Array<unknown>) => {
      logs.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "))
    }
  }
  gateway = await startGateway(made.raw, { logs: true })
})
afterAll(async () => {
  Object.assign(console, original)
  await gateway.close()
  await Promise.all(upstreams.map((u) => u.close()))
})

const leaks = (text: string) => SECRETS.filter((s) => text.includes(s))

describe("secrets", () => {
  it("never appear in anything the gateway answers, stores or logs", async () => {
    const outputs: Array<string> = []
    const call = async (init: RequestInit & { path?: string }) => {
      const r = await fetch(`${gateway.url}${init.path ?? "/v1/chat/completions"}`, init)
      outputs.push(JSON.stringify([...r.headers.entries()]), await r.text())
      return r
    }
    const post = (body: unknown, key = GATEWAY_KEY) =>
      call({
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify(body)
      })
    const ids: Array<string> = []
    for (let i = 0; i < 12; i++) {
      const r = await post({ model: "default", messages: [{ role: "user", content: `q${i} my key is ${KEYS.p2}` }] })
      ids.push(r.headers.get("x-am-request-id")!)
    }
    await post({ model: "default", messages: [{ role: "user", content: "hi" }], stream: true })
    await post({ model: "default", messages: [{ role: "user", content: "hi" }] }, `${GATEWAY_KEY}x`)
    await post({ model: "default", messages: [{ role: "user", content: "x" }], temperature: 9 })
    // Operator views need a gateway key; probes and scrapers don't.
    expect((await fetch(`${gateway.url}/v1/am/state`)).status).toBe(401)
    await call({ path: "/v1/am/state", headers: { authorization: `Bearer ${GATEWAY_KEY}` } })
    for (const path of ["/readyz", "/metrics", "/v1/models", "/healthz"]) await call({ path })
    // One dashboard snapshot.
    const feed = await fetch(`${gateway.url}/dashboard/events?key=${GATEWAY_KEY}`)
    const reader = feed.body!.getReader()
    const first = await reader.read()
    outputs.push(new TextDecoder().decode(first.value))
    await reader.cancel()

    const ledger = await gateway.run(Effect.flatMap(Effect.service(LedgerStore), (s) => s.range(1, 1000)))
    expect(ledger.length).toBeGreaterThanOrEqual(12)
    // The dead key's failure is in the trail (by fingerprint), and the user's pasted key is redacted.
    const trail = ledger.flatMap((e) => e.attempts)
    expect(trail.some((a) => a.class === "auth_invalid" && a.keyFingerprint !== undefined)).toBe(true)

    const everything = [...outputs, JSON.stringify(ledger), ...logs].join("\n")
    expect(logs.length).toBeGreaterThan(0)
    expect(leaks(everything)).toEqual([])
    // The state shows each key by id and fingerprint.
    const state = JSON.parse(outputs.find((o) => o.startsWith('{"breakers"'))!) as {
      keys: Array<{ id: string; fingerprint: string }>
    }
    expect(state.keys.map((k) => k.id).sort()).toEqual(["p1", "p2", "s1"])
    expect(state.keys.every((k) => /^fp_[0-9a-f]{12}$/.test(k.fingerprint))).toBe(true)
  })
})
