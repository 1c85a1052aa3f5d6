/**
 * The fault-script semantics: first matching rule wins, a sequence is consumed one step per
 * request and then answers "ok" (or repeats, or falls through to its random mix), cursors
 * can be per target, and seeded random mixes are reproducible — same seed, same faults.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import type { FaultScript, Upstream } from "../src/index.ts"
import { FaultNames, startUpstream } from "../src/index.ts"

const post = async (u: Upstream, model = "gpt-4o-mini", key = "sk-k1"): Promise<number> => {
  const r = await fetch(`${u.baseURL}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] })
  })
  await r.arrayBuffer()
  return r.status
}

const statuses = async (u: Upstream, n: number, model?: string, key?: string): Promise<Array<number>> => {
  const out: Array<number> = []
  for (let i = 0; i < n; i++) out.push(await post(u, model, key))
  return out
}

const mix = (seed?: number): FaultScript => [
  { random: { rate: 0.5, faults: [429, 500, "overloaded"], ...(seed !== undefined ? { seed } : {}) } }
]

describe("fault scripts", () => {
  let u: Upstream
  beforeAll(async () => {
    u = await startUpstream({ kind: "openai" })
  })
  afterAll(() => u.close())

  it("a sequence is consumed one step per request, then answers ok", async () => {
    u.setScript([{ sequence: [503, 503, "ok", "rate_limit"] }])
    assert.deepStrictEqual(await statuses(u, 6), [503, 503, 200, 429, 200, 200])
  })

  it("repeat: true starts the sequence again", async () => {
    u.setScript([{ sequence: [500, "ok"], repeat: true }])
    assert.deepStrictEqual(await statuses(u, 5), [500, 200, 500, 200, 500])
  })

  it("the first matching rule wins; unmatched requests answer ok", async () => {
    u.setScript([
      { match: { model: "gpt-4o", key: "sk-k2" }, sequence: [409], repeat: true },
      { match: { model: "gpt-4o" }, sequence: [404], repeat: true },
      { match: { key: "sk-k3" }, sequence: [403], repeat: true }
    ])
    assert.strictEqual(await post(u, "gpt-4o", "sk-k2"), 409)
    assert.strictEqual(await post(u, "gpt-4o", "sk-k3"), 404)
    assert.strictEqual(await post(u, "gpt-4o-mini", "sk-k3"), 403)
    assert.strictEqual(await post(u, "gpt-4o-mini", "sk-k1"), 200)
  })

  it("one cursor per rule by default, one per (model, key) with perTarget", async () => {
    u.setScript([{ sequence: [429, 429] }])
    assert.deepStrictEqual([await post(u, "m", "a"), await post(u, "m", "b"), await post(u, "m", "a")], [429, 429, 200])
    u.setScript([{ sequence: [429, 429], perTarget: true }])
    assert.deepStrictEqual(
      [await post(u, "m", "a"), await post(u, "m", "b"), await post(u, "m", "a"), await post(u, "m", "a")],
      [429, 429, 429, 200]
    )
  })

  it("a sequence then a random mix: the sequence first, the mix after", async () => {
    u.setScript([{ sequence: [418, 418], random: { rate: 1, faults: [500] } }])
    assert.deepStrictEqual(await statuses(u, 4), [418, 418, 500, 500])
  })

  it("the same seed gives the same faults, another seed others; reset() replays", async () => {
    u.setScript(mix(42))
    const first = await statuses(u, 60)
    u.setScript(mix(42))
    const again = await statuses(u, 60)
    assert.deepStrictEqual(again, first)
    u.reset()
    assert.deepStrictEqual(await statuses(u, 60), first)

    u.setScript(mix(43))
    assert.notDeepEqual(await statuses(u, 60), first)

    const failures = first.filter((s) => s !== 200).length
    assert.isAbove(failures, 15)
    assert.isBelow(failures, 45)
    assert.includeMembers([...new Set(first)], [200, 429, 500, 503])
  })

  it("a rule without its own seed uses the upstream's seed", async () => {
    const a = await startUpstream({ kind: "openai", seed: 7, script: mix() })
    const b = await startUpstream({ kind: "openai", seed: 7, script: mix() })
    const c = await startUpstream({ kind: "openai", seed: 8, script: mix() })
    try {
      const sa = await statuses(a, 40)
      assert.deepStrictEqual(await statuses(b, 40), sa)
      assert.notDeepEqual(await statuses(c, 40), sa)
    } finally {
      await Promise.all([a.close(), b.close(), c.close()])
    }
  })

  it("rate 0 never fails; unknown faults and bad rates are rejected up front", async () => {
    u.setScript([{ random: { rate: 0, faults: [500] } }])
    assert.deepStrictEqual([...new Set(await statuses(u, 20))], [200])
    assert.throws(() => u.setScript([{ sequence: ["nope" as never] }]), /unknown fault "nope"/)
    assert.throws(() => u.setScript([{ random: { rate: 2, faults: [500] } }]), /rate/)
    const started = await startUpstream({ kind: "openai", script: [{ sequence: [{ fault: "bogus" as never }] }] }).then(
      (x) => x.close().then(() => "started"),
      (e: Error) => e.message
    )
    assert.strictEqual(started, 'unknown fault "bogus"')
  })

  it("every fault name is accepted and logged by every provider", async () => {
    const upstreams = await Promise.all(
      (["openai", "anthropic", "gemini"] as const).map((kind) => startUpstream({ kind }))
    )
    const paths = {
      openai: "/v1/chat/completions",
      anthropic: "/v1/messages",
      gemini: "/v1beta/models/g:generateContent"
    }
    const body = JSON.stringify({
      model: "m",
      max_tokens: 5,
      messages: [{ role: "user", content: "hi" }],
      contents: [{ role: "user", parts: [{ text: "hi" }] }]
    })
    try {
      for (const up of upstreams) {
        up.setScript([{ sequence: FaultNames.map((fault) => ({ fault, stallMs: 1, latencyMs: 0 })) }])
        for (const _ of FaultNames) {
          await fetch(`${up.origin}${paths[up.kind]}`, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: "Bearer k", "x-goog-api-key": "k" },
            body,
            signal: AbortSignal.timeout(300)
          })
            .then((r) => r.arrayBuffer())
            .catch(() => undefined)
        }
        assert.deepStrictEqual(
          up.requests.map((r) => r.fault),
          [...FaultNames],
          up.kind
        )
      }
    } finally {
      await Promise.all(upstreams.map((x) => x.close()))
    }
  })
})
