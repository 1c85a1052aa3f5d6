/**
 * `RunRowWriter` writes whole `llm_runs` rows: a replayed row lands once, a finished row is never
 * turned back into INTERRUPTED, and an idempotency key is unique per workspace — a row whose key
 * is taken still lands (without the key), alone or in a batch.
 */
import { RunStore } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { RunRows } from "../src/index.ts"
import { backends } from "./support/backends.ts"
import { run } from "./support/fixtures.ts"

const done = (id: string, overrides: Parameters<typeof run>[1] = {}) =>
  run(id, { status: "SUCCEEDED", finishedAt: 1_700_000_001_000, latencyMs: 12, ...overrides })

for (const backend of backends) {
  describe.skipIf(backend.skip)(`llm_runs rows on ${backend.name}`, () => {
    it.effect("a row written twice is one row; a finished row stays finished", () =>
      Effect.gen(function* () {
        const writer = yield* RunRows.RunRowWriter
        const runs = yield* RunStore
        const sql = yield* SqlClient.SqlClient
        yield* writer.write([done("r1"), done("r2", { status: "FAILED", errorCode: "all_providers_failed" })])
        yield* writer.write([done("r1"), run("r2", { status: "INTERRUPTED", errorCode: "interrupted" })])
        yield* writer.write([run("r3", { status: "INTERRUPTED", errorCode: "interrupted" })])
        const rows = yield* sql<{ id: string; status: string }>`SELECT id, status FROM llm_runs ORDER BY id`
        assert.deepStrictEqual(
          rows.map((r) => [r.id, r.status]),
          [
            ["r1", "SUCCEEDED"],
            ["r2", "FAILED"],
            ["r3", "INTERRUPTED"]
          ]
        )
        assert.strictEqual((yield* runs.get("r2"))?.errorCode, "all_providers_failed")
      }).pipe(Effect.provide(backend.layer()))
    )

    it.effect("an idempotency key is unique per workspace, and a taken key never costs a row", () =>
      Effect.gen(function* () {
        const writer = yield* RunRows.RunRowWriter
        const sql = yield* SqlClient.SqlClient
        yield* writer.write([
          done("a1", { idempotencyKey: "k" }),
          done("b1", { workspaceId: "ws-2", idempotencyKey: "k" })
        ])
        // Alone, and in a batch with a row that is fine.
        yield* writer.write([done("a2", { idempotencyKey: "k" })])
        yield* writer.write([done("a3", { idempotencyKey: "k" }), done("a4", { idempotencyKey: "other" })])
        const rows = yield* sql<{
          id: string
          workspace_id: string
          idempotency_key: string | null
        }>`SELECT id, workspace_id, idempotency_key FROM llm_runs ORDER BY id`
        assert.deepStrictEqual(
          rows.map((r) => [r.id, r.workspace_id, r.idempotency_key]),
          [
            ["a1", "ws-1", "k"],
            ["a2", "ws-1", null],
            ["a3", "ws-1", null],
            ["a4", "ws-1", "other"],
            ["b1", "ws-2", "k"]
          ]
        )
      }).pipe(Effect.provide(backend.layer()))
    )
  })
}
