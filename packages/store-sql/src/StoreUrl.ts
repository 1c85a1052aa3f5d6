/**
 * The SQL stores a `ledger.store` value names: `sqlite:PATH` (the directory is created) or
 * `postgres://…` / `postgresql://…` (with `?schema=NAME` to keep the tables in that schema). One parser for every host (the demo, the CLI, the gateway).
 *
 * @example
 * ```ts
 * import { StoreUrl } from "@am/store-sql"
 * const stores = StoreUrl.layer("sqlite:./data/am.db")
 * ```
 * @since 0.1.0
 */
import { mkdirSync } from "node:fs"
import { dirname } from "node:path"
import { StoreError } from "@am/core"
import { Effect, Layer } from "effect"
import * as PgStore from "./PgStore.ts"
import * as SqliteStore from "./SqliteStore.ts"

/** Whether `spec` names a SQL store this package can open. */
export const isSql = (spec: string): boolean =>
  spec.startsWith("sqlite:") || spec.startsWith("postgres://") || spec.startsWith("postgresql://")

/** The stores `spec` names; fails with `StoreError` for anything that is not `sqlite:` or `postgres://`. */
export const layer = (spec: string) => {
  if (spec.startsWith("sqlite:")) {
    const filename = spec.slice("sqlite:".length)
    // Created 0700: the directory holds the audit trail.
    if (filename !== ":memory:") mkdirSync(dirname(filename), { recursive: true, mode: 0o700 })
    return SqliteStore.layer({ filename })
  }
  if (spec.startsWith("postgres://") || spec.startsWith("postgresql://")) {
    // `?schema=NAME` keeps the tables in their own schema (replicas of one deployment share it;
    // tests use one per run). The driver doesn't know the parameter, so it is taken off the URL.
    const url = new URL(spec)
    const schema = url.searchParams.get("schema") ?? undefined
    url.searchParams.delete("schema")
    return PgStore.layer({ url: url.toString(), ...(schema !== undefined ? { schema } : {}) })
  }
  return Layer.effectDiscard(
    Effect.fail(
      new StoreError({
        store: spec,
        operation: "open",
        message: `not a SQL store: "${spec}" (sqlite:PATH or postgres://…)`
      })
    )
  ) as unknown as ReturnType<typeof SqliteStore.layer>
}
