/**
 * `@am/store-sql` — `LedgerStore`, `RunStore` and `EventStore` (from `@am/core`) on SQLite
 * (`node:sqlite`) and PostgreSQL (`@effect/sql-pg`), with one set of migrations.
 *
 * @since 0.1.0
 */
export * as Migrations from "./Migrations.ts"
export * as PgStore from "./PgStore.ts"
export * as RunRows from "./RunRows.ts"
export * as SqliteClient from "./SqliteClient.ts"
export * as SqliteStore from "./SqliteStore.ts"
export * as SqlStore from "./SqlStore.ts"
export * as StoreUrl from "./StoreUrl.ts"
export { RunRowWriter } from "./RunRows.ts"
