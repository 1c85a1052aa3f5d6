/**
 * 3 upstreams × 2 models × 3 keys in one process, each (upstream, model, key) with its own
 * fault sequence: interleaved traffic through the official SDKs sees exactly its own
 * sequence, and each upstream's request log proves which key, model and prompt arrived.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import type { FaultRule, Upstream, UpstreamKind } from "../src/index.ts"
import { startUpstreams } from "../src/index.ts"
import type { Outcome } from "./support/sdks.ts"
import { callAnthropic, callGemini, callOpenAI } from "./support/sdks.ts"

const MODELS: Record<UpstreamKind, readonly [string, string]> = {
  openai: ["gpt-4o-mini", "gpt-4o"],
  anthropic: ["claude-sonnet-4-6", "claude-haiku-4-5"],
  gemini: ["gemini-2.5-flash", "gemini-2.5-pro"]
}
const KEYS: Record<UpstreamKind, readonly [string, string, string]> = {
  openai: ["sk-openai-key-a-000000", "sk-openai-key-b-000000", "sk-openai-key-c-000000"],
  anthropic: ["sk-ant-key-a-00000000", "sk-ant-key-b-00000000", "sk-ant-key-c-00000000"],
  gemini: ["AIza-key-a-000000000000", "AIza-key-b-000000000000", "AIza-key-c-000000000000"]
}
const KINDS = ["openai", "anthropic", "gemini"] as const

/** Statuses every SDK turns into an error with that status. */
const STATUSES = [400, 403, 404, 409, 429, 500, 503, 504] as const

interface Target {
  readonly kind: UpstreamKind
  readonly model: string
  readonly key: string
  /** Expected HTTP status per request: its own two faults, then 200 forever. */
  readonly expected: ReadonlyArray<number>
}

const targets: Array<Target> = []
KINDS.forEach((kind, k) => {
  MODELS[kind].forEach((model, m) => {
    KEYS[kind].forEach((key, i) => {
      const n = k * 6 + m * 3 + i
      // Distinct per target: a different pair of statuses, sometimes with an "ok" between.
      const a = STATUSES[n % STATUSES.length]!
      const b = STATUSES[(n * 3 + 1) % STATUSES.length]!
      targets.push({ kind, model, key, expected: n % 2 === 0 ? [a, b, 200, 200] : [a, 200, b, 200] })
    })
  })
})

const scriptFor = (kind: UpstreamKind): ReadonlyArray<FaultRule> =>
  targets
    .filter((t) => t.kind === kind)
    .map((t) => ({ match: { model: t.model, key: t.key }, sequence: t.expected.map((s) => (s === 200 ? "ok" : s)) }))

const statusOf = (o: Outcome): number => (o.error === undefined ? 200 : Number(o.error.status))

describe("3 upstreams × 2 models × 3 keys with independent scripts", () => {
  let upstreams: Record<UpstreamKind, Upstream>
  beforeAll(async () => {
    const [openai, anthropic, gemini] = await startUpstreams(
      KINDS.map((kind) => ({ kind, models: MODELS[kind], keys: KEYS[kind], script: scriptFor(kind) }))
    )
    upstreams = { openai: openai!, anthropic: anthropic!, gemini: gemini! }
  })
  afterAll(() => Promise.all(Object.values(upstreams).map((u) => u.close())))

  it("each (model, key) sees only its own sequence, whatever the interleaving", async () => {
    const seen = new Map<Target, Array<number>>(targets.map((t) => [t, []]))
    const call = (t: Target, round: number) => {
      const o = { model: t.model, key: t.key, prompt: `${t.model}/${t.key}#${round}` }
      return t.kind === "openai"
        ? callOpenAI(upstreams.openai, o)
        : t.kind === "anthropic"
          ? callAnthropic(upstreams.anthropic, o)
          : callGemini(upstreams.gemini, o)
    }
    for (let round = 0; round < 4; round++) {
      // Each round: all 18 targets concurrently, in a different order.
      const order = round % 2 === 0 ? targets : [...targets].reverse()
      const outcomes = await Promise.all(order.map((t) => call(t, round)))
      order.forEach((t, i) => {
        seen.get(t)!.push(statusOf(outcomes[i]!))
      })
    }
    for (const t of targets) assert.deepStrictEqual(seen.get(t), [...t.expected], `${t.kind} ${t.model} ${t.key}`)

    for (const kind of KINDS) {
      const log = upstreams[kind].requests
      assert.strictEqual(log.length, 6 * 4, `${kind} saw only its own traffic`)
      for (const t of targets.filter((x) => x.kind === kind)) {
        const mine = log.filter((r) => r.model === t.model && r.key === t.key)
        assert.deepStrictEqual(
          [...mine].sort((x, y) => x.prompt.localeCompare(y.prompt)).map((r) => r.prompt),
          [0, 1, 2, 3].map((r) => `${t.model}/${t.key}#${r}`)
        )
        // In arrival order, the log's statuses are the target's sequence.
        assert.deepStrictEqual(
          mine.map((r) => r.status),
          [...t.expected]
        )
      }
    }
  })

  it("a model or key the upstream was not given gets that provider's own rejection", async () => {
    const wrongModel = await callOpenAI(upstreams.openai, { model: "gpt-9", key: KEYS.openai[0] })
    assert.strictEqual(wrongModel.error.status, 404)
    assert.strictEqual(wrongModel.error.code, "model_not_found")
    const wrongKey = await callAnthropic(upstreams.anthropic, { model: MODELS.anthropic[0], key: "sk-ant-stolen" })
    assert.strictEqual(wrongKey.error.status, 401)
    assert.strictEqual(wrongKey.error.type, "authentication_error")
    const geminiKey = await callGemini(upstreams.gemini, { model: MODELS.gemini[0], key: "AIza-unknown" })
    assert.strictEqual(geminiKey.error.status, 400)
    assert.include(geminiKey.error.message, "API_KEY_INVALID")
    assert.strictEqual(upstreams.gemini.requests.at(-1)!.fault, "invalid_key")
  })

  it("reset() clears the log and restarts every sequence", async () => {
    const t = targets[0]!
    upstreams.openai.reset()
    assert.strictEqual(upstreams.openai.requests.length, 0)
    const o = await callOpenAI(upstreams.openai, { model: t.model, key: t.key })
    assert.strictEqual(statusOf(o), t.expected[0])
    assert.strictEqual(upstreams.openai.requests.length, 1)
  })
})
