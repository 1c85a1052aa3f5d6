// The backends every store test runs against: SQLite in memory, and the PostgreSQL on this
// machine in a schema of its own (created for the test, dropped after), so test files can run
// in parallel. Set AM_TEST_PG_URL to point elsewhere.
import type { EventStore, LedgerStore, RunStore, StoreError } from "@am/core"
import { reachable } from "@am/testkit"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { PgStore, type RunRowWriter, SqliteStore } from "../../src/index.ts"

export const pgUrl = process.env.AM_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test"

// Postgres is part of the suite (.ci/run starts it): an unreachable server fails the tests
// rather than skipping them silently. AM_TEST_SKIP_PG=1 opts out explicitly.
export const pgAvailable = process.env.AM_TEST_SKIP_PG !== "1"
if (!pgAvailable) console.warn("@am/store-sql tests: AM_TEST_SKIP_PG=1, Postgres cases skipped")
else if (!(await reachable(pgUrl, 5432)))
  console.warn(`@am/store-sql tests: no PostgreSQL at ${pgUrl}; Postgres cases will fail`)

export type Stores = LedgerStore | RunStore | EventStore | RunRowWriter | SqlClient.SqlClient

export const randomSchema = () => `am_test_${Math.random().toString(36).slice(2, 10)}`

/** A Postgres store in a fresh schema that is dropped when the layer closes. */
export const pgLayer = (schema = randomSchema()): Layer.Layer<Stores, StoreError> =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* Effect.addFinalizer(() => Effect.ignore(sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)))
    })
  ).pipe(Layer.provideMerge(PgStore.layer({ url: pgUrl, schema, maxConnections: 4 })))

export interface Backend {
  readonly name: string
  readonly skip: boolean
  /** A fresh, empty, migrated store. */
  readonly layer: () => Layer.Layer<Stores, StoreError>
}

export const backends: ReadonlyArray<Backend> = [
  { name: "sqlite", skip: false, layer: () => SqliteStore.layer({ filename: ":memory:" }) },
  { name: "postgres", skip: !pgAvailable, layer: () => pgLayer() }
]
