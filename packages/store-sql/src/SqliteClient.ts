/**
 * A small SQLite `SqlClient` on Node's built-in `node:sqlite` (`DatabaseSync`), built from
 * what `effect/sql` ships (`SqlClient.make`, `SqlClient.makeSqliteAcquirers`,
 * `Statement.makeCompilerSqlite`). It exists because `@effect/sql-sqlite-node` does not load
 * with effect 4.1. One connection, shared through a semaphore; statements are prepared once
 * and cached.
 *
 * @example
 * ```ts
 * import { SqliteClient } from "@am/store-sql"
 * import { Effect } from "effect"
 * import { SqlClient } from "effect/sql"
 * const one = Effect.flatMap(Effect.service(SqlClient.SqlClient), (sql) => sql`SELECT 1 AS one`)
 * Effect.runPromise(one.pipe(Effect.provide(SqliteClient.layer({ filename: ":memory:" }))))
 * ```
 * @since 0.1.0
 */
import { chmodSync, closeSync, openSync } from "node:fs"
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite"
import { Context, Effect, Layer, Semaphore, Stream } from "effect"
import { Reactivity } from "effect/reactivity"
import { SqlClient, type SqlConnection, SqlError, Statement } from "effect/sql"

/** Options for {@link layer}. */
export interface SqliteClientConfig {
  /** A file path, or `":memory:"` for a private in-memory database. */
  readonly filename: string
  /** How long a statement waits on a locked database file (ms); default 5000. */
  readonly busyTimeoutMs?: number
  /**
   * Write-ahead logging for a file database (readers don't block the writer, commits
   * are cheaper); default `true`. Ignored for `":memory:"`.
   */
  readonly wal?: boolean
  /**
   * When a commit waits for the disk (`PRAGMA synchronous`). Default `"normal"` under WAL: a
   * commit is in the WAL (the OS page cache) when the statement returns, so it survives the
   * process being killed; the WAL is fsynced at checkpoints, so a power loss or OS crash can
   * roll back the transactions committed since the last one (the database stays consistent).
   * `"full"` fsyncs the WAL on every commit (survives a power loss, costs an fsync per commit on
   * the calling thread). Without WAL the default is SQLite's own (`full`).
   */
  readonly synchronous?: "normal" | "full"
}

type Transform = (<A extends object>(row: ReadonlyArray<A>) => ReadonlyArray<A>) | undefined

// node:sqlite binds only null, numbers, bigints, strings and byte arrays.
const bindable = (value: unknown): SQLInputValue => {
  if (value === undefined || value === null) return null
  if (typeof value === "boolean") return value ? 1 : 0
  if (value instanceof Date) return value.toISOString()
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "string") return value
  if (value instanceof Uint8Array) return value
  return JSON.stringify(value)
}

// node:sqlite puts SQLite's extended result code in `errcode` (its `code` is the generic
// ERR_SQLITE_ERROR); the classifier reads `code`, so hand it the number.
const toSqlError = (cause: unknown, operation: string) =>
  new SqlError.SqlError({
    reason: SqlError.classifySqliteError(
      typeof cause === "object" && cause !== null && "errcode" in cause && typeof cause.errcode === "number"
        ? { code: cause.errcode, message: (cause as unknown as Error).message, cause }
        : cause,
      {
        message: cause instanceof Error ? cause.message : "SQLite statement failed",
        operation
      }
    )
  })

interface SqliteConnection extends SqlConnection.Connection {
  readonly db: DatabaseSync
}

const makeConnection = (db: DatabaseSync): SqliteConnection => {
  const cache = new Map<string, StatementSync>()
  const prepared = (sql: string): StatementSync => {
    let statement = cache.get(sql)
    if (statement === undefined) {
      statement = db.prepare(sql)
      cache.set(sql, statement)
    }
    return statement
  }
  const run = (sql: string, params: ReadonlyArray<unknown>, prepare: boolean, arrays: boolean) =>
    Effect.try({
      try: () => {
        const statement = prepare ? prepared(sql) : db.prepare(sql)
        statement.setReturnArrays(arrays)
        const args = params.map(bindable)
        // A statement that returns no columns (DDL, INSERT without RETURNING) is run, not read.
        if (statement.columns().length > 0) return statement.all(...args)
        statement.run(...args)
        return []
      },
      catch: (cause) => toSqlError(cause, "execute")
    }) as Effect.Effect<ReadonlyArray<any>, SqlError.SqlError>
  const withTransform = (effect: Effect.Effect<ReadonlyArray<any>, SqlError.SqlError>, transform: Transform) =>
    transform ? Effect.map(effect, transform) : effect
  return {
    db,
    execute: (sql, params, transform) => withTransform(run(sql, params, true, false), transform),
    executeRaw: (sql, params) => run(sql, params, true, false),
    executeUnprepared: (sql, params, transform) => withTransform(run(sql, params, false, false), transform),
    executeValues: (sql, params) => run(sql, params, true, true),
    executeValuesUnprepared: (sql, params) => run(sql, params, false, true),
    executeStream: (sql, params, transform) =>
      Stream.fromIterableEffect(withTransform(run(sql, params, true, false), transform))
  }
}

/**
 * Builds a SQLite `SqlClient` on a `DatabaseSync` opened for the layer's lifetime (closed with
 * its scope).
 */
export const make = Effect.fnUntraced(function* (config: SqliteClientConfig) {
  const connection = yield* Effect.acquireRelease(
    Effect.try({
      try: () => {
        // Audit data is private: the file (and so its -wal/-shm, which SQLite creates with the
        // database's mode) is created 0600, and an existing one is narrowed to it.
        if (config.filename !== ":memory:") {
          closeSync(openSync(config.filename, "a", 0o600))
          chmodSync(config.filename, 0o600)
        }
        const db = new DatabaseSync(config.filename, { timeout: config.busyTimeoutMs ?? 5000 })
        const wal = config.filename !== ":memory:" && config.wal !== false
        if (wal) db.exec("PRAGMA journal_mode = WAL")
        // node:sqlite runs on the calling (event-loop) thread: under WAL, NORMAL keeps the fsync off
        // every commit (see `synchronous`); the ledger and the run journal batch their commits as well.
        const synchronous = config.synchronous ?? (wal ? "normal" : undefined)
        if (synchronous !== undefined) db.exec(`PRAGMA synchronous = ${synchronous === "full" ? "FULL" : "NORMAL"}`)
        return makeConnection(db)
      },
      catch: (cause) => toSqlError(cause, "open")
    }),
    (conn) => Effect.sync(() => conn.db.isOpen && conn.db.close())
  )
  const acquirers = SqlClient.makeSqliteAcquirers({
    connection: Effect.succeed(connection),
    semaphore: yield* Semaphore.make(1),
    isTransaction: (conn) => conn.db.isTransaction
  })
  return yield* SqlClient.make({
    ...acquirers,
    driver: "sqlite-node",
    compiler: Statement.makeCompilerSqlite(),
    spanAttributes: [["db.system.name", "sqlite"]]
  })
})

/**
 * Provides `SqlClient` backed by `node:sqlite`.
 *
 * @example
 * ```ts
 * import { SqliteClient } from "@am/store-sql"
 * const SqlLive = SqliteClient.layer({ filename: "/var/lib/am/audit.db" })
 * ```
 */
export const layer = (config: SqliteClientConfig): Layer.Layer<SqlClient.SqlClient, SqlError.SqlError> =>
  Layer.effectContext(Effect.map(make(config), (client) => Context.make(SqlClient.SqlClient, client))).pipe(
    Layer.provide(Reactivity.layer)
  )
