/**
 * The audit stores on PostgreSQL through `@effect/sql-pg`: `LedgerStore`, `RunStore`,
 * `EventStore`, and the `SqlClient` they write through (so a caller can wrap repository
 * calls in its own `sql.withTransaction`). Migrations run when the layer is built.
 *
 * @example
 * ```ts
 * import { PgStore } from "@am/store-sql"
 * const Stores = PgStore.layer({ url: "postgres://app@127.0.0.1:5432/app", schema: "audit" })
 * ```
 * @since 0.1.0
 */
import type { EventStore, LedgerStore, RunStore, StoreError } from "@am/core"
import { PgClient } from "@effect/sql-pg"
import { Context, Duration, Effect, Layer, Redacted } from "effect"
import { Reactivity } from "effect/reactivity"
import { SqlClient } from "effect/sql"
import type { RunRowWriter } from "./RunRows.ts"
import * as SqlStore from "./SqlStore.ts"

/** Options for {@link layer}. */
export interface PgStoreConfig {
  /** `postgres://user[:password]@host:port/database`; a `Redacted` keeps the password out of logs. */
  readonly url: string | Redacted.Redacted<string>
  /**
   * A schema to keep the tables in: created when missing and put first on every
   * connection's `search_path`. Default: the server's `search_path` (usually `public`).
   */
  readonly schema?: string
  /** How long opening a connection may take before it fails; default 5 seconds. */
  readonly connectTimeout?: Duration.Input
  /** Pool size; default 10. */
  readonly maxConnections?: number
  /** Any further `@effect/sql-pg` pool settings. */
  readonly pool?: Omit<PgClient.PgPoolConfig, "url">
}

const validSchema = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

/** Provides the three stores and the `SqlClient` on a PostgreSQL database. */
export const layer = (
  config: PgStoreConfig
): Layer.Layer<LedgerStore | RunStore | EventStore | RunRowWriter | SqlClient.SqlClient, StoreError> => {
  const schema = config.schema
  const client = Effect.gen(function* () {
    if (schema !== undefined && !validSchema.test(schema)) {
      return yield* Effect.fail(SqlStore.configError(`invalid schema name "${schema}"`))
    }
    const pg = yield* PgClient.make({
      ...config.pool,
      url: typeof config.url === "string" ? Redacted.make(config.url) : config.url,
      maxConnections: config.maxConnections ?? config.pool?.maxConnections ?? 10,
      connectTimeout: config.connectTimeout ?? config.pool?.connectTimeout ?? Duration.seconds(5),
      ...(schema === undefined
        ? {}
        : { startupParameters: { ...config.pool?.startupParameters, search_path: `"${schema}"` } })
    }).pipe(Effect.mapError(SqlStore.connectError("postgres")))
    if (schema !== undefined) {
      yield* pg`CREATE SCHEMA IF NOT EXISTS ${pg(schema)}`.pipe(
        // Two processes creating the same schema at once: one loses the race, harmlessly.
        Effect.catch((error) =>
          error.reason._tag === "UniqueViolation" ? Effect.void : Effect.fail(SqlStore.connectError("postgres")(error))
        )
      )
    }
    return Context.make(SqlClient.SqlClient, pg as SqlClient.SqlClient)
  })
  return SqlStore.layer.pipe(Layer.provideMerge(Layer.effectContext(client).pipe(Layer.provide(Reactivity.layer))))
}
