/**
 * The audit ledger (`@am/core`'s `Ledger` service): one chained, redacted entry per request.
 *
 * - `record` builds the entry (prompt hash, redacted previews, resilience score, `seq` /
 *   `prevHash` / `hash`) and appends it through a single writer (a one-permit semaphore), so
 *   concurrent requests never race on the chain.
 * - A store failure never fails the request: the entry goes to a JSONL spool
 *   (`<spoolDir>/ledger-spool.jsonl`), the failure is logged and counted (`am.ledger.spooled`),
 *   and a background fiber replays the spool, oldest first, on `replaySchedule`, outside the
 *   writer (so `record` never waits on the store while the spool drains), moving a cursor file
 *   per batch (linear in the spool's size). While the spool is non-empty new entries queue
 *   behind it, so the store always receives entries in `seq` order.
 * - Several writers (gateway replicas) may share one store: an append that loses the race for a
 *   `seq` (`StoreError.conflict`) is re-chained onto the store's new head and retried, so the
 *   replicas build one chain.
 * - When `EventBus` is in context, each entry publishes `bias.ledger.entry.created`.
 *
 * @example
 * ```ts
 * import { Ledger as LedgerService } from "@am/core"
 * import { Ledger, MemoryLedgerStore } from "@am/ledger"
 * import { Effect, Layer } from "effect"
 * const layer = Ledger.layer({ spoolDir: "./data/ledger-spool" }).pipe(Layer.provide(MemoryLedgerStore.layer))
 * const program = LedgerService.use((ledger) => ledger.record(input))
 * declare const input: import("@am/core").LedgerInput
 * ```
 * @since 0.1.0
 */
import {
  EventBus,
  Ledger as LedgerService,
  type LedgerEntry,
  type LedgerInput,
  type LedgerShape,
  LedgerStore,
  type StoreError,
  Tracing
} from "@am/core"
import { Context, Deferred, Effect, Layer, Metric, Option, Queue, Schedule, Semaphore } from "effect"
import { GENESIS_HASH } from "./Chain.ts"
import { buildEntry, type PreviewLengths } from "./Entry.ts"
import { makePending } from "./internal/Pending.ts"
import { type Head, rechain } from "./internal/Rechain.ts"
import { makeSpool } from "./internal/Spool.ts"

// Re-exported so the `Ledger` namespace keeps `buildEntry` and the preview lengths.
export { buildEntry, DEFAULT_PREVIEW_LENGTHS, type PreviewLengths } from "./Entry.ts"

export const DEFAULT_SPOOL_DIR = "./data/ledger-spool"

export interface LedgerOptions {
  readonly previewLengths?: Partial<PreviewLengths>
  /** Where the outage spool lives (default `./data/ledger-spool`). */
  readonly spoolDir?: string
  /** When the background fiber tries to replay the spool (default every 2 seconds). */
  readonly replaySchedule?: Schedule.Schedule<unknown>
  /** Most entries per `append` during replay (default 500). */
  readonly replayBatchSize?: number
  /**
   * Most entries the single writer appends in one `store.append` (default 100): it takes whatever
   * has queued up, so batching adds no wait. `1` turns batching off.
   */
  readonly maxBatchSize?: number
  /** Most characters kept of an attempt's (redacted) provider message (default 1024). */
  readonly attemptMessageLength?: number
}

/** Entries written to the spool because the store failed. */
export const spooledCounter = Metric.counter("am.ledger.spooled", {
  description: "Ledger entries spooled to the local file because the ledger store failed",
  incremental: true
})
/** Spooled entries later written to the store. */
export const replayedCounter = Metric.counter("am.ledger.replayed", {
  description: "Spooled ledger entries replayed into the ledger store",
  incremental: true
})

// Retries after losing a seq race to another replica: immediate at first, then a short jittered
// spacing so two writers don't keep colliding; a store that keeps conflicting gets the spool.
const conflictSchedule = Schedule.max([Schedule.recurs(30), Schedule.jittered(Schedule.spaced("2 millis"))])

/**
 * How much of the ledger waits in its local spool for the store (readiness reads it: a spool over
 * its bound takes the replica out of the load balancer; nothing is dropped).
 */
export class LedgerSpool extends Context.Service<
  LedgerSpool,
  {
    /** Entries written to the spool and not yet in the store. */
    readonly size: () => number
    /** The spool file. */
    readonly path: string
  }
>()("@am/ledger/LedgerSpool") {}

/**
 * Builds the ledger service over the `LedgerStore` in context (and the `EventBus`, if any). The
 * replay fiber lives as long as the surrounding scope.
 */
export const make = (options: LedgerOptions = {}) => Effect.map(makeWithSpool(options), (both) => both.ledger)

const makeWithSpool = Effect.fnUntraced(function* (options: LedgerOptions = {}) {
  const store = yield* LedgerStore
  const bus = yield* Effect.serviceOption(EventBus)
  const spool = makeSpool(options.spoolDir ?? DEFAULT_SPOOL_DIR)
  const batchSize = Math.max(1, options.replayBatchSize ?? 500)
  const writer = yield* Semaphore.make(1)

  const pending = makePending(
    yield* Effect.try(() => spool.load()).pipe(
      Effect.catch((e) =>
        Effect.as(Effect.logError("ledger: cannot read the spool; starting without it", String(e)), [])
      )
    )
  )
  const storeHead = yield* store.head.pipe(
    Effect.map((h) => ({ known: true, head: h })),
    Effect.catch((e) =>
      Effect.as(Effect.logWarning("ledger: store unreachable at start", e.message), {
        known: false,
        head: undefined
      })
    )
  )
  const lastPending = pending.last()
  // The chain head as the ledger knows it: the newest spooled entry, else the store's head.
  let head: Head | undefined =
    lastPending !== undefined ? { seq: lastPending.seq, hash: lastPending.hash } : storeHead.head
  // False while the store's head has never been read and nothing is spooled: entries chained
  // meanwhile are provisional and re-chained onto the real head on replay.
  let headKnown = storeHead.known || pending.size() > 0

  const persistSpool = (what: string, f: () => Promise<void>) =>
    Effect.tryPromise({ try: f, catch: (e) => e }).pipe(
      Effect.catch((e) => Effect.logError(`ledger: cannot ${what} the spool file (entries kept in memory)`, String(e)))
    )

  /** Under the writer: the oldest `n` spooled entries are in the store. */
  const landed = (n: number) =>
    writer.withPermits(1)(
      Effect.suspend(() => {
        const last = pending.at(n - 1)
        pending.drop(n)
        if (pending.size() === 0) headKnown = true
        return Effect.andThen(
          persistSpool("trim", () => spool.advance(n, last, pending.all)),
          Metric.update(replayedCounter, n)
        )
      }).pipe(Effect.uninterruptible)
    )

  /**
   * One replay pass: drops what the store already holds, re-chains onto the store's head when the
   * spool does not continue it, then appends the spool in batches. The store calls run outside
   * the writer, so recording never waits for them (new entries meanwhile go to the end of the
   * spool); only the in-memory and file updates take the writer, briefly. Only this pass ever
   * removes or changes spooled entries, and only one pass runs at a time.
   */
  const replayOnce: Effect.Effect<void, StoreError> = Effect.gen(function* () {
    if (pending.size() === 0) return
    const current = yield* store.head
    // A batch that landed but was not trimmed (a crash, a lost answer): recognised by seq and
    // hash and dropped, never appended twice. Stops at the first entry the store does not hold.
    while (pending.size() > 0 && current !== undefined && pending.at(0).seq <= current.seq) {
      const from = pending.at(0).seq
      const stored = yield* store.range(from, Math.min(batchSize, current.seq - from + 1, pending.size()))
      let same = 0
      while (same < stored.length && same < pending.size()) {
        const s = stored[same] as LedgerEntry
        const p = pending.at(same)
        if (s.seq !== p.seq || s.hash !== p.hash) break
        same++
      }
      if (same === 0) break
      yield* landed(same)
      if (same < stored.length) break
    }
    if (pending.size() === 0) return
    const next = pending.at(0)
    if (next.seq !== (current?.seq ?? 0) + 1 || next.prevHash !== (current?.hash ?? GENESIS_HASH)) {
      // Provisional entries (chained while the head was unknown, or behind another replica's):
      // move them onto the real head — and whatever the writer spooled meanwhile with them.
      yield* writer.withPermits(1)(
        Effect.suspend(() => {
          const moved = rechain(pending.all(), current)
          pending.replace(moved)
          const last = moved[moved.length - 1] as LedgerEntry
          head = { seq: last.seq, hash: last.hash }
          return Effect.andThen(
            Effect.logWarning(`ledger: re-chained ${moved.length} spooled entries onto seq ${current?.seq ?? 0}`),
            persistSpool("rewrite", () => spool.rewrite(moved))
          )
        })
      )
    }
    while (pending.size() > 0) {
      const batch = pending.take(batchSize)
      yield* store.append(batch)
      yield* landed(batch.length)
    }
    yield* Effect.logInfo("ledger: spool replayed into the store")
  })

  const publish = (entry: LedgerEntry) =>
    Option.match(bus, {
      onNone: () => Effect.void,
      onSome: (b) =>
        b.publish({
          topic: "bias.ledger.entry.created",
          requestId: entry.requestId,
          seq: entry.seq,
          hash: entry.hash,
          outcome: entry.outcome
        })
    })

  const toSpool = (entries: ReadonlyArray<LedgerEntry>, reason: string, behind = false) =>
    Effect.gen(function* () {
      pending.push(entries)
      yield* persistSpool("append to", () => spool.append(entries))
      yield* Metric.update(spooledCounter, entries.length)
      // The store's failure is a warning; entries queued behind the spool are routine (debug).
      yield* (behind ? Effect.logDebug : Effect.logWarning)(
        `ledger: ${entries.length} entr${entries.length === 1 ? "y" : "ies"} spooled (${reason})`
      ).pipe(
        Effect.annotateLogs({
          requestIds: entries.map((e) => e.requestId).join(","),
          seq: entries.map((e) => e.seq).join(","),
          spool: spool.path
        })
      )
    })

  /** Chains and persists one batch of requests (the single writer: callers hold `writer`). */
  const writeBatch = (inputs: ReadonlyArray<LedgerInput>): Effect.Effect<ReadonlyArray<LedgerEntry>> =>
    Effect.gen(function* () {
      // While entries are spooled, new ones go behind them (the replay lands them in order): the
      // writer never waits for the store then, and the store never receives a seq out of order.
      if (pending.size() === 0 && !headKnown) {
        const h = yield* store.head.pipe(Effect.option)
        if (Option.isSome(h)) {
          head = h.value
          headKnown = true
        }
      }
      const chain = () =>
        inputs.reduce<Array<LedgerEntry>>((acc, input) => {
          acc.push(buildEntry(input, acc[acc.length - 1] ?? head, options))
          return acc
        }, [])
      let entries = chain()
      if (pending.size() > 0) {
        yield* toSpool(entries, "older entries are still spooled", true)
      } else if (!headKnown) {
        yield* toSpool(entries, "store head unknown")
      } else {
        // Replicas share one chain in one store: when another writer took our seq, read the new
        // head, chain the batch onto it and try again (optimistic concurrency, bounded).
        let first = true
        const append = Effect.suspend(() => {
          if (first) {
            first = false
            return store.append(entries)
          }
          return store.head.pipe(
            Effect.flatMap((h) => {
              head = h
              entries = chain()
              return store.append(entries)
            })
          )
        })
        yield* append.pipe(
          Effect.retry({ schedule: conflictSchedule, while: (e) => e.conflict === true }),
          Effect.catch((e) => toSpool(entries, `${e.operation}: ${e.message}`))
        )
      }
      const last = entries[entries.length - 1]
      if (last !== undefined) head = { seq: last.seq, hash: last.hash }
      return entries
    })

  interface Job {
    readonly input: LedgerInput
    readonly done: Deferred.Deferred<LedgerEntry>
  }
  const queue = yield* Queue.unbounded<Job>()
  const maxBatch = Math.max(1, options.maxBatchSize ?? 100)

  const runJobs = (jobs: ReadonlyArray<Job>): Effect.Effect<void> =>
    writer
      .withPermits(1)(writeBatch(jobs.map((j) => j.input)))
      .pipe(
        Effect.flatMap((entries) =>
          Effect.forEach(entries, (entry, i) =>
            Effect.andThen(publish(entry), Deferred.succeed((jobs[i] as Job).done, entry))
          )
        ),
        // A defect must not strand the callers: they see it instead of waiting forever.
        Effect.catchCause((cause) => Effect.forEach(jobs, (j) => Deferred.failCause(j.done, cause))),
        Effect.asVoid,
        Effect.uninterruptible
      )

  // The single writer: takes whatever has queued up (at most `maxBatch`) and appends it at once.
  yield* Effect.forkScoped(Effect.forever(Effect.flatMap(Queue.takeBetween(queue, 1, maxBatch), runJobs)))
  // On shutdown, write what is still queued before the writer is interrupted.
  let closed = false
  yield* Effect.addFinalizer(() =>
    Effect.flatMap(
      Effect.suspend(() => {
        closed = true
        return Queue.clear(queue)
      }),
      (jobs) =>
        Effect.forEach(
          Array.from({ length: Math.ceil(jobs.length / maxBatch) }, (_, i) =>
            jobs.slice(i * maxBatch, (i + 1) * maxBatch)
          ),
          runJobs
        )
    ).pipe(Effect.ignore)
  )

  const record = Tracing.fn("Ledger.record")(function* (input: LedgerInput): Effect.fn.Return<LedgerEntry> {
    if (closed) return yield* Effect.die(new Error("Ledger.record called after the ledger's scope closed"))
    const done = yield* Deferred.make<LedgerEntry>()
    yield* Queue.offer(queue, { input, done })
    return yield* Deferred.await(done)
  })

  const replayPass = replayOnce.pipe(
    Effect.catch((e) => Effect.logWarning(`ledger: replay failed (${e.operation}: ${e.message}); will retry`))
  )
  yield* Effect.forkScoped(Effect.repeat(replayPass, options.replaySchedule ?? Schedule.spaced("2 seconds")))

  return {
    ledger: LedgerService.of({ record } satisfies LedgerShape),
    spool: LedgerSpool.of({ size: () => pending.size(), path: spool.path })
  }
})

/**
 * The `Ledger` layer (and its `LedgerSpool`): needs core's `LedgerStore`; publishes on `EventBus`
 * when it is provided.
 *
 * @example
 * ```ts
 * import { Ledger, MemoryLedgerStore } from "@am/ledger"
 * import { Layer } from "effect"
 * const LedgerLive = Ledger.layer().pipe(Layer.provide(MemoryLedgerStore.layer))
 * ```
 */
export const layer = (options: LedgerOptions = {}): Layer.Layer<LedgerService | LedgerSpool, never, LedgerStore> =>
  Layer.effectContext(
    Effect.map(makeWithSpool(options), ({ ledger, spool }) =>
      Context.make(LedgerService, ledger).pipe(Context.add(LedgerSpool, spool))
    )
  )
