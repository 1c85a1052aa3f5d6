/**
 * Two workspaces and an operator: a workspace key sees only its own workspace's traffic on every
 * surface (dashboard feed, `/v1/am/state`, idempotency) and can neither disable a provider key
 * nor override a breaker (403); the admin key sees both workspaces and can disable and enable a
 * key and force a breaker open, closed and back to its policy. Gateway keys are configured as
 * SHA-256 digests, so no plaintext key sits in the config.
 */
import { createHash } from "node:crypto"
import type { Upstream } from "@am/testkit"
import OpenAI from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { GATEWAY_KEY, OTHER_KEY, type RunningGateway, startGateway, twoProviders } from "./support/Harness.ts"

const ADMIN_KEY = "am-test-admin-key-0003"
const sha = (s: string) => `sha256:${createHash("sha256").update(s).digest("hex")}`

let gateway: RunningGateway
let upstreams: ReadonlyArray<Upstream>

beforeAll(async () => {
  const made = await twoProviders()
  upstreams = made.upstreams
  gateway = await startGateway({
    ...made.raw,
    gatewayKeys: [
      { id: "team-a", secret: sha(GATEWAY_KEY), workspace: "team-a" },
      { id: "team-b", secret: OTHER_KEY, workspace: "team-b", role: "workspace" },
      { id: "ops", secret: sha(ADMIN_KEY), workspace: "ops", role: "admin" }
    ]
  })
})
afterAll(async () => {
  await gateway?.close()
  await Promise.all((upstreams ?? []).map((u) => u.close()))
})

const client = (key: string) => new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0 })

const ask = async (key: string, text: string) => {
  const { data, response } = await client(key)
    .chat.completions.create({ model: "default", messages: [{ role: "user", content: text }] })
    .withResponse()
  expect(data.choices[0]?.message.content).toBeTruthy()
  return { id: response.headers.get("x-am-request-id")!, provider: response.headers.get("x-am-provider") }
}

const get = (path: string, key: string) =>
  fetch(`${gateway.url}${path}`, { headers: { authorization: `Bearer ${key}` } })
const post = (path: string, key: string) =>
  fetch(`${gateway.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${key}` } })

interface Snapshot {
  readonly gateway: { readonly inFlight?: number }
  readonly keys: ReadonlyArray<{ readonly id: string; readonly status: string; readonly leases?: number }>
  readonly rates: { readonly requests: ReadonlyArray<number> }
  readonly ledger: { readonly entries: ReadonlyArray<{ readonly requestId: string; readonly workspaceId?: string }> }
}

/** Reads the feed until a snapshot satisfies `done` (the ledger is written after the answer). */
const feedUntil = async (key: string, done: (s: Snapshot) => boolean): Promise<Snapshot> => {
  const response = await fetch(`${gateway.url}/dashboard/events?key=${encodeURIComponent(key)}`)
  expect(response.status).toBe(200)
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  let buffer = ""
  try {
    for (;;) {
      const { value, done: ended } = await reader.read()
      if (ended) throw new Error("the feed ended")
      buffer += decoder.decode(value, { stream: true })
      let end = buffer.indexOf("\n\n")
      while (end >= 0) {
        const data = buffer
          .slice(0, end)
          .split("\n")
          .find((l) => l.startsWith("data: "))
        buffer = buffer.slice(end + 2)
        if (data !== undefined) {
          const snapshot = JSON.parse(data.slice(6)) as Snapshot
          if (done(snapshot)) return snapshot
        }
        end = buffer.indexOf("\n\n")
      }
    }
  } finally {
    await reader.cancel()
  }
}

const sum = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0)

describe("roles and workspace isolation", () => {
  it("a workspace key sees only its own workspace on the dashboard feed; the admin key sees both", async () => {
    const a = [await ask(GATEWAY_KEY, "a1"), await ask(GATEWAY_KEY, "a2")]
    const b = [await ask(OTHER_KEY, "b1"), await ask(OTHER_KEY, "b2"), await ask(OTHER_KEY, "b3")]
    const has = (s: Snapshot, ids: ReadonlyArray<{ id: string }>) =>
      ids.every((r) => s.ledger.entries.some((e) => e.requestId === r.id))

    const admin = await feedUntil(ADMIN_KEY, (s) => has(s, a) && has(s, b))
    expect(new Set(admin.ledger.entries.map((e) => e.workspaceId))).toEqual(new Set(["team-a", "team-b"]))
    expect(admin.gateway.inFlight).toBeTypeOf("number")
    expect(admin.keys.every((k) => typeof k.leases === "number")).toBe(true)

    const seenByA = await feedUntil(GATEWAY_KEY, (s) => has(s, a))
    expect(seenByA.ledger.entries.every((e) => e.workspaceId === "team-a")).toBe(true)
    expect(seenByA.ledger.entries.some((e) => b.some((r) => r.id === e.requestId))).toBe(false)
    // Shared health without other workspaces' traffic: key status, no leases, no in-flight count.
    expect(seenByA.keys.length).toBeGreaterThan(0)
    expect(seenByA.keys.every((k) => k.leases === undefined)).toBe(true)
    expect(seenByA.gateway.inFlight).toBeUndefined()
    // Its rates count its own requests only (2), where the admin's count all of them (≥ 5).
    expect(sum(seenByA.rates.requests)).toBe(a.length)
    expect(sum(admin.rates.requests)).toBeGreaterThanOrEqual(a.length + b.length)

    const seenByB = await feedUntil(OTHER_KEY, (s) => has(s, b))
    expect(seenByB.ledger.entries.every((e) => e.workspaceId === "team-b")).toBe(true)
  })

  it("/v1/am/state shows a workspace key the shared health only; the admin key its traffic too", async () => {
    const asA = (await (await get("/v1/am/state", GATEWAY_KEY)).json()) as Record<string, any>
    expect(asA.scope).toEqual({ role: "workspace", workspace: "team-a" })
    expect(asA.breakers.length).toBeGreaterThan(0)
    expect(asA.keys.map((k: any) => k.id).sort()).toEqual(["p1", "p2", "s1"])
    expect(asA.keys.some((k: any) => "leases" in k || "failures" in k || "penalty" in k)).toBe(false)
    expect(asA.budget).toBeUndefined()
    expect(asA.gateway.inFlight).toBeUndefined()

    const asAdmin = (await (await get("/v1/am/state", ADMIN_KEY)).json()) as Record<string, any>
    expect(asAdmin.scope).toEqual({ role: "admin" })
    expect(asAdmin.keys.every((k: any) => typeof k.leases === "number")).toBe(true)
    expect(asAdmin.budget).toBeTypeOf("object")
    expect(asAdmin.gateway.inFlight).toBeTypeOf("number")
  })

  it("a workspace key cannot disable a provider key or override a breaker; nothing changes", async () => {
    for (const key of [GATEWAY_KEY, OTHER_KEY]) {
      for (const path of [
        "/v1/am/keys/primary/p1/disable",
        "/v1/am/keys/primary/p1/enable",
        "/v1/am/breakers/primary/open",
        "/v1/am/breakers/primary/close",
        "/v1/am/breakers/primary/reset"
      ]) {
        const r = await post(path, key)
        expect(r.status, path).toBe(403)
        const body = (await r.json()) as { error: { code: string; type: string; message: string } }
        expect(body.error.code).toBe("forbidden")
        expect(body.error.message).toContain("admin")
      }
    }
    const state = (await (await get("/v1/am/state", ADMIN_KEY)).json()) as Record<string, any>
    expect(state.keys.find((k: any) => k.id === "p1").status).not.toBe("disabled")
    expect(state.breakers.every((b: any) => b.override === undefined)).toBe(true)
    // The official client sees a PermissionDeniedError.
    await expect(client(GATEWAY_KEY).post("/am/keys/primary/p1/disable", { body: {} })).rejects.toBeInstanceOf(
      OpenAI.PermissionDeniedError
    )
  })

  it("the admin key disables and enables a provider key", async () => {
    const off = await post("/v1/am/keys/primary/p1/disable", ADMIN_KEY)
    expect(off.status).toBe(200)
    const status = async () =>
      ((await (await get("/v1/am/state", GATEWAY_KEY)).json()) as Record<string, any>).keys.find(
        (k: any) => k.provider === "primary" && k.id === "p1"
      ).status
    expect(await status()).toBe("disabled")
    expect((await post("/v1/am/keys/primary/p1/enable", ADMIN_KEY)).status).toBe(200)
    expect(await status()).not.toBe("disabled")
  })

  it("the admin key forces a breaker open (traffic fails over), closed, and back to its policy", async () => {
    const open = await post("/v1/am/breakers/primary/open", ADMIN_KEY)
    expect(open.status).toBe(200)
    expect(await open.json()).toMatchObject({ breaker: "provider:primary", override: "open", status: "open" })
    const breaker = async () =>
      ((await (await get("/v1/am/state", GATEWAY_KEY)).json()) as Record<string, any>).breakers.find(
        (b: any) => b.name === "provider:primary"
      )
    expect(await breaker()).toMatchObject({ status: "open", override: "open" })
    // Held open: the request skips primary and is answered by the secondary.
    expect((await ask(GATEWAY_KEY, "while primary is held open")).provider).toBe("secondary")

    const closed = await post("/v1/am/breakers/primary/close", ADMIN_KEY)
    expect(await closed.json()).toMatchObject({ override: "closed", status: "closed" })
    expect((await ask(GATEWAY_KEY, "while primary is held closed")).provider).toBe("primary")

    const reset = await post("/v1/am/breakers/primary/reset", ADMIN_KEY)
    expect(await reset.json()).toMatchObject({ override: null, status: "closed" })
    expect((await breaker()).override).toBeUndefined()

    // A model circuit, and unknown targets.
    const model = await post("/v1/am/breakers/primary/open?model=gpt-4o", ADMIN_KEY)
    expect(await model.json()).toMatchObject({ breaker: "model:primary/gpt-4o", status: "open" })
    expect((await post("/v1/am/breakers/primary/reset?model=gpt-4o", ADMIN_KEY)).status).toBe(200)
    expect((await post("/v1/am/breakers/nope/open", ADMIN_KEY)).status).toBe(404)
    expect((await post("/v1/am/breakers/primary/open?model=nope", ADMIN_KEY)).status).toBe(404)
  })

  it("an idempotency key is its workspace's: the same key in another workspace is a new request", async () => {
    const call = (key: string, content: string) =>
      fetch(`${gateway.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "idempotency-key": "shared-k1" },
        body: JSON.stringify({ model: "default", messages: [{ role: "user", content }] })
      })
    const first = await call(GATEWAY_KEY, "team a's question")
    expect(first.status).toBe(200)
    const firstId = first.headers.get("x-am-request-id")
    await first.text()
    // Another body under the same key: team a's own would be 422; team b's is its own request.
    const other = await call(OTHER_KEY, "team b's different question")
    expect(other.status).toBe(200)
    expect(other.headers.get("x-am-idempotent-replay")).toBeNull()
    expect(other.headers.get("x-am-request-id")).not.toBe(firstId)
    await other.text()
  })

  it("a wrong key and a plaintext of nothing are refused; the digest is not itself a key", async () => {
    expect((await get("/v1/am/state", sha(GATEWAY_KEY))).status).toBe(401)
    expect((await get("/v1/am/state", `${ADMIN_KEY}x`)).status).toBe(401)
    expect((await get("/v1/am/state", ADMIN_KEY)).status).toBe(200)
  })
})
