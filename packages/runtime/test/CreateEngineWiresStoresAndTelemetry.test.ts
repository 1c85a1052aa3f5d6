/**
 * createEngine honours the store and telemetry fields as the gateway does, because both run on
 * layerEngine: `ledger.store: "sqlite:PATH"` writes the ledger chain and the `llm_runs` rows to
 * that file (and the real `am ledger verify` passes on it), `telemetry.logs: true` prints one JSON
 * line per attempt, and `state.store: "redis://…"` shares key health between two instances.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { startUpstream, type Upstream } from "@am/testkit"
import { Effect } from "effect"
import { afterEach, assert, beforeEach, describe, it } from "vitest"
import { createEngine } from "../src/index.ts"
import { baseConfig, env, SECRETS } from "./support/Harness.ts"
import { cleanupAfter, redisUrl, skipRedis, uniquePrefix } from "./support/Redis.ts"

const CLI_MAIN = new URL("../../../apps/cli/src/main.ts", import.meta.url).pathname

/** Runs the `am` CLI from source (as its bin does after a build) and resolves with its exit code and output. */
const am = (args: ReadonlyArray<string>) =>
  new Promise<{ code: number | null; out: string }>((resolve, reject) => {
    const proc = spawn(process.execPath, ["--conditions=@am/source", "--no-warnings", CLI_MAIN, ...args], {
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    proc.stdout.on("data", (d) => {
      out += d
    })
    proc.stderr.on("data", (d) => {
      out += d
    })
    proc.on("error", reject)
    proc.on("exit", (code) => resolve({ code, out }))
  })

let openai: Upstream
let anthropic: Upstream
let gemini: Upstream
let dir: string

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "am-create-engine-"))
  openai = await startUpstream({ kind: "openai", keys: [SECRETS.k1, SECRETS.k2] })
  anthropic = await startUpstream({ kind: "anthropic", keys: [SECRETS.a1] })
  gemini = await startUpstream({ kind: "gemini", keys: [SECRETS.g1] })
})

afterEach(async () => {
  await Promise.all([openai.close(), anthropic.close(), gemini.close()])
  rmSync(dir, { recursive: true, force: true })
})

const raw = () => baseConfig({ openai: openai.baseURL, anthropic: anthropic.baseURL, gemini: gemini.baseURL })
const user = (content: string) => ({ messages: [{ role: "user" as const, content }] })

describe("createEngine wires the stores and telemetry the config names", () => {
  it("ledger.store sqlite:PATH: ledger entries and llm_runs rows land in the file, and `am ledger verify` passes on it", async () => {
    const file = join(dir, "am.db")
    const store = `sqlite:${file}`
    const engine = createEngine(
      { ...raw(), ledger: { store, spoolDir: join(dir, "spool") } },
      { env, workspace: "default" }
    )
    let answers: Array<Awaited<ReturnType<typeof engine.complete>>>
    try {
      answers = [
        await engine.complete(user("first, no workspace")),
        await engine.complete({ ...user("second, a workspace of its own"), metadata: { workspaceId: "team-x" } }),
        await engine.complete(user("third, no workspace"))
      ]
    } finally {
      await engine.close()
    }
    const ids = answers.map((a) => a.resilience.requestId)

    const db = new DatabaseSync(file, { readOnly: true })
    try {
      const entries = db
        .prepare("SELECT seq, request_id, workspace_id FROM ledger_entries ORDER BY seq")
        .all() as Array<{
        seq: number
        request_id: string
        workspace_id: string | null
      }>
      assert.deepStrictEqual(
        entries.map((e) => e.request_id),
        ids,
        "one ledger entry per request, in order"
      )
      const runs = db
        .prepare("SELECT id, workspace_id, status, provider, model, input_tokens FROM llm_runs")
        .all() as Array<Record<string, unknown>>
      const byId = new Map(runs.map((r) => [r.id as string, r] as const))
      assert.strictEqual(runs.length, 3, JSON.stringify(runs))
      // A facade request naming no workspace is recorded under createEngine's `workspace` ("default").
      assert.strictEqual(byId.get(ids[0]!)?.workspace_id, "default")
      assert.strictEqual(byId.get(ids[1]!)?.workspace_id, "team-x")
      assert.strictEqual(byId.get(ids[2]!)?.workspace_id, "default")
      for (const id of ids) {
        const run = byId.get(id)!
        assert.strictEqual(run.status, "SUCCEEDED")
        assert.strictEqual(run.provider, "primary")
        assert.strictEqual(run.model, "gpt-4o")
        assert.isAbove(Number(run.input_tokens), 0)
      }
    } finally {
      db.close()
    }

    // The real CLI, reading the file the facade wrote.
    const verify = await am(["--store", store, "ledger", "verify"])
    assert.strictEqual(verify.code, 0, verify.out)
    assert.include(verify.out, "ledger chain intact: 3 entries")
  }, 60_000)

  it("telemetry.logs: true prints one JSON line per attempt on stdout", async () => {
    // The primary's first call fails (503), so there is a failure line and a success line.
    openai.setScript([{ sequence: [503] }])
    const lines: Array<string> = []
    const original = console.log
    console.log = (...args: Array<unknown>) => {
      lines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "))
    }
    let answer: Awaited<ReturnType<ReturnType<typeof createEngine>["complete"]>>
    try {
      const engine = createEngine(
        { ...raw(), retry: { ...raw().retry, providerRetries: 0 }, telemetry: { logs: true } },
        { env }
      )
      try {
        answer = await engine.complete(user("log me"))
      } finally {
        await engine.close() // drains the bus: every accepted event reached the log subscriber
      }
    } finally {
      console.log = original
    }
    const json = lines.flatMap((l) => {
      try {
        const parsed = JSON.parse(l) as Record<string, unknown>
        return parsed.request_id === answer.resilience.requestId ? [parsed] : []
      } catch {
        return []
      }
    })
    assert.deepStrictEqual(
      json.map((l) => `${l.event}:${l.provider}/${l.model}:${l.key_id}`),
      answer.resilience.attempts.map(
        (a) =>
          `${a.outcome === "success" ? "api.call.success" : "api.call.failure"}:${a.provider}/${a.model}:${a.keyId}`
      ),
      lines.join("\n")
    )
    assert.strictEqual(json.length, 2)
    assert.strictEqual(json[0]!.level, "warn")
    assert.strictEqual(json[0]!.class, answer.resilience.attempts[0]!.class)
    assert.strictEqual(json[1]!.level, "info")
    for (const l of json) assert.isString(l.key_fingerprint)
    for (const secret of Object.values(SECRETS)) assert.notInclude(lines.join("\n"), secret)
  }, 60_000)

  describe.skipIf(skipRedis)("state.store redis://", () => {
    it("two createEngine instances share a disabled key through Redis", async () => {
      const prefix = uniquePrefix()
      // The upstream accepts only k2: k1 is a dead key (401), disabled by the first instance.
      await openai.close()
      openai = await startUpstream({ kind: "openai", keys: [SECRETS.k2] })
      const config = { ...raw(), state: { store: redisUrl, prefix } }
      const a = createEngine(config, { env })
      const b = createEngine(config, { env })
      try {
        const first = await a.complete(user("through replica a"))
        assert.deepStrictEqual(
          first.resilience.attempts.map((x) => `${x.keyId}:${x.outcome}:${x.class ?? ""}`),
          ["k1:failure:auth_invalid", "k2:success:"],
          "instance a meets the dead key and disables it"
        )
        const k1 = (await b.state()).keys.find((k) => k.provider === "primary" && k.id === "k1")
        assert.strictEqual(k1?.status, "disabled", "instance b sees the key disabled through Redis")
        const before = openai.requests.length
        for (let i = 0; i < 3; i++) {
          const answer = await b.complete(user(`through replica b ${i}`))
          assert.deepStrictEqual(
            answer.resilience.attempts.map((x) => x.keyId),
            ["k2"]
          )
        }
        assert.deepStrictEqual(
          openai.requests.slice(before).map((r) => r.key),
          [SECRETS.k2, SECRETS.k2, SECRETS.k2],
          "instance b never sends the dead key"
        )
      } finally {
        await Promise.all([a.close(), b.close()])
        await Effect.runPromise(Effect.scoped(cleanupAfter(prefix)))
      }
    }, 60_000)
  })
})
