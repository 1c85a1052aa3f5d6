/**
 * The audit stores on SQLite (`node:sqlite`): `LedgerStore`, `RunStore`, `EventStore`, and
 * the `SqlClient` they write through, so a caller can wrap repository calls in its own
 * `sql.withTransaction`. Migrations run when the layer is built.
 *
 * @example
 * ```ts
 * import { SqliteStore } from "@am/store-sql"
 * const Stores = SqliteStore.layer({ filename: "./audit.db" })
 * ```
 * @since 0.1.0
 */
import type { EventStore, LedgerStore, RunStore, StoreError } from "@am/core"
import { Context, Effect, Layer } from "effect"
import { Reactivity } from "effect/reactivity"
import { SqlClient } from "effect/sql"
import * as SqliteClient from "./SqliteClient.ts"
import type { RunRowWriter } from "./RunRows.ts"
import * as SqlStore from "./SqlStore.ts"

/** Provides the three stores and the `SqlClient` on a SQLite file (or `":memory:"`). */
export const layer = (
  config: SqliteClient.SqliteClientConfig
): Layer.Layer<LedgerStore | RunStore | EventStore | RunRowWriter | SqlClient.SqlClient, StoreError> =>
  SqlStore.layer.pipe(
    Layer.provideMerge(
      Layer.effectContext(
        SqliteClient.make(config).pipe(
          Effect.mapError(SqlStore.connectError("sqlite")),
          Effect.map((client) => Context.make(SqlClient.SqlClient, client))
        )
      ).pipe(Layer.provide(Reactivity.layer))
    )
  )
