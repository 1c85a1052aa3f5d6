/**
 * An in-memory `LedgerStore` for tests, the demo and benchmarks; also the outage seam: a handle's
 * `setDown(true)` makes every operation fail with `StoreError` until `setDown(false)`.
 *
 * @example
 * ```ts
 * import { MemoryLedgerStore } from "@am/ledger"
 * const handle = MemoryLedgerStore.make()
 * handle.setDown(true) // simulate an outage
 * const layer = handle.layer // provides core's LedgerStore
 * ```
 * @since 0.1.0
 */
import { type LedgerEntry, LedgerStore, type LedgerStoreShape, StoreError, Tracing } from "@am/core"
import { Effect, Layer } from "effect"

class SeqTaken extends Error {}

/** A memory store plus the controls tests need. */
export interface MemoryLedgerStoreHandle {
  readonly store: LedgerStoreShape
  /** Provides this store as core's `LedgerStore`. */
  readonly layer: Layer.Layer<LedgerStore>
  /** While down, every operation fails with `StoreError`. */
  readonly setDown: (down: boolean) => void
  /** Everything stored, in `seq` order (a copy). */
  readonly entries: () => ReadonlyArray<LedgerEntry>
  /** How many `append` calls succeeded (batching shows here). */
  readonly appendCalls: () => number
}

/** Options of a memory store. */
export interface MemoryLedgerStoreOptions {
  /**
   * Keep only the newest `maxEntries` (default: all). A long-running process on the memory
   * store (a gateway in development) then holds bounded memory; the chain of what is kept
   * still verifies from its first kept entry. Use a SQL store for a complete ledger.
   */
  readonly maxEntries?: number
}

const make = (options?: MemoryLedgerStoreOptions): MemoryLedgerStoreHandle => {
  const max = options?.maxEntries ?? Number.POSITIVE_INFINITY
  const entries: Array<LedgerEntry> = []
  const byRequest = new Map<string, LedgerEntry>()
  let down = false
  let appends = 0
  const guard = <A>(operation: string, f: () => A): Effect.Effect<A, StoreError> =>
    Effect.suspend(() =>
      down
        ? Effect.fail(new StoreError({ store: "memory", operation, message: "store is down" }))
        : Effect.try({
            try: f,
            catch: (e) =>
              new StoreError({
                store: "memory",
                operation,
                message: String((e as Error).message ?? e),
                ...(e instanceof SeqTaken ? { conflict: true } : {})
              })
          })
    )
  const store: LedgerStoreShape = {
    append: Tracing.fn("LedgerStore.append")(function* (batch: ReadonlyArray<LedgerEntry>) {
      return yield* guard("append", () => {
        // All or nothing, like a transaction: check the whole batch first.
        let last = entries[entries.length - 1]?.seq ?? 0
        for (const e of batch) {
          if (e.seq <= last) throw new SeqTaken(`duplicate seq ${e.seq}`)
          last = e.seq
        }
        for (const e of batch) {
          entries.push(e)
          byRequest.set(e.requestId, e)
        }
        // Trim in chunks (an eighth over the bound), so the cost is amortised.
        if (entries.length > max + Math.ceil(max / 8)) {
          for (const old of entries.splice(0, entries.length - max)) {
            if (byRequest.get(old.requestId) === old) byRequest.delete(old.requestId)
          }
        }
        appends++
      })
    }),
    head: guard("head", () => {
      const last = entries[entries.length - 1]
      return last === undefined ? undefined : { seq: last.seq, hash: last.hash }
    }).pipe(Tracing.withSpan("LedgerStore.head")),
    range: Tracing.fn("LedgerStore.range")(function* (fromSeq: number, limit: number) {
      return yield* guard("range", () => {
        // Entries are kept in ascending seq; binary search the start.
        let lo = 0
        let hi = entries.length
        while (lo < hi) {
          const mid = (lo + hi) >> 1
          if ((entries[mid] as LedgerEntry).seq < fromSeq) lo = mid + 1
          else hi = mid
        }
        return entries.slice(lo, lo + Math.max(0, limit))
      })
    }),
    byRequestId: Tracing.fn("LedgerStore.byRequestId")(function* (requestId: string) {
      return yield* guard("byRequestId", () => byRequest.get(requestId))
    })
  }
  return {
    store,
    layer: Layer.succeed(LedgerStore, store),
    setDown: (d) => {
      down = d
    },
    entries: () => entries.slice(),
    appendCalls: () => appends
  }
}

/** The in-memory ledger store. */
export const MemoryLedgerStore = {
  /** A fresh store with its controls. */
  make,
  /** A fresh in-memory `LedgerStore` per layer build. */
  layer: Layer.suspend(() => make().layer),
  /** A fresh in-memory `LedgerStore` that keeps only the newest `maxEntries`. */
  layerBounded: (maxEntries: number) => Layer.suspend(() => make({ maxEntries }).layer)
} as const
