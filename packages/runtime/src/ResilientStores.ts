/**
 * The durable stores as an engine host runs them: never a reason to stop serving.
 *
 * - **Bounded**: every call to the database is bounded by `ledger.queryTimeout` and goes through
 *   the database's own circuit breaker (3 consecutive failures open it for 0.5 s, doubling to
 *   5 s); a timeout or an open circuit is a refusal like any other.
 * - **Start degraded**: when the database is unreachable at start, the host starts anyway and
 *   reconnects in the background (see `Reconnect`), then catches up.
 * - **Fallbacks** (the same for a refusal, a timeout, an open circuit, not connected yet):
 *   `LedgerStore` fails fast and the `Ledger` spools to its file and replays in order;
 *   `RunStore` is the `RunJournal` (one merged write per request, journalled, replayed);
 *   `EventStore.write` never fails and never waits longer than one timeout: a batch the store
 *   does not take is held in memory (at most `EVENT_BUFFER_LIMIT` events, the oldest dropped and
 *   counted in `am.events.dropped{reason="store_unavailable"}` past it) and written when the
 *   store is back, so the event writer never backs up into the request path. Held events are
 *   lost if the process dies (they are telemetry; the ledger and the runs are the audit trail).
 *
 * Each component is registered in `StoreHealth` for `/readyz`.
 *
 * @example
 * ```ts
 * import { layerResilientStores, StoreHealth } from "@am/runtime"
 * import { Layer } from "effect"
 * const stores = layerResilientStores("postgres://app@db:5432/am", { spoolDir: "./data/spool" }).pipe(
 *   Layer.provideMerge(StoreHealth.layer)
 * )
 * ```
 * @since 0.1.0
 */
import {
  EventStore,
  LedgerStore,
  type LlmRun,
  type ResilienceEvent,
  RunStore,
  StoreError,
  type UsageRow
} from "@am/core"
import { RunRows, StoreUrl } from "@am/store-sql"
import { Metrics } from "@am/telemetry"
import { Context, Effect, Layer, Metric, Schedule } from "effect"
import * as Reconnect from "./internal/Reconnect.ts"
import * as StoreGuard from "./internal/StoreGuard.ts"
import * as RunJournal from "./RunJournal.ts"
import { componentState, StoreHealth } from "./StoreHealth.ts"

/** Defaults of the options below (also the config's). */
export const DEFAULT_QUERY_TIMEOUT_MS = 2000
export const DEFAULT_SPOOL_LIMIT = 100_000
/** Most telemetry events held in memory while the store is away. */
export const EVENT_BUFFER_LIMIT = 50_000

export interface ResilientStoreOptions {
  /** Where the ledger spool and the run journal live (the ledger's `spoolDir`). */
  readonly spoolDir: string
  /** Longest a store call may take (default 2 s). */
  readonly queryTimeoutMs?: number
  /** Spooled records past which the replica reports not ready (default 100 000). */
  readonly spoolLimit?: number
  /** How long closing the connection may take at shutdown (default 2 s). */
  readonly closeTimeoutMs?: number
}

/** The stores for a durable `ledger.store` URL, with every fault taken by a fallback. */
export const layerResilientStores = (
  spec: string,
  options: ResilientStoreOptions
): Layer.Layer<LedgerStore | RunStore | EventStore, never, StoreHealth> =>
  Layer.effectContext(
    Effect.gen(function* () {
      const timeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS
      const limit = options.spoolLimit ?? DEFAULT_SPOOL_LIMIT
      const health = yield* StoreHealth
      const backend = spec.startsWith("sqlite:") ? "sqlite" : "postgres"
      const connection = yield* Reconnect.make(`${backend} store`, StoreUrl.layer(spec), {
        attemptTimeoutMs: Math.max(timeoutMs, 5000),
        closeTimeoutMs: options.closeTimeoutMs ?? 2000
      })
      const guard = yield* StoreGuard.make(backend, { timeoutMs })

      /** Runs `f` on the connected store through the guard, or fails fast as a refusal. */
      const call = <A>(
        table: string,
        operation: string,
        f: (
          context: Context.Context<LedgerStore | RunStore | EventStore | RunRows.RunRowWriter>
        ) => Effect.Effect<A, StoreError>
      ): Effect.Effect<A, StoreError> =>
        Effect.suspend(() => {
          const context = connection.get()
          const refuse = (message: string) => new StoreError({ store: table, operation, message })
          if (context === undefined)
            return Effect.fail(refuse(`${backend} not connected (${connection.state().lastError})`))
          return guard.run(f(context), refuse, (e) => e.conflict === true)
        })

      const ledger = LedgerStore.of({
        append: (entries) => call("ledger_entries", "append", (c) => Context.get(c, LedgerStore).append(entries)),
        head: call("ledger_entries", "head", (c) => Context.get(c, LedgerStore).head),
        range: (fromSeq, n) => call("ledger_entries", "range", (c) => Context.get(c, LedgerStore).range(fromSeq, n)),
        byRequestId: (id) => call("ledger_entries", "byRequestId", (c) => Context.get(c, LedgerStore).byRequestId(id))
      })

      const journal = yield* RunJournal.make({
        spoolDir: options.spoolDir,
        write: (rows: ReadonlyArray<LlmRun>) =>
          call("llm_runs", "write", (c) => Context.get(c, RunRows.RunRowWriter).write(rows)),
        get: (id) => call("llm_runs", "get", (c) => Context.get(c, RunStore).get(id)),
        usage: (o): Effect.Effect<ReadonlyArray<UsageRow>, StoreError> =>
          call("llm_runs", "usage", (c) => Context.get(c, RunStore).usage(o))
      })

      // Telemetry events: written when the store takes them, else held (bounded) and retried.
      const held: Array<ResilienceEvent> = []
      const dropped = Metric.withAttributes(Metrics.eventsDropped, { subscriber: "store", reason: "store_unavailable" })
      const hold = (events: ReadonlyArray<ResilienceEvent>) =>
        Effect.suspend(() => {
          held.push(...events)
          const over = held.length - EVENT_BUFFER_LIMIT
          if (over <= 0) return Effect.void
          held.splice(0, over)
          return Metric.update(dropped, over)
        })
      const flushHeld = Effect.suspend(() => {
        const batch = held.slice(0, 500)
        if (batch.length === 0) return Effect.void
        return call("telemetry_events", "write", (c) => Context.get(c, EventStore).write(batch)).pipe(
          Effect.tap(() => Effect.sync(() => held.splice(0, batch.length)))
        )
      })
      yield* Effect.forkScoped(Effect.repeat(Effect.ignore(flushHeld), Schedule.spaced("250 millis")))
      yield* Effect.addFinalizer(() => Effect.ignore(flushHeld))
      const events = EventStore.of({
        write: (batch) =>
          held.length > 0
            ? hold(batch)
            : call("telemetry_events", "write", (c) => Context.get(c, EventStore).write(batch)).pipe(
                Effect.catch(() => hold(batch))
              ),
        since: (at, n) => call("telemetry_events", "since", (c) => Context.get(c, EventStore).since(at, n))
      })

      // One database behind the three components: the same connection and circuit, their own spools
      // (the ledger's file is added by the audit wiring, which builds the ledger).
      const probe = (spooled: number) =>
        Effect.map(guard.status, (status) => {
          const state = connection.state()
          return componentState({
            connected: state.connected,
            circuit: status.circuit,
            spooled,
            limit,
            lastError: state.lastError ?? status.lastError
          })
        })
      for (const component of ["store:ledger", "store:runs", "store:events"]) yield* health.register(component, probe)
      yield* health.addSpool("store:runs", () => journal.pending())
      yield* health.addSpool("store:events", () => held.length)

      return Context.make(LedgerStore, ledger).pipe(
        Context.add(RunStore, RunStore.of(journal.store)),
        Context.add(EventStore, events)
      )
    })
  )
