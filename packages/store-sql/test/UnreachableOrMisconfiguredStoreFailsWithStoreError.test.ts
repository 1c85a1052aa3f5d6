import { LedgerStore } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { PgStore, SqliteStore } from "../src/index.ts"

describe("building a store that cannot work", () => {
  it.effect("a Postgres server that does not answer fails the layer with a StoreError, without the password", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Effect.service(LedgerStore).pipe(
          Effect.provide(
            PgStore.layer({
              url: "postgres://postgres:hunter2@127.0.0.1:1/test",
              pool: { connectTimeout: "2 seconds" }
            })
          )
        )
      )
      assert.strictEqual(error._tag, "StoreError")
      assert.notInclude(error.message, "hunter2")
    })
  )

  it.effect("a schema name that is not a plain identifier is refused before connecting", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Effect.service(LedgerStore).pipe(
          Effect.provide(PgStore.layer({ url: "postgres://postgres@127.0.0.1:1/test", schema: 'x"; DROP TABLE y; --' }))
        )
      )
      assert.strictEqual(error.operation, "configure")
      assert.match(error.message, /invalid schema name/)
    })
  )

  it.effect("a SQLite file in a directory that does not exist fails with a StoreError", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Effect.service(LedgerStore).pipe(
          Effect.provide(SqliteStore.layer({ filename: "/nonexistent-am-dir/sub/audit.db" }))
        )
      )
      assert.strictEqual(error._tag, "StoreError")
      assert.strictEqual(error.store, "sqlite")
    })
  )
})
