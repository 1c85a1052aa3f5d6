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
 * Durability: the journal is written with `appendFileSync` (in the OS page cache before `start`
 * returns), so it survives the process being killed; it is not fsynced, so a power loss may take
 * the last moments with it.
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
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { type LlmRun, type RunStoreShape, StoreError } from "@am/core"
import { Clock, Effect, Metric, Schedule } from "effect"

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

  const ensureDir = () => mkdirSync(options.spoolDir, { recursive: true, mode: 0o700 })
  const append = (line: Line) =>
    Effect.try(() => {
      ensureDir()
      appendFileSync(path, `${JSON.stringify(line)}\n`, { encoding: "utf8", mode: 0o600 })
      lines++
    }).pipe(Effect.catch((e) => Effect.logError("runs: cannot append to the journal (row kept in memory)", String(e))))
  // Rewrites the journal to what is still open or pending (write then rename: never half-written).
  const compact = Effect.try(() => {
    ensureDir()
    const body = [...[...open.values()].map((s) => ({ s })), ...[...pending.values()].map((f) => ({ f }))]
    const tmp = `${path}.tmp`
    writeFileSync(tmp, body.map((l) => `${JSON.stringify(l)}\n`).join(""), { encoding: "utf8", mode: 0o600 })
    renameSync(tmp, path)
    lines = body.length
  }).pipe(Effect.catch((e) => Effect.logError("runs: cannot compact the journal", String(e))))

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
  yield* compact

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
    Effect.tap(() => (lines > 2 * (open.size + pending.size) + 256 ? compact : Effect.void)),
    Effect.catch(() => Effect.void)
  )
  yield* Effect.forkScoped(Effect.repeat(pass, options.retry ?? Schedule.spaced("100 millis")))
  yield* Effect.addFinalizer(() => Effect.andThen(Effect.ignore(drain), compact))

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
        return append({ s: run })
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
        return append({ f: row })
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
