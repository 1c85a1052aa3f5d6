/**
 * Bad input never hurts the gateway: 1,000 generated malformed requests — invalid JSON, wrong
 * types, missing fields, bodies over the limit, wrong content types, unknown routes and
 * methods, bad auth — each get a 4xx with OpenAI's JSON error body; none gets a 5xx, none
 * reaches a provider, and the server stays ready.
 */
import type { Upstream } from "@am/testkit"
import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { GATEWAY_KEY, type RunningGateway, startGateway, twoProviders } from "./support/Harness.ts"

const LIMIT = 64 * 1024
let gateway: RunningGateway
let upstreams: ReadonlyArray<Upstream>

beforeAll(async () => {
  const made = await twoProviders()
  upstreams = made.upstreams
  gateway = await startGateway(made.raw, { maxBodyBytes: LIMIT })
})
afterAll(async () => {
  await gateway.close()
  await Promise.all(upstreams.map((u) => u.close()))
})

interface Bad {
  readonly kind: string
  readonly method: string
  readonly path: string
  readonly headers: Record<string, string>
  readonly body?: string
}

const auth = { authorization: `Bearer ${GATEWAY_KEY}`, "content-type": "application/json" }
const valid = { model: "default", messages: [{ role: "user", content: "hi" }] }
const json = (v: unknown) => JSON.stringify(v)

const anyJsonButObject = fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant(null), fc.array(fc.integer()))
const wrongType = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string()), fc.object())

const badRequest: fc.Arbitrary<Bad> = fc.oneof(
  // Not JSON at all.
  fc
    .string({ minLength: 1 })
    .filter((s) => {
      try {
        JSON.parse(s)
        return false
      } catch {
        return true
      }
    })
    .map((body) => ({ kind: "invalid-json", method: "POST", path: "/v1/chat/completions", headers: auth, body })),
  // Truncated JSON.
  fc.integer({ min: 1, max: json(valid).length - 1 }).map((n) => ({
    kind: "truncated-json",
    method: "POST",
    path: "/v1/chat/completions",
    headers: auth,
    body: json(valid).slice(0, n)
  })),
  // JSON that isn't an object.
  anyJsonButObject.map((v) => ({
    kind: "not-object",
    method: "POST",
    path: "/v1/chat/completions",
    headers: auth,
    body: json(v)
  })),
  // A field of the wrong type.
  fc
    .tuple(
      fc.constantFrom("model", "messages", "temperature", "stream", "max_tokens", "tools", "stop", "n", "top_p"),
      wrongType
    )
    // Drop the values that happen to be valid (null for nullable fields, a string list for stop, no tools).
    .filter(
      ([k, v]) =>
        !(k === "stream" && typeof v === "boolean") &&
        !(v === null && ["stream", "temperature", "max_tokens", "stop", "n", "top_p"].includes(k)) &&
        !(Array.isArray(v) && (k === "stop" || (k === "tools" && v.length === 0)))
    )
    .map(([k, v]) => ({
      kind: `wrong-type:${k}`,
      method: "POST",
      path: "/v1/chat/completions",
      headers: auth,
      body: json({ ...valid, [k]: v })
    })),
  // A message of the wrong shape.
  fc
    .oneof(
      fc.record({
        role: fc.string().filter((r) => !["system", "developer", "user", "assistant", "tool"].includes(r)),
        content: fc.string()
      }),
      fc.record({
        role: fc.constant("user"),
        content: wrongType.filter((v) => typeof v !== "string" && !Array.isArray(v))
      }),
      fc.record({ role: fc.constant("tool"), content: fc.string() }),
      fc.constant({ content: "no role" })
    )
    .map((m) => ({
      kind: "bad-message",
      method: "POST",
      path: "/v1/chat/completions",
      headers: auth,
      body: json({ model: "default", messages: [m] })
    })),
  // Missing required fields.
  fc
    .constantFrom({ messages: valid.messages }, { model: "default" }, { model: "default", messages: [] }, {})
    .map((b) => ({
      kind: "missing-field",
      method: "POST",
      path: "/v1/chat/completions",
      headers: auth,
      body: json(b)
    })),
  // Out-of-range values the engine rejects.
  fc
    .oneof(
      fc.double({ min: 2.01, max: 1e6, noNaN: true }).map((t) => ({ temperature: t })),
      fc.integer({ max: 0 }).map((m) => ({ max_tokens: m })),
      fc.integer({ min: 2, max: 10 }).map((n) => ({ n }))
    )
    .map((extra) => ({
      kind: "out-of-range",
      method: "POST",
      path: "/v1/chat/completions",
      headers: auth,
      body: json({ ...valid, ...extra })
    })),
  // Bodies over the limit.
  fc.integer({ min: LIMIT + 1, max: LIMIT * 4 }).map((n) => ({
    kind: "too-large",
    method: "POST",
    path: "/v1/chat/completions",
    headers: auth,
    body: json({ ...valid, messages: [{ role: "user", content: "x".repeat(n) }] })
  })),
  // Wrong content type.
  fc
    .constantFrom(
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/xml"
    )
    .map((t) => ({
      kind: "content-type",
      method: "POST",
      path: "/v1/chat/completions",
      headers: { ...auth, "content-type": t },
      body: json(valid)
    })),
  // Unknown routes and wrong methods.
  fc.webPath().map((p) => ({ kind: "unknown-route", method: "GET", path: `/nope${p}`, headers: auth })),
  fc
    .constantFrom("GET", "PUT", "DELETE", "PATCH")
    .map((method) => ({ kind: "wrong-method", method, path: "/v1/chat/completions", headers: auth })),
  // Bad auth.
  fc
    .oneof(
      fc.constant(undefined),
      fc.string().map((s) => `Bearer ${s.replace(/[\r\n]/g, "")}x`),
      fc.constantFrom("Basic dXNlcjpwYXNz", "Bearer", "bearer  ", GATEWAY_KEY)
    )
    .map((a) => ({
      kind: "bad-auth",
      method: "POST",
      path: "/v1/chat/completions",
      headers: { "content-type": "application/json", ...(a !== undefined ? { authorization: a } : {}) },
      body: json(valid)
    })),
  // Bad Idempotency-Key and deadline headers.
  fc
    .constantFrom<ReadonlyArray<[string, string]>>(
      [["idempotency-key", "x".repeat(300)]],
      [["x-am-deadline-ms", "-5"]],
      [["x-am-deadline-ms", "soon"]]
    )
    .map((h) => ({
      kind: "bad-header",
      method: "POST",
      path: "/v1/chat/completions",
      headers: { ...auth, ...Object.fromEntries(h) },
      body: json(valid)
    }))
)

const send = async (bad: Bad) => {
  const response = await fetch(gateway.url + bad.path, {
    method: bad.method,
    headers: bad.headers,
    ...(bad.body !== undefined ? { body: bad.body } : {})
  })
  const text = await response.text()
  return { status: response.status, contentType: response.headers.get("content-type") ?? "", text }
}

describe("malformed requests", () => {
  it("get 4xx JSON errors, never a 5xx, never a provider call, and the server stays ready", async () => {
    const cases = fc.sample(badRequest, { numRuns: 1000, seed: 20261122 })
    const results: Array<{ bad: Bad; status: number; code: unknown }> = []
    // A bounded number of concurrent clients, as a real burst would be.
    const queue = [...cases]
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let bad = queue.shift(); bad !== undefined; bad = queue.shift()) {
          const r = await send(bad)
          expect(r.contentType, `${bad.kind}: ${r.text.slice(0, 200)}`).toContain("application/json")
          const parsed = JSON.parse(r.text) as { error?: { code?: unknown; message?: unknown } }
          expect(typeof parsed.error?.message, bad.kind).toBe("string")
          results.push({ bad, status: r.status, code: parsed.error?.code })
        }
      })
    )
    expect(results).toHaveLength(1000)
    const wrong = results.filter((r) => r.status < 400 || r.status >= 500)
    expect(wrong.map((r) => `${r.bad.kind} → ${r.status}`)).toEqual([])
    // Each kind of mistake gets its own code.
    const codeOf = (kind: string) => new Set(results.filter((r) => r.bad.kind.startsWith(kind)).map((r) => r.code))
    expect(codeOf("bad-auth")).toEqual(new Set(["unauthorized"]))
    expect(codeOf("too-large")).toEqual(new Set(["request_too_large"]))
    expect(codeOf("content-type")).toEqual(new Set(["unsupported_media_type"]))
    expect(codeOf("unknown-route")).toEqual(new Set(["not_found"]))
    expect(codeOf("wrong-method")).toEqual(new Set(["method_not_allowed"]))
    expect(codeOf("invalid-json")).toEqual(new Set(["invalid_request"]))
    expect(upstreams[0]!.requests.length + upstreams[1]!.requests.length).toBe(0)
    const ready = await fetch(`${gateway.url}/readyz`)
    expect(ready.status).toBe(200)
    const ok = await fetch(`${gateway.url}/v1/chat/completions`, { method: "POST", headers: auth, body: json(valid) })
    expect(ok.status).toBe(200)
  })
})
