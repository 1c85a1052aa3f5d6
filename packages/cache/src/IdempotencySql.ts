/**
 * Idempotent results kept in the SQL store (SQLite or PostgreSQL, any `effect/sql` `SqlClient`
 * the host provides): the `IdempotencyStore` that survives restarts and is shared by every
 * replica on one database. One row per workspace and key (primary key
 * `(workspace_id, idempotency_key)`), the answer as JSON text, `expires_at` for retention.
 * The first live result wins; an expired row is overwritten by the next result and removed by
 * `purge`. The migration runs when the layer is built (its own Migrator table,
 * `am_cache_migrations`, so it never collides with `@am/store-sql`'s).
 *
 * @example
 * ```ts
 * import { Idempotency, IdempotencySql } from "@am/cache"
 * import { Layer } from "effect"
 * // SqlClient provided by the host (e.g. @am/store-sql's SqliteClient or PgStore)
 * const IdempotencyLive = Idempotency.layer().pipe(Layer.provide(IdempotencySql.layer))
 * ```
 * @since 0.1.0
 */
import { Tracing } from "@am/core"
import { Clock, Effect, Layer, Option, Schema } from "effect"
import { Migrator, SqlClient } from "effect/sql"
import type { IdempotencyError } from "./Errors.ts"
import { IdempotencyStore, type StoredResult, unavailable } from "./IdempotencyStore.ts"

/** The table results are kept in. */
export const table = "am_idempotency_results"

/** The table the Migrator records this package's applied migrations in. */
export const migrationsTable = "am_cache_migrations"

const createResults = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const big = sql.onDialectOrElse({ pg: () => "BIGINT", orElse: () => "INTEGER" })
  yield* sql.unsafe(`CREATE TABLE ${table} (
  workspace_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  request_id TEXT NOT NULL,
  result TEXT NOT NULL,
  completed_at ${big} NOT NULL,
  expires_at ${big} NOT NULL,
  PRIMARY KEY (workspace_id, idempotency_key)
)`)
  yield* sql.unsafe(`CREATE INDEX ${table}_expires_idx ON ${table} (expires_at)`)
})

/** The migrations, keyed `<id>_<name>` for `Migrator.fromRecord`. */
export const migrations = {
  "1_create_idempotency_results": createResults
}

/** Applies pending migrations; a second run applies nothing. Returns the `[id, name]`s it ran. */
export const migrate = Migrator.make({})({ loader: Migrator.fromRecord(migrations), table: migrationsTable })

interface Row {
  readonly workspace_id: string
  readonly idempotency_key: string
  readonly request_hash: string
  readonly request_id: string
  readonly result: string
  readonly completed_at: number | string | bigint
  readonly expires_at: number | string | bigint
}

const decodeValue = Schema.decodeUnknownOption(Schema.fromJsonString(Schema.Json))

const fromRow = (row: Row): Option.Option<StoredResult> =>
  Option.map(decodeValue(row.result), (value) => ({
    workspace: row.workspace_id,
    key: row.idempotency_key,
    requestHash: row.request_hash,
    requestId: row.request_id,
    value,
    // Postgres BIGINT arrives as a string.
    completedAt: Number(row.completed_at),
    expiresAt: Number(row.expires_at)
  }))

/** An `IdempotencyStore` over the provided `SqlClient`, migrated when built. */
export const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* migrate.pipe(Effect.mapError(unavailable("migrate")))

  const read = (workspace: string, key: string, now: number) =>
    Effect.map(
      sql<Row>`SELECT * FROM ${sql(table)}
        WHERE workspace_id = ${workspace} AND idempotency_key = ${key} AND expires_at > ${now}`,
      (rows) => (rows[0] === undefined ? Option.none() : fromRow(rows[0]))
    )

  return IdempotencyStore.of({
    get: Tracing.fn("IdempotencyStore.get")(function* (workspace: string, key: string) {
      const now = yield* Clock.currentTimeMillis
      return yield* read(workspace, key, now).pipe(Effect.mapError(unavailable("get")))
    }),
    put: Tracing.fn("IdempotencyStore.put")(function* (result: StoredResult) {
      const now = yield* Clock.currentTimeMillis
      // First live result wins; only an expired row is replaced.
      yield* sql`INSERT INTO ${sql(table)}
          (workspace_id, idempotency_key, request_hash, request_id, result, completed_at, expires_at)
        VALUES (${result.workspace}, ${result.key}, ${result.requestHash}, ${result.requestId},
          ${JSON.stringify(result.value)}, ${result.completedAt}, ${result.expiresAt})
        ON CONFLICT (workspace_id, idempotency_key) DO UPDATE SET
          request_hash = excluded.request_hash, request_id = excluded.request_id, result = excluded.result,
          completed_at = excluded.completed_at, expires_at = excluded.expires_at
        WHERE ${sql(table)}.expires_at <= ${now}`.pipe(Effect.mapError(unavailable("put")))
      const kept = yield* read(result.workspace, result.key, now).pipe(Effect.mapError(unavailable("put")))
      return Option.getOrElse(kept, () => result)
    }),
    purge: Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const gone = yield* sql<{ readonly n: number | string }>`SELECT COUNT(*) AS n FROM ${sql(table)}
        WHERE expires_at <= ${now}`
      yield* sql`DELETE FROM ${sql(table)} WHERE expires_at <= ${now}`
      return Number(gone[0]?.n ?? 0)
    }).pipe(sql.withTransaction, Effect.mapError(unavailable("purge")), Tracing.withSpan("IdempotencyStore.purge"))
  })
})

/** The SQL `IdempotencyStore` as a layer (needs a `SqlClient`). */
export const layer: Layer.Layer<IdempotencyStore, IdempotencyError, SqlClient.SqlClient> = Layer.effect(
  IdempotencyStore,
  make
)
