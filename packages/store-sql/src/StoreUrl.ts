/**
 * The SQL stores a `ledger.store` value names: `sqlite:PATH` (the directory is created; `?synchronous=full` fsyncs every commit, default `normal` under WAL) or
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
    // `?synchronous=normal|full` (SQLite's PRAGMA under WAL; default normal, see SqliteClient).
    const rest = spec.slice("sqlite:".length)
    const param = /\?synchronous=([^&]*)$/.exec(rest)
    const filename = param === null ? rest : rest.slice(0, param.index)
    const synchronous = param?.[1]?.toLowerCase()
    if (synchronous !== undefined && synchronous !== "normal" && synchronous !== "full") {
      return failed(spec, `synchronous must be "normal" or "full" (got "${param?.[1]}") in "${spec}"`)
    }
    // Created 0700: the directory holds the audit trail.
    if (filename !== ":memory:") mkdirSync(dirname(filename), { recursive: true, mode: 0o700 })
    return SqliteStore.layer({ filename, ...(synchronous !== undefined ? { synchronous } : {}) })
  }
  if (spec.startsWith("postgres://") || spec.startsWith("postgresql://")) {
    // `?schema=NAME` keeps the tables in their own schema (replicas of one deployment share it;
    // tests use one per run). The driver doesn't know the parameter, so it is taken off the URL.
    const url = new URL(spec)
    const schema = url.searchParams.get("schema") ?? undefined
    url.searchParams.delete("schema")
    return PgStore.layer({ url: url.toString(), ...(schema !== undefined ? { schema } : {}) })
  }
  return failed(spec, `not a SQL store: "${spec}" (sqlite:PATH or postgres://…)`)
}

const failed = (spec: string, message: string) =>
  Layer.effectDiscard(
    Effect.fail(new StoreError({ store: spec, operation: "open", message }))
  ) as unknown as ReturnType<typeof SqliteStore.layer>
