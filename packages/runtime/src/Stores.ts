/**
 * The stores a `ledger.store` URL names, for every host: `sqlite:PATH` (the directory is
 * created) and `postgres://…` / `postgresql://…` (`?schema=NAME` keeps the tables in that
 * schema) open the ledger, `llm_runs` and telemetry-event stores in that database. The engine
 * hosts (through `layerAudit`) and the `am` CLI open their stores here, so a store URL means
 * the same everywhere.
 *
 * @example
 * ```ts
 * import { isDurableStore, layerStores } from "@am/runtime"
 * const spec = "sqlite:./data/am.db"
 * const stores = isDurableStore(spec) ? layerStores(spec) : undefined
 * ```
 * @since 0.1.0
 */
import type { EventStore, LedgerStore, RunStore, StoreError } from "@am/core"
import { MemoryLedgerStore } from "@am/ledger"
import { StoreUrl } from "@am/store-sql"
import { EventWriter } from "@am/telemetry"
import { Layer } from "effect"

/** What a durable store URL opens: the ledger, `llm_runs` and the telemetry events. */
export type Stores = LedgerStore | RunStore | EventStore

/** What the memory stores keep in a long-running process (the newest; use SQL for everything). */
export const MEMORY_STORE_LIMIT = 10_000

/** Whether `spec` names a store that outlives the process (`sqlite:PATH`, `postgres://…`). */
export const isDurableStore = (spec: string): boolean => StoreUrl.isSql(spec)

/**
 * The durable stores `spec` names. Anything but `sqlite:PATH` or `postgres://…` (including
 * `memory`) fails to build with a `StoreError` naming it; check `isDurableStore` first to say
 * something friendlier.
 */
export const layerStores = (spec: string): Layer.Layer<Stores, StoreError> => StoreUrl.layer(spec)

/**
 * The stores an engine host runs on for `ledger.store`: `layerStores` for a durable URL, else
 * (`memory`) a bounded memory ledger and event store (the newest `MEMORY_STORE_LIMIT` each, no
 * `llm_runs`).
 */
export const layerHostStores = (spec: string): Layer.Layer<LedgerStore | EventStore, StoreError> =>
  isDurableStore(spec)
    ? layerStores(spec)
    : Layer.merge(
        MemoryLedgerStore.layerBounded(MEMORY_STORE_LIMIT),
        EventWriter.layerMemoryStoreBounded(MEMORY_STORE_LIMIT)
      )
