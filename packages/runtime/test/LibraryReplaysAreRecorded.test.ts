/**
 * The library (`createEngine`) records a replayed request as the gateway does: a repeat of a
 * finished `idempotencyKey` is answered from the first (no call) and gets its own ledger entry
 * (`replayed`, pointing at the original, cost 0) and its own `llm_runs` row (`replay_of` the
 * original, cost 0) on a SQLite `ledger.store` — so the usage report counts 3 of 3 requests.
 */
import { rmSync } from "node:fs"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { startUpstream } from "@am/testkit"
import { assert, describe, it } from "@effect/vitest"
import { createEngine } from "../src/index.ts"

describe("createEngine: a replay is recorded", () => {
  it("3 requests under one key: one call, three ledger entries, three llm_runs rows", async () => {
    const upstream = await startUpstream({ kind: "openai", latencyMs: 1 })
    const dir = mkdtempSync(join(tmpdir(), "am-lib-replay-"))
    try {
      const engine = createEngine({
        providers: {
          primary: {
            kind: "openai",
            baseURL: upstream.baseURL,
            keys: [{ id: "k1", secret: "sk-library-replay-000001" }],
            models: [{ name: "gpt-4o" }]
          }
        },
        routes: { default: [{ provider: "primary", models: ["gpt-4o"] }] },
        ledger: { store: `sqlite:${join(dir, "am.db")}`, spoolDir: join(dir, "spool") },
        telemetry: { logs: false }
      })
      const ask = () =>
        engine.complete({
          messages: [{ role: "user", content: "count me" }],
          idempotencyKey: "order-1",
          metadata: { workspaceId: "team-a" }
        })
      const first = await ask()
      const answers = [first, await ask(), await ask()]
      await engine.close() // drains the ledger spool and the run journal
      assert.strictEqual(upstream.requests.length, 1)
      assert.deepStrictEqual(
        answers.map((a) => a.resilience.replayed === true),
        [false, true, true]
      )
      const db = new DatabaseSync(join(dir, "am.db"))
      const rows = db
        .prepare(
          "SELECT id, replay_of, cost_usd, workspace_id FROM llm_runs WHERE idempotency_key = ? ORDER BY replay_of"
        )
        .all("order-1") as Array<{
        id: string
        replay_of: string | null
        cost_usd: number | null
        workspace_id: string
      }>
      const entries = (db.prepare("SELECT entry FROM ledger_entries").all() as Array<{ entry: string }>).map(
        (r) =>
          JSON.parse(r.entry) as { requestId: string; replayed?: boolean; originalRequestId?: string; costUsd?: number }
      )
      db.close()
      const original = first.resilience.requestId
      assert.strictEqual(rows.length, 3)
      assert.deepStrictEqual(
        rows.map((r) => [r.replay_of, r.workspace_id]),
        [
          [null, "team-a"],
          [original, "team-a"],
          [original, "team-a"]
        ]
      )
      assert.deepStrictEqual(
        rows.filter((r) => r.replay_of !== null).map((r) => r.cost_usd),
        [0, 0]
      )
      const replays = entries.filter((e) => e.replayed === true)
      assert.strictEqual(entries.length, 3)
      assert.deepStrictEqual(
        replays.map((e) => [e.originalRequestId, e.costUsd]),
        [
          [original, 0],
          [original, 0]
        ]
      )
      // The replay rows are the replay entries' own ids.
      assert.deepStrictEqual(
        new Set(rows.filter((r) => r.replay_of !== null).map((r) => r.id)),
        new Set(replays.map((e) => e.requestId))
      )
    } finally {
      await upstream.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
