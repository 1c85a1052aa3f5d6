import { LedgerStore } from "@am/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect, type Layer } from "effect"
import { SqlClient } from "effect/sql"
import { StoreUrl } from "../src/index.ts"
import { entry } from "./support/fixtures.ts"
import { pgAvailable, pgUrl, randomSchema } from "./support/backends.ts"

describe.skipIf(!pgAvailable)("postgres:// URL with ?schema=", () => {
  it.effect("keeps the tables in that schema (and the driver never sees the parameter)", () => {
    const schema = randomSchema()
    const url = new URL(pgUrl)
    url.searchParams.set("schema", schema)
    const layer = StoreUrl.layer(url.toString())
    return Effect.gen(function* () {
      const store = yield* LedgerStore
      yield* store.append([entry(1)])
      const sql = yield* SqlClient.SqlClient
      const rows = yield* sql<{ table_schema: string }>`
        SELECT table_schema FROM information_schema.tables WHERE table_name = 'ledger_entries' AND table_schema = ${schema}`
      expect(rows).toHaveLength(1)
      expect((yield* store.head)?.seq).toBe(1)
      yield* sql.unsafe(`DROP SCHEMA "${schema}" CASCADE`)
    }).pipe(Effect.provide(layer as Layer.Layer<LedgerStore | SqlClient.SqlClient>))
  })
})
