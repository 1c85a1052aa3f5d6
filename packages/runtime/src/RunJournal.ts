/**
 * `llm_runs` with the ledger's guarantees: a `RunStore` whose `start` and `finish` never fail and
 * never wait on the database. Exactly one row per accepted request, in every fault:
 *
 * - `start` keeps the run in memory and appends it to a local journal
 *   (`<spoolDir>/runs-journal.jsonl`, 0600); `finish` merges the finish into it, journals the
 *   whole row and queues it. **Start and finish are merged into one write**: the database gets
 *   each request's row once, finished (insert, or an idempotent update on replay).
 * - A background writer takes what has queued (up to `batchSize` rows a statement) and writes it
 *   through the guarded store; a refusal, a timeout or an open circuit leaves the rows queued
 *   (and journalled) and the writer tries again on its schedule — catching up when the store
 *   returns.
 * - On start, the journal of the previous process is replayed: finished rows are written, and
 *   runs it started but never finished (a crash, a SIGKILL) are written as `INTERRUPTED`
 *   (`error_code` `interrupted`), so no row stays `STARTED`.
 *
 * Durability: the journal is written behind, in groups: `start` and `finish` queue their line and
 * one writer appends everything queued so far with one asynchronous `write` (the event loop never
 * waits on the disk; under load one write carries many requests). `finish` returns once the write
 * carrying its line has landed in the file (the OS page cache), so **an answered request's row is
 * in the journal before the answer leaves** and survives the process being killed; `start` does
 * not wait (a kill within the one write in flight can lose the run of a request that was never
 * answered — its client saw the connection drop). Nothing is fsynced, so a power loss or OS crash
 * may take the last moments with it.
 *
 * @example
 * ```ts
 * import { RunJournal } from "@am/runtime"
 * import { Effect } from "effect"
 * // over any row writer (the host passes the guarded `RunRows.RunRowWriter`)
 * const journal = RunJournal.make({
 *   spoolDir: "./data/ledger-spool",
 *   write: () => Effect.void,
 *   get: () => Effect.succeed(undefined),
 *   usage: () => Effect.succeed([])
 * })
 * ```
 * @since 0.1.0
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs"
import { type FileHandle, open as openFile, rename, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { type LlmRun, type RunStoreShape, StoreError } from "@am/core"
import { Clock, Deferred, Effect, Metric, Queue, Schedule } from "effect"

/** The journal's file name in the spool directory. */
export const JOURNAL_FILE = "runs-journal.jsonl"

export interface RunJournalOptions {
  readonly spoolDir: string
  /** Writes finished rows (idempotently) to the store; guarded by the caller. */
  readonly write: (rows: ReadonlyArray<LlmRun>) => Effect.Effect<void, StoreError>
  /** Reads through to the store for what is not held here. */
  readonly get: RunStoreShape["get"]
  readonly usage: RunStoreShape["usage"]
  /** Rows a write (default 200). */
  readonly batchSize?: number
  /** When the writer looks for rows to write (default every 100 ms). */
  readonly retry?: Schedule.Schedule<unknown, unknown>
  /** Most journal lines one file write carries (default 1000). */
  readonly maxLinesPerWrite?: number
}

export interface RunJournal {
  readonly store: RunStoreShape
  /** Finished rows not yet in the store. */
  readonly pending: () => number
  /** Runs started and not finished. */
  readonly open: () => number
}

/** Rows written to the store from the journal. */
export const runsWritten = Metric.counter("am.runs.written", {
  description: "llm_runs rows written to the store by the run journal",
  incremental: true
})

type Line = { readonly s: LlmRun } | { readonly f: LlmRun }

const interrupted = (run: LlmRun, now: number): LlmRun => ({
  ...run,
  status: "INTERRUPTED",
  errorCode: "interrupted",
  finishedAt: now,
  latencyMs: Math.max(0, now - run.createdAt)
})

/** Builds the journal; its writer lives as long as the scope, and flushes once (bounded by the guard) when it closes. */
export const make = Effect.fnUntraced(function* (options: RunJournalOptions) {
  const path = join(options.spoolDir, JOURNAL_FILE)
  const batchSize = Math.max(1, options.batchSize ?? 200)
  const open = new Map<string, LlmRun>()
  const pending = new Map<string, LlmRun>()
  let lines = 0
  let compactions = 0

  const ensureDir = () => mkdirSync(options.spoolDir, { recursive: true, mode: 0o700 })

  // The journal writer: one fiber appends whatever has queued with one write, so concurrent
  // requests share a write and the event loop never waits on the disk. A compaction goes through
  // the same fiber, so no append can land in a file that is being replaced.
  interface Item {
    readonly line?: string
    /** Rewrite the journal to what is open or pending: when stale, or `always`. */
    readonly compact?: "if_stale" | "always"
    readonly done?: Deferred.Deferred<void>
  }
  const queue = yield* Queue.unbounded<Item>()
  const maxLines = Math.max(1, options.maxLinesPerWrite ?? 1000)
  let handle: FileHandle | undefined
  const closeHandle = Effect.promise(async () => {
    const h = handle
    handle = undefined
    await h?.close().catch(() => undefined)
  })
  const appendLines = (text: string, n: number) =>
    Effect.tryPromise({
      try: async () => {
        if (handle === undefined) {
          ensureDir()
          handle = await openFile(path, "a", 0o600)
        }
        await handle.write(text)
        lines += n
      },
      catch: (e) => e
    }).pipe(
      Effect.catch((e) =>
        Effect.andThen(
          closeHandle,
          Effect.logError("runs: cannot append to the journal (rows kept in memory)", String(e))
        )
      )
    )
  // Rewrites the journal to what is still open or pending (write then rename: never half-written).
  const compactNow = Effect.andThen(
    closeHandle,
    Effect.tryPromise({
      try: async () => {
        ensureDir()
        const body = [...[...open.values()].map((s) => ({ s })), ...[...pending.values()].map((f) => ({ f }))]
        // A name of its own: another journal over the same directory (a process still closing) may compact too.
        const tmp = `${path}.${process.pid}-${++compactions}.tmp`
        await writeFile(tmp, body.map((l) => `${JSON.stringify(l)}\n`).join(""), { encoding: "utf8", mode: 0o600 })
        await rename(tmp, path)
        lines = body.length
      },
      catch: (e) => e
    }).pipe(Effect.catch((e) => Effect.logError("runs: cannot compact the journal", String(e))))
  )
  const stale = () => lines > 2 * (open.size + pending.size) + 256
  const writeItems = (items: ReadonlyArray<Item>) =>
    Effect.gen(function* () {
      let text = ""
      let n = 0
      for (const item of items) {
        if (item.line !== undefined) {
          text += item.line
          n++
        }
      }
      if (n > 0) yield* appendLines(text, n)
      const always = items.some((i) => i.compact === "always")
      if (always || (items.some((i) => i.compact === "if_stale") && stale())) yield* compactNow
      yield* release(items)
    }).pipe(Effect.uninterruptible)
  const release = (items: ReadonlyArray<Item>) =>
    Effect.forEach(items, (item) => (item.done === undefined ? Effect.void : Deferred.succeed(item.done, undefined)), {
      discard: true
    })
  const enqueue = (item: Item) => Queue.offer(queue, item)
  /** Queues a line; the returned effect waits for the write that carries it. */
  const journalled = (line: Line) =>
    Effect.flatMap(Deferred.make<void>(), (done) =>
      Effect.andThen(enqueue({ line: `${JSON.stringify(line)}\n`, done }), Deferred.await(done))
    )
  /** Writes what is queued, then compacts (always), through the writer. */
  const flushAndCompact = Effect.flatMap(Deferred.make<void>(), (done) =>
    Effect.andThen(enqueue({ compact: "always", done }), Deferred.await(done))
  )

  // The previous process's journal: finished rows are written as they are, unfinished ones as INTERRUPTED.
  const now = yield* Clock.currentTimeMillis
  const previous = yield* Effect.try(() =>
    existsSync(path)
      ? readFileSync(path, "utf8")
          .split("\n")
          .filter((l) => l.trim() !== "")
          .flatMap((l) => {
            try {
              return [JSON.parse(l) as Line]
            } catch {
              return [] // a line cut by the crash
            }
          })
      : []
  ).pipe(
    Effect.catch((e) => Effect.as(Effect.logError("runs: cannot read the journal; starting without it", String(e)), []))
  )
  const started = new Map<string, LlmRun>()
  for (const line of previous) {
    if ("s" in line) started.set(line.s.id, line.s)
    else {
      started.delete(line.f.id)
      pending.set(line.f.id, line.f)
    }
  }
  for (const run of started.values()) if (!pending.has(run.id)) pending.set(run.id, interrupted(run, now))
  if (started.size > 0) {
    yield* Effect.logWarning(`runs: ${started.size} run(s) cut by the last exit are finished as INTERRUPTED`)
  }
  yield* compactNow
  yield* Effect.forkScoped(
    Effect.forever(Effect.flatMap(Queue.takeBetween(queue, 1, maxLines), writeItems)).pipe(
      // Stopped (the scope closed): nobody may be left waiting for a write that will not come.
      Effect.ensuring(Effect.andThen(Effect.flatMap(Queue.clear(queue), release), closeHandle))
    )
  )

  const writeOnce: Effect.Effect<number, StoreError> = Effect.suspend(() => {
    const batch = [...pending.values()].slice(0, batchSize)
    if (batch.length === 0) return Effect.succeed(0)
    return options.write(batch).pipe(
      Effect.tap(() =>
        Effect.suspend(() => {
          for (const row of batch) if (pending.get(row.id) === row) pending.delete(row.id)
          return Metric.update(runsWritten, batch.length)
        })
      ),
      Effect.as(batch.length)
    )
  })
  const drain: Effect.Effect<void, StoreError> = Effect.flatMap(writeOnce, (n) =>
    n === 0 ? Effect.void : pending.size > 0 ? drain : Effect.void
  )
  const pass = drain.pipe(
    Effect.tap(() => (stale() ? enqueue({ compact: "if_stale" }) : Effect.void)),
    Effect.catch(() => Effect.void)
  )
  yield* Effect.forkScoped(Effect.repeat(pass, options.retry ?? Schedule.spaced("100 millis")))
  // At close (before the writer is stopped): what is queued is written, the store gets one last
  // bounded try, and the journal is left holding exactly what is still open or pending.
  yield* Effect.addFinalizer(() => Effect.andThen(Effect.ignore(drain), flushAndCompact))

  const store: RunStoreShape = {
    start: (run) =>
      Effect.suspend(() => {
        if (run.workspaceId.trim() === "") {
          return Effect.fail(
            new StoreError({
              store: "llm_runs",
              operation: "start",
              message: `workspaceId is required when runs are persisted (run ${run.id} has none)`
            })
          )
        }
        open.set(run.id, run)
        // Not waited for: the row is held here, and `finish` waits for the write carrying both lines.
        return enqueue({ line: `${JSON.stringify({ s: run })}\n` })
      }),
    finish: (id, fields) =>
      Effect.suspend(() => {
        const run = open.get(id)
        if (run === undefined) {
          return Effect.fail(
            new StoreError({ store: "llm_runs", operation: "finish", message: `no run with id ${id} was started here` })
          )
        }
        const row: LlmRun = { ...run, ...fields }
        open.delete(id)
        pending.set(id, row)
        return journalled({ f: row })
      }),
    get: (id) =>
      Effect.suspend(() => {
        const held = pending.get(id) ?? open.get(id)
        return held !== undefined ? Effect.succeed(held) : options.get(id)
      }),
    usage: options.usage
  }
  return { store, pending: () => pending.size, open: () => open.size } satisfies RunJournal
})
