import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { LedgerStore, RunStore } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { PgStore, SqliteStore, SqlStore } from "../src/index.ts"
import { backends, pgAvailable, pgLayer, pgUrl, randomSchema } from "./support/backends.ts"
import { entry, run } from "./support/fixtures.ts"

for (const backend of backends) {
  describe.skipIf(backend.skip)(`migrations on ${backend.name}`, () => {
    it.effect("a second run applies nothing and keeps the data", () =>
      Effect.gen(function* () {
        const ledger = yield* LedgerStore
        yield* ledger.append([entry(1)])
        // The layer already migrated; running again is a no-op.
        assert.deepStrictEqual(yield* SqlStore.migrate, [])
        assert.deepStrictEqual(yield* SqlStore.migrate, [])
        assert.deepStrictEqual(yield* ledger.head, { seq: 1, hash: "h1" })
        const sql = yield* SqlClient.SqlClient
        const applied = yield* sql<{ migration_id: unknown }>`SELECT migration_id FROM am_store_migrations`
        assert.deepStrictEqual(
          applied.map((r) => Number(r.migration_id)),
          [1, 2, 3]
        )
      }).pipe(Effect.provide(backend.layer()))
    )
  })
}

describe("migrations across restarts", () => {
  it.effect("reopening a SQLite file keeps its tables and rows", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "am-store-sql-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
      const filename = join(dir, "audit.db")
      const open = () => SqliteStore.layer({ filename })
      yield* Effect.flatMap(Effect.service(RunStore), (runs) => runs.start(run("r1"))).pipe(Effect.provide(open()))
      const back = yield* Effect.flatMap(Effect.service(RunStore), (runs) => runs.get("r1")).pipe(
        Effect.provide(open())
      )
      assert.strictEqual(back?.id, "r1")
    })
  )

  it.effect.skipIf(!pgAvailable)("a second Postgres store on the same schema keeps its tables and rows", () =>
    Effect.gen(function* () {
      const schema = randomSchema()
      yield* Effect.flatMap(Effect.service(RunStore), (runs) => runs.start(run("r1"))).pipe(
        Effect.provide(PgStore.layer({ url: pgUrl, schema }))
      )
      // This one drops the schema when done.
      const back = yield* Effect.flatMap(Effect.service(RunStore), (runs) => runs.get("r1")).pipe(
        Effect.provide(pgLayer(schema))
      )
      assert.strictEqual(back?.id, "r1")
    })
  )
})
