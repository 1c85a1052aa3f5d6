/**
 * Opens the stores a command reads, from `--store` (the syntax of `ledger.store`:
 * `sqlite:PATH` or `postgres://…`) or from the `ledger.store` of a `--config FILE`, through
 * `@am/runtime`'s `layerStores` — the same opening the engine hosts use for that URL.
 */
import { readFileSync } from "node:fs"
import type { StoreError } from "@am/core"
import { isDurableStore, layerStores, type Stores } from "@am/runtime/stores"
import { Effect, Layer, Schema } from "effect"

export class CliError extends Schema.TaggedError<CliError>()("CliError", { message: Schema.String }) {}

export type { Stores }

/** Which store to open: `--store` wins, else `--config`'s `ledger.store`, else `AM_CONFIG`'s. */
export const resolveStoreSpec = (
  store: string | undefined,
  config: string | undefined
): Effect.Effect<string, CliError> =>
  Effect.gen(function* () {
    if (store !== undefined) return store
    const path = config ?? process.env.AM_CONFIG
    if (path === undefined) {
      return yield* new CliError({
        message: "say which store to read: --store sqlite:PATH | postgres://… or --config FILE"
      })
    }
    const raw = yield* Effect.try({
      try: () => JSON.parse(readFileSync(path, "utf8")) as { ledger?: { store?: unknown } },
      catch: (e) => new CliError({ message: `cannot read config ${path}: ${(e as Error).message}` })
    })
    const spec = raw.ledger?.store
    if (typeof spec !== "string") return yield* new CliError({ message: `${path} has no ledger.store` })
    return spec
  })

export const storeLayer = (spec: string): Layer.Layer<Stores, StoreError | CliError> =>
  isDurableStore(spec)
    ? layerStores(spec)
    : (Layer.effectDiscard(
        Effect.fail(
          new CliError({
            message:
              spec === "memory"
                ? 'the store is "memory": nothing outlives the process that wrote it; use sqlite:PATH or postgres://…'
                : `unknown store "${spec}" (expected sqlite:PATH or postgres://…)`
          })
        )
      ) as Layer.Layer<Stores, CliError>)
