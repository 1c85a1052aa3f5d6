/**
 * Migration 3 on a database that already holds `llm_runs` at migration 2 (SQLite and the real
 * PostgreSQL): the rows survive untouched, `replay_of` is added, and the idempotency index becomes
 * "one answered original per workspace and key" — so a replay (`replayOf` set) and a failed run a
 * retry ran again keep their key and their row, while a second answered original of a key still
 * lands, without the key. The usage report counts a replay as a request at cost 0.
 */
import type { LlmRun } from "@am/core"
import { PgClient } from "@effect/sql-pg"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Redacted } from "effect"
import { Reactivity } from "effect/reactivity"
import { Migrator, SqlClient } from "effect/sql"
import { Migrations, RunRows, SqliteClient, SqlStore } from "../src/index.ts"
import { pgAvailable, pgUrl, randomSchema } from "./support/backends.ts"
import { run } from "./support/fixtures.ts"

const T0 = 1_700_000_000_000

/** Migrations 1 and 2 only: a database as the previous release left it. */
const upToTwo = Migrator.make({})({
  loader: Migrator.fromRecord({
    "1_create_audit_tables": Migrations.migrations["1_create_audit_tables"],
    "2_runs_interrupted_and_per_workspace_idempotency":
      Migrations.migrations["2_runs_interrupted_and_per_workspace_idempotency"]
  }),
  table: Migrations.migrationsTable
})

const sqlite = () => SqliteClient.layer({ filename: ":memory:" })

const postgres = () => {
  const schema = randomSchema()
  return Layer.effectContext(
    Effect.gen(function* () {
      const pg = yield* PgClient.make({
        url: Redacted.make(pgUrl),
        maxConnections: 2,
        startupParameters: { search_path: `"${schema}"` }
      })
      yield* pg`CREATE SCHEMA ${pg(schema)}`
      yield* Effect.addFinalizer(() => Effect.ignore(pg.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)))
      return Context.make(SqlClient.SqlClient, pg as SqlClient.SqlClient)
    })
  ).pipe(Layer.provide(Reactivity.layer))
}

const clients = [
  { name: "sqlite", skip: false, layer: sqlite },
  { name: "postgres", skip: !pgAvailable, layer: postgres }
]

const done = (id: string, overrides: Partial<LlmRun> = {}): LlmRun =>
  run(id, { status: "SUCCEEDED", finishedAt: T0 + 500, latencyMs: 12, costUsd: 0.002, ...overrides })

for (const client of clients) {
  describe.skipIf(client.skip)(`migration 3 on ${client.name}`, () => {
    it.effect("keeps the rows of migration 2 and gives replays and retried keys their own rows", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        assert.deepStrictEqual(
          (yield* upToTwo).map(([id]) => Number(id)),
          [1, 2]
        )
        // Rows written by the previous release.
        yield* sql`INSERT INTO llm_runs (id, workspace_id, idempotency_key, prompt_sha256, status, provider, model, cost_usd, created_at)
          VALUES ('old-1', 'ws-1', 'k-old', 'p', 'SUCCEEDED', 'openai', 'gpt-4o', 0.5, ${T0}),
                 ('old-2', 'ws-1', NULL, 'p', 'FAILED', 'openai', 'gpt-4o', NULL, ${T0})`
        const ran = yield* SqlStore.migrate
        assert.deepStrictEqual(
          ran.map(([id, name]) => [Number(id), name]),
          [[3, "runs_replay_rows"]]
        )
        assert.deepStrictEqual(yield* SqlStore.migrate, [])
        const runs = SqlStore.makeRunStore(sql)
        assert.deepStrictEqual(yield* runs.get("old-1"), {
          id: "old-1",
          workspaceId: "ws-1",
          idempotencyKey: "k-old",
          promptSha256: "p",
          status: "SUCCEEDED",
          provider: "openai",
          model: "gpt-4o",
          costUsd: 0.5,
          createdAt: T0
        })

        const writer = RunRows.makeRunRowWriter(sql)
        yield* writer.write([
          // A replay of the old answer, and a replay in another workspace's own key space.
          done("replay-1", { idempotencyKey: "k-old", replayOf: "old-1", costUsd: 0, inputTokens: 0, outputTokens: 0 }),
          // A key whose first run failed, then ran again (a failed result is not stored) and answered.
          done("k2-failed", { idempotencyKey: "k2", status: "FAILED", errorCode: "all_providers_failed" }),
          done("k2-answered", { idempotencyKey: "k2" })
        ])
        yield* writer.write([done("replay-2", { idempotencyKey: "k2", replayOf: "k2-answered", costUsd: 0 })])
        // A second answered original of a key is an anomaly (two calls): its row lands without the key.
        yield* writer.write([done("k2-twice", { idempotencyKey: "k2" })])
        const rows = yield* sql<{
          id: string
          idempotency_key: string | null
          replay_of: string | null
          status: string
        }>`SELECT id, idempotency_key, replay_of, status FROM llm_runs ORDER BY id`
        assert.deepStrictEqual(
          rows.map((r) => [r.id, r.idempotency_key, r.replay_of, r.status]),
          [
            ["k2-answered", "k2", null, "SUCCEEDED"],
            ["k2-failed", "k2", null, "FAILED"],
            ["k2-twice", null, null, "SUCCEEDED"],
            ["old-1", "k-old", null, "SUCCEEDED"],
            ["old-2", null, null, "FAILED"],
            ["replay-1", "k-old", "old-1", "SUCCEEDED"],
            ["replay-2", "k2", "k2-answered", "SUCCEEDED"]
          ]
        )
        assert.strictEqual((yield* runs.get("replay-2"))?.replayOf, "k2-answered")
        // Every row is a request; replays cost nothing.
        const usage = yield* runs.usage({ from: T0, to: T0 + 1 })
        assert.deepStrictEqual(
          usage.map((u) => [u.workspaceId, u.requests, Math.round(u.costUsd * 1000)]),
          [["ws-1", 7, 500 + 2 + 2 + 2]]
        )
      }).pipe(Effect.provide(client.layer()))
    )

    it.effect("the plain RunStore: a replay starts and finishes under a key already answered", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* SqlStore.migrate
        const runs = SqlStore.makeRunStore(sql)
        yield* runs.start(run("a", { idempotencyKey: "k" }))
        yield* runs.finish("a", { status: "SUCCEEDED", costUsd: 0.01 })
        yield* runs.start(run("a-replay", { idempotencyKey: "k", replayOf: "a" }))
        yield* runs.finish("a-replay", { status: "SUCCEEDED", costUsd: 0 })
        assert.strictEqual((yield* runs.get("a-replay"))?.replayOf, "a")
        // A second answered original under the key is refused when it finishes as answered.
        yield* runs.start(run("b", { idempotencyKey: "k" }))
        const refused = yield* Effect.flip(runs.finish("b", { status: "SUCCEEDED" }))
        assert.match(refused.message, /duplicate idempotency_key/)
        // Unanswered runs under the key are fine.
        yield* runs.finish("b", { status: "FAILED", errorCode: "all_providers_failed" })
        assert.strictEqual((yield* runs.get("b"))?.status, "FAILED")
      }).pipe(Effect.provide(client.layer()))
    )
  })
}
