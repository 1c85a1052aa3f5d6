/**
 * Self-verification (`guards.verify`) through `createEngine` against the simulator: two answering
 * upstreams on one route and a third, the judge, whose replies are scripted verdicts. A passing
 * verdict returns the first answer; a failing one retries once on the next candidate and keeps the
 * better; a judge that is down never fails the request (no retry, flagged `unavailable`); a
 * stream on a verified route is refused naming `stream`. The verdict and score reach the answer's
 * resilience, the ledger entry and its `llm_runs` row, and the judge's call is an attempt whose
 * usage is billed. A verifier that names an unknown provider, or an unknown route, fails at start.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { type FaultScript, startUpstream, type Upstream } from "@am/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { type AmEngine, createEngine, InvalidRequestError, loadConfig } from "../src/index.ts"

const FIRST = "Paris is the capital of France."
const SECOND = "The capital of France is Paris, on the Seine."
const verdicts = (...scores: ReadonlyArray<number>): FaultScript => [
  {
    sequence: scores.map((score) => ({
      fault: "ok" as const,
      reply: JSON.stringify({ verdict: score >= 0.5 ? "pass" : "fail", score, reason: "scripted" })
    }))
  }
]

let primary: Upstream
let secondary: Upstream
let judge: Upstream

const config = (dir: string, verify: Record<string, unknown>) => ({
  providers: {
    primary: {
      kind: "openai",
      baseURL: primary.baseURL,
      keys: [{ id: "p1", secret: "sk-verify-primary-00001" }],
      models: [{ name: "gpt-4o" }]
    },
    secondary: {
      kind: "openai",
      baseURL: secondary.baseURL,
      keys: [{ id: "s1", secret: "sk-verify-second-00001" }],
      models: [{ name: "gpt-4o" }]
    },
    judge: {
      kind: "openai",
      baseURL: judge.baseURL,
      keys: [{ id: "j1", secret: "sk-verify-judge-000001" }],
      models: [{ name: "gpt-4o-mini" }]
    }
  },
  routes: {
    default: [
      { provider: "primary", models: ["gpt-4o"] },
      { provider: "secondary", models: ["gpt-4o"] }
    ],
    plain: [{ provider: "primary", models: ["gpt-4o"] }]
  },
  retry: { maxAttempts: 4, providerRetries: 0 },
  guards: { verify },
  ledger: { store: `sqlite:${join(dir, "am.db")}`, spoolDir: join(dir, "spool") },
  telemetry: { logs: false }
})

const VERIFY = {
  enabled: true,
  verifier: { provider: "judge", model: "gpt-4o-mini" },
  threshold: 0.7,
  routes: { default: {} }
}

const ask = (engine: AmEngine, model?: string) =>
  engine.complete({
    ...(model !== undefined ? { model } : {}),
    messages: [{ role: "user", content: "What is the capital of France?" }]
  })

const calls = () => [primary.requests.length, secondary.requests.length, judge.requests.length]

interface Row {
  readonly id: string
  readonly status: string
}
interface Entry {
  readonly requestId: string
  readonly costUsd?: number
  readonly guard?: { readonly verify?: string; readonly verifyScore?: number; readonly verifyRetried?: boolean }
  readonly attempts: ReadonlyArray<{
    readonly provider: string
    readonly verifier?: boolean
    readonly usage?: { readonly inputTokens: number; readonly outputTokens: number }
  }>
}

const withEngine = async (
  scripts: { readonly judge: FaultScript },
  f: (engine: AmEngine) => Promise<void>,
  verify: Record<string, unknown> = VERIFY
): Promise<{ entries: ReadonlyArray<Entry>; rows: ReadonlyArray<Row> }> => {
  primary = await startUpstream({ kind: "openai", reply: FIRST, logBodies: true })
  secondary = await startUpstream({ kind: "openai", reply: SECOND, logBodies: true })
  judge = await startUpstream({ kind: "openai", script: scripts.judge, logBodies: true })
  const dir = mkdtempSync(join(tmpdir(), "am-verify-"))
  try {
    const engine = createEngine(config(dir, verify), { env: {} })
    try {
      await f(engine)
    } finally {
      await engine.close()
    }
    const db = new DatabaseSync(join(dir, "am.db"))
    const entries = (db.prepare("SELECT entry FROM ledger_entries ORDER BY seq").all() as Array<{ entry: string }>).map(
      (r) => JSON.parse(r.entry) as Entry
    )
    const rows = db.prepare("SELECT id, status FROM llm_runs").all() as unknown as ReadonlyArray<Row>
    db.close()
    return { entries, rows }
  } finally {
    await Promise.all([primary.close(), secondary.close(), judge.close()])
    rmSync(dir, { recursive: true, force: true })
  }
}

describe("self-verification judges answers and retries once on the next candidate", () => {
  it("a passing verdict returns the first answer; the judge reads the request and answer; its call is billed", async () => {
    const { entries, rows } = await withEngine({ judge: verdicts(0.9) }, async (engine) => {
      const answer = await ask(engine)
      assert.strictEqual(answer.message.content, FIRST)
      assert.strictEqual(answer.resilience.guard?.verify, "pass")
      assert.strictEqual(answer.resilience.guard?.verifyScore, 0.9)
      assert.deepStrictEqual(calls(), [1, 0, 1])
      const body = judge.requests[0]!.body ?? ""
      assert.include(body, "What is the capital of France?")
      assert.include(body, FIRST)
    })
    assert.strictEqual(entries.length, 1)
    assert.strictEqual(rows.length, 1)
    const [entry] = entries
    assert.strictEqual(entry!.guard?.verify, "pass")
    assert.strictEqual(entry!.guard?.verifyScore, 0.9)
    const judged = entry!.attempts.filter((a) => a.verifier === true)
    assert.deepStrictEqual(
      judged.map((a) => a.provider),
      ["judge"]
    )
    assert.isAbove(judged[0]!.usage?.outputTokens ?? 0, 0)
    // gpt-4o-mini is priced: the judgement adds to the request's cost.
    assert.isAbove(entry!.costUsd ?? 0, 0)
  })

  it("a failing verdict retries on the next candidate; the better-scored retry is returned, flagged retried", async () => {
    const { entries } = await withEngine({ judge: verdicts(0.2, 0.85) }, async (engine) => {
      const answer = await ask(engine)
      assert.strictEqual(answer.message.content, SECOND)
      assert.deepStrictEqual(
        answer.resilience.guard && {
          verify: answer.resilience.guard.verify,
          score: answer.resilience.guard.verifyScore,
          retried: answer.resilience.guard.verifyRetried
        },
        { verify: "pass", score: 0.85, retried: true }
      )
      assert.deepStrictEqual(calls(), [1, 1, 2])
      // The second judgement reads the retry's answer.
      assert.include(judge.requests[1]!.body ?? "", SECOND)
    })
    const [entry] = entries
    assert.strictEqual(entries.length, 1)
    assert.strictEqual(entry!.guard?.verifyRetried, true)
    assert.deepStrictEqual(
      entry!.attempts.map((a) => [a.provider, a.verifier === true]),
      [
        ["primary", false],
        ["judge", true],
        ["secondary", false],
        ["judge", true]
      ]
    )
  })

  it("a retry the judge scores lower keeps the first answer, flagged fail", async () => {
    await withEngine({ judge: verdicts(0.4, 0.1) }, async (engine) => {
      const answer = await ask(engine)
      assert.strictEqual(answer.message.content, FIRST)
      assert.strictEqual(answer.resilience.guard?.verify, "fail")
      assert.strictEqual(answer.resilience.guard?.verifyScore, 0.4)
      assert.deepStrictEqual(calls(), [1, 1, 2])
    })
  })

  it("a judge that is down never fails the request: no retry, flagged unavailable", async () => {
    const { entries, rows } = await withEngine({ judge: [{ sequence: [500], repeat: true }] }, async (engine) => {
      const answer = await ask(engine)
      assert.strictEqual(answer.message.content, FIRST)
      assert.strictEqual(answer.resilience.guard?.verify, "unavailable")
      assert.strictEqual(secondary.requests.length, 0)
    })
    assert.strictEqual(entries.length, 1)
    assert.strictEqual(rows.length, 1)
    assert.strictEqual(entries[0]!.guard?.verify, "unavailable")
  })

  it("a route not listed is not verified; a stream on a verified route is refused naming stream", async () => {
    const { entries, rows } = await withEngine({ judge: verdicts(0.9) }, async (engine) => {
      const plain = await ask(engine, "plain")
      assert.strictEqual(plain.resilience.guard?.verify, undefined)
      assert.strictEqual(judge.requests.length, 0)
      const error = await (async () => {
        for await (const _ of engine.stream({ messages: [{ role: "user", content: "stream me" }] })) {
          // never reached
        }
      })().catch((e: unknown) => e)
      assert.instanceOf(error, InvalidRequestError)
      assert.strictEqual((error as InvalidRequestError).field, "stream")
      assert.deepStrictEqual(calls(), [1, 0, 0])
    })
    // The refused stream was accepted as a request: it has its entry and row too.
    assert.strictEqual(entries.length, 2)
    assert.strictEqual(rows.length, 2)
  })
})

describe("guards.verify is checked at start", () => {
  const base = {
    providers: {
      primary: { kind: "openai", keys: [{ id: "p1", secret: "sk-x-000000000001" }], models: [{ name: "gpt-4o" }] }
    },
    routes: { default: [{ provider: "primary", models: ["gpt-4o"] }] }
  }
  const pathOf = (verify: Record<string, unknown>) =>
    Effect.runPromise(Effect.flip(loadConfig({ ...base, guards: { verify } }, { env: {} })))

  it("an unknown verifier provider, an unlisted model, an unknown route or no verifier names its field", async () => {
    const unknownProvider = await pathOf({ enabled: true, verifier: { provider: "judge", model: "m" } })
    assert.deepStrictEqual(unknownProvider.path, "guards.verify.verifier.provider")
    const unlisted = await pathOf({ enabled: true, verifier: { provider: "primary", model: "gpt-5" } })
    assert.deepStrictEqual(unlisted.path, "guards.verify.verifier.model")
    const route = await pathOf({
      enabled: true,
      verifier: { provider: "primary", model: "gpt-4o" },
      routes: { defualt: {} }
    })
    assert.deepStrictEqual(route.path, "guards.verify.routes.defualt")
    const none = await pathOf({ enabled: true })
    assert.deepStrictEqual(none.path, "guards.verify.verifier")
    const threshold = await pathOf({ enabled: true, verifier: { provider: "primary", model: "gpt-4o" }, threshold: 2 })
    assert.deepStrictEqual(threshold.path, "guards.verify.threshold")
  })
})
