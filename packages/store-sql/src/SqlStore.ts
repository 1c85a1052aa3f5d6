/**
 * `LedgerStore`, `RunStore` and `EventStore` (from `@am/core`) on any `SqlClient`: the
 * migrations run when the layer is built. The repositories never open or commit a
 * transaction of their own (seed `001_…` §2.1): a write inside the caller's
 * `sql.withTransaction` joins it and is rolled back with it. (A ledger batch larger than one
 * statement is written under a savepoint of the caller's transaction, or a short transaction
 * of its own when there is none, so it lands whole or not at all.)
 *
 * @example
 * ```ts
 * import { SqliteClient, SqlStore } from "@am/store-sql"
 * import { Layer } from "effect"
 * const Stores = SqlStore.layer.pipe(Layer.provideMerge(SqliteClient.layer({ filename: ":memory:" })))
 * ```
 * @since 0.1.0
 */
import {
  EventStore,
  LedgerEntry,
  LedgerStore,
  type LlmRun,
  ResilienceEvent,
  RunStore,
  StoreError,
  Tracing,
  type UsageRow
} from "@am/core"
import { Context, Effect, Layer, Schema } from "effect"
import { type Migrator, SqlClient, type SqlError } from "effect/sql"
import * as Migrations from "./Migrations.ts"
import { makeRunRowWriter, RunRowWriter } from "./RunRows.ts"

// Rows per INSERT: 14 parameters a ledger row keeps a statement well under SQLite's and
// PostgreSQL's bound-parameter limits.
const CHUNK = 500

const decodeEntry = Schema.decodeUnknownSync(LedgerEntry)
const decodeEvent = Schema.decodeUnknownSync(ResilienceEvent)

// SQLite reports a primary-key clash as a plain constraint error whose message says UNIQUE.
const isDuplicate = (error: SqlError.SqlError): boolean =>
  error.reason._tag === "UniqueViolation" ||
  (error.reason._tag === "ConstraintError" && /UNIQUE constraint failed/.test(error.message))

const describe = (error: SqlError.SqlError, unique?: string): string =>
  unique !== undefined && isDuplicate(error) ? `${unique} (${error.message})` : error.message

const storeError =
  (store: string, operation: string, unique?: string) =>
  (error: SqlError.SqlError): StoreError =>
    new StoreError({
      store,
      operation,
      message: describe(error, unique),
      ...(unique !== undefined && isDuplicate(error) ? { conflict: true } : {})
    })

const decodeWith = <A>(store: string, operation: string, f: () => A): Effect.Effect<A, StoreError> =>
  Effect.try({
    try: f,
    catch: (cause) =>
      new StoreError({ store, operation, message: `stored row does not decode: ${String(cause).slice(0, 300)}` })
  })

// Drivers return 64-bit integers and SUMs as strings or bigints; the domain wants numbers.
const num = (value: unknown): number => (typeof value === "number" ? value : Number(value))
const optNum = (value: unknown): number | undefined => (value === null || value === undefined ? undefined : num(value))
const optStr = (value: unknown): string | undefined =>
  value === null || value === undefined ? undefined : String(value)
const ms = (value: number): number => Math.trunc(value)

const chunks = <A>(items: ReadonlyArray<A>): ReadonlyArray<ReadonlyArray<A>> =>
  Array.from({ length: Math.ceil(items.length / CHUNK) }, (_, i) => items.slice(i * CHUNK, (i + 1) * CHUNK))

/** Builds the `LedgerStore` on a `SqlClient` (table `ledger_entries`). */
export const makeLedgerStore = (sql: SqlClient.SqlClient): LedgerStore["Service"] => {
  const insert = (entries: ReadonlyArray<LedgerEntry>) =>
    sql`INSERT INTO ledger_entries ${sql.insert(
      entries.map((e) => ({
        seq: e.seq,
        request_id: e.requestId,
        started_at: ms(e.startedAt),
        finished_at: ms(e.finishedAt),
        workspace_id: e.workspaceId ?? null,
        pipeline_run_id: e.pipelineRunId ?? null,
        route: e.route,
        outcome: e.outcome,
        provider: e.provider ?? null,
        model: e.model ?? null,
        prompt_sha256: e.promptSha256,
        prev_hash: e.prevHash,
        hash: e.hash,
        entry: JSON.stringify(e)
      })) as never
    )}`
  const toEntries = (operation: string) => (rows: ReadonlyArray<{ readonly entry: unknown }>) =>
    decodeWith("ledger_entries", operation, () => rows.map((r) => decodeEntry(JSON.parse(String(r.entry)))))
  return {
    append: Tracing.fn("LedgerStore.append")(function* (entries) {
      if (entries.length === 0) return
      const parts = chunks(entries)
      const write = Effect.forEach(parts, insert, { discard: true })
      yield* (parts.length === 1 ? write : sql.withTransaction(write)).pipe(
        Effect.mapError(storeError("ledger_entries", "append", "duplicate seq: an entry with that seq already exists"))
      )
    }),
    head: sql<{ seq: unknown; hash: string }>`SELECT seq, hash FROM ledger_entries ORDER BY seq DESC LIMIT 1`.pipe(
      Effect.map((rows) => (rows[0] === undefined ? undefined : { seq: num(rows[0].seq), hash: rows[0].hash })),
      Effect.mapError(storeError("ledger_entries", "head")),
      Tracing.withSpan("LedgerStore.head")
    ),
    range: Tracing.fn("LedgerStore.range")(function* (fromSeq, limit) {
      if (limit <= 0) return []
      const rows = yield* sql<{
        entry: unknown
      }>`SELECT entry FROM ledger_entries WHERE seq >= ${Math.ceil(fromSeq)} ORDER BY seq ASC LIMIT ${Math.trunc(limit)}`.pipe(
        Effect.mapError(storeError("ledger_entries", "range"))
      )
      return yield* toEntries("range")(rows)
    }),
    byRequestId: Tracing.fn("LedgerStore.byRequestId")(function* (requestId) {
      const rows = yield* sql<{
        entry: unknown
      }>`SELECT entry FROM ledger_entries WHERE request_id = ${requestId} ORDER BY seq DESC LIMIT 1`.pipe(
        Effect.mapError(storeError("ledger_entries", "byRequestId"))
      )
      const entries = yield* toEntries("byRequestId")(rows)
      return entries[0]
    })
  }
}

const runColumns = {
  pipelineRunId: "pipeline_run_id",
  stage: "stage",
  idempotencyKey: "idempotency_key",
  status: "status",
  provider: "provider",
  model: "model",
  inputTokens: "input_tokens",
  outputTokens: "output_tokens",
  totalTokens: "total_tokens",
  costUsd: "cost_usd",
  latencyMs: "latency_ms",
  errorCode: "error_code",
  finishedAt: "finished_at",
  replayOf: "replay_of"
} as const

const toRun = (row: Record<string, unknown>): LlmRun => {
  const optional = {
    pipelineRunId: optStr(row.pipeline_run_id),
    stage: optStr(row.stage),
    idempotencyKey: optStr(row.idempotency_key),
    provider: optStr(row.provider),
    model: optStr(row.model),
    inputTokens: optNum(row.input_tokens),
    outputTokens: optNum(row.output_tokens),
    totalTokens: optNum(row.total_tokens),
    costUsd: optNum(row.cost_usd),
    latencyMs: optNum(row.latency_ms),
    errorCode: optStr(row.error_code),
    finishedAt: optNum(row.finished_at),
    replayOf: optStr(row.replay_of)
  }
  return {
    id: String(row.id),
    workspaceId: String(row.workspace_id),
    promptSha256: String(row.prompt_sha256),
    status: row.status as LlmRun["status"],
    createdAt: num(row.created_at),
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined))
  }
}

/** Builds the `RunStore` on a `SqlClient` (table `llm_runs`). */
export const makeRunStore = (sql: SqlClient.SqlClient): RunStore["Service"] => ({
  start: Tracing.fn("RunStore.start")(function* (run) {
    // Seed 001 §2.3: with persistence on, a run without a workspace is a contract error.
    if (run.workspaceId.trim() === "") {
      return yield* new StoreError({
        store: "llm_runs",
        operation: "start",
        message: `workspaceId is required when runs are persisted (run ${run.id} has none)`
      })
    }
    const row: Record<string, unknown> = {
      id: run.id,
      workspace_id: run.workspaceId,
      prompt_sha256: run.promptSha256,
      created_at: ms(run.createdAt)
    }
    for (const [key, column] of Object.entries(runColumns)) {
      const value = (run as Record<string, unknown>)[key]
      row[column] = value === undefined ? null : key === "finishedAt" ? ms(value as number) : value
    }
    yield* sql`INSERT INTO llm_runs ${sql.insert(row)}`.pipe(
      Effect.mapError((error) =>
        storeError(
          "llm_runs",
          "start",
          /idempotency_key/.test(
            `${error.message} ${error.reason._tag === "UniqueViolation" ? error.reason.constraint : ""}`
          )
            ? `duplicate idempotency_key: a run with key "${run.idempotencyKey}" is already recorded`
            : `duplicate run id: ${run.id} is already recorded`
        )(error)
      )
    )
  }),
  finish: Tracing.fn("RunStore.finish")(function* (id, fields) {
    const set: Record<string, unknown> = {}
    for (const [key, column] of Object.entries(runColumns)) {
      const value = (fields as Record<string, unknown>)[key]
      if (value !== undefined) set[column] = key === "finishedAt" ? ms(value as number) : value
    }
    const rows = yield* sql`UPDATE llm_runs SET ${sql.update(set)} WHERE id = ${id} RETURNING id`.pipe(
      Effect.mapError(storeError("llm_runs", "finish", "duplicate idempotency_key"))
    )
    if (rows.length === 0) {
      return yield* new StoreError({ store: "llm_runs", operation: "finish", message: `no run with id ${id}` })
    }
  }),
  get: Tracing.fn("RunStore.get")(function* (id) {
    const rows = yield* sql<Record<string, unknown>>`SELECT * FROM llm_runs WHERE id = ${id}`.pipe(
      Effect.mapError(storeError("llm_runs", "get"))
    )
    return rows[0] === undefined ? undefined : toRun(rows[0])
  }),
  usage: Tracing.fn("RunStore.usage")(function* (options) {
    const rows = yield* sql<Record<string, unknown>>`SELECT workspace_id,
  COALESCE(provider, 'unknown') AS provider,
  COALESCE(model, 'unknown') AS model,
  COUNT(*) AS requests,
  COALESCE(SUM(input_tokens), 0) AS input_tokens,
  COALESCE(SUM(output_tokens), 0) AS output_tokens,
  COALESCE(SUM(cost_usd), 0) AS cost_usd
FROM llm_runs
WHERE created_at >= ${Math.ceil(options.from)} AND created_at < ${Math.ceil(options.to)}${
      options.workspaceId === undefined ? sql`` : sql` AND workspace_id = ${options.workspaceId}`
    }
GROUP BY workspace_id, COALESCE(provider, 'unknown'), COALESCE(model, 'unknown')
ORDER BY workspace_id, provider, model`.pipe(Effect.mapError(storeError("llm_runs", "usage")))
    return rows.map(
      (r): UsageRow => ({
        workspaceId: String(r.workspace_id),
        provider: String(r.provider),
        model: String(r.model),
        requests: num(r.requests),
        inputTokens: num(r.input_tokens),
        outputTokens: num(r.output_tokens),
        costUsd: num(r.cost_usd)
      })
    )
  })
})

/** Builds the `EventStore` on a `SqlClient` (table `telemetry_events`). */
export const makeEventStore = (sql: SqlClient.SqlClient): EventStore["Service"] => ({
  write: Tracing.fn("EventStore.write")(function* (events) {
    if (events.length === 0) return
    const parts = chunks(events)
    const write = Effect.forEach(
      parts,
      (part) =>
        sql`INSERT INTO telemetry_events ${sql.insert(
          part.map((e) => ({
            at: ms(e.at),
            topic: e.topic,
            request_id: e.requestId ?? null,
            payload: JSON.stringify(e)
          })) as never
        )}`,
      { discard: true }
    )
    yield* (parts.length === 1 ? write : sql.withTransaction(write)).pipe(
      Effect.mapError(storeError("telemetry_events", "write"))
    )
  }),
  since: Tracing.fn("EventStore.since")(function* (at, limit) {
    if (limit <= 0) return []
    const rows = yield* sql<{
      payload: unknown
    }>`SELECT payload FROM telemetry_events WHERE at >= ${Math.ceil(at)} ORDER BY at ASC, id ASC LIMIT ${Math.trunc(limit)}`.pipe(
      Effect.mapError(storeError("telemetry_events", "since"))
    )
    return yield* decodeWith("telemetry_events", "since", () =>
      rows.map((r) => decodeEvent(JSON.parse(String(r.payload))))
    )
  })
})

/** A backend could not be reached or opened (the message never carries the URL's password). */
export const connectError =
  (backend: string) =>
  (error: SqlError.SqlError): StoreError =>
    new StoreError({ store: backend, operation: "connect", message: error.message })

/** The store's configuration is invalid. */
export const configError = (message: string): StoreError =>
  new StoreError({ store: "config", operation: "configure", message })

/** Runs the migrations, failing with a `StoreError` naming the migration step. */
export const migrate: Effect.Effect<
  ReadonlyArray<readonly [id: number, name: string]>,
  StoreError,
  SqlClient.SqlClient
> = Migrations.run.pipe(
  Effect.mapError(
    (error: Migrator.MigrationError | SqlError.SqlError) =>
      new StoreError({ store: "migrations", operation: "migrate", message: error.message })
  )
)

/**
 * Provides `LedgerStore`, `RunStore`, `EventStore` and the `RunRowWriter` (whole-row, idempotent
 * `llm_runs` writes) on the `SqlClient` in context, after running the migrations.
 */
export const layer: Layer.Layer<LedgerStore | RunStore | EventStore | RunRowWriter, StoreError, SqlClient.SqlClient> =
  Layer.effectContext(
    Effect.gen(function* () {
      yield* migrate
      const sql = yield* SqlClient.SqlClient
      return Context.make(LedgerStore, makeLedgerStore(sql)).pipe(
        Context.add(RunStore, makeRunStore(sql)),
        Context.add(EventStore, makeEventStore(sql)),
        Context.add(RunRowWriter, makeRunRowWriter(sql))
      )
    })
  )
