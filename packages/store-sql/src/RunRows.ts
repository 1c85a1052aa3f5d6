/**
 * Writes whole `llm_runs` rows in batches, idempotently: each row is inserted, or — when a row
 * with its id is already there (a replay after a crash between the write and the spool's trim) —
 * updated to the same values. A finished row is never turned back into `INTERRUPTED`. The
 * host's durable run journal (`@am/runtime`) writes through this, one write per request (start
 * and finish merged), so every accepted request ends as exactly one row whatever the store did.
 *
 * One answered original per workspace and idempotency key: a failed run under the key (which a
 * retry may run again) and the replays of the answer (`replayOf` set, cost 0) keep the key too.
 * When a row would be a second answered original of its key, it is still written — without the
 * key (`idempotency_key` NULL) — and the conflict is logged: no insert loses a row.
 *
 * @example
 * ```ts
 * import { RunRows } from "@am/store-sql"
 * import { Effect } from "effect"
 * declare const rows: ReadonlyArray<import("@am/core").LlmRun>
 * const write = Effect.flatMap(Effect.service(RunRows.RunRowWriter), (w) => w.write(rows))
 * ```
 * @since 0.1.0
 */
import { type LlmRun, StoreError, Tracing } from "@am/core"
import { Context, Effect } from "effect"
import type { SqlClient, SqlError } from "effect/sql"

/** Writes finished `llm_runs` rows (insert or idempotent update by id). */
export interface RunRowWriterShape {
  readonly write: (rows: ReadonlyArray<LlmRun>) => Effect.Effect<void, StoreError>
}

export class RunRowWriter extends Context.Service<RunRowWriter, RunRowWriterShape>()("@am/store-sql/RunRowWriter") {}

// 18 parameters a row: 400 rows keep a statement under SQLite's and PostgreSQL's limits.
const CHUNK = 400

const COLUMNS = [
  "workspace_id",
  "pipeline_run_id",
  "stage",
  "idempotency_key",
  "prompt_sha256",
  "status",
  "provider",
  "model",
  "input_tokens",
  "output_tokens",
  "total_tokens",
  "cost_usd",
  "latency_ms",
  "error_code",
  "created_at",
  "finished_at",
  "replay_of"
] as const

const toRow = (run: LlmRun, withKey = true): Record<string, unknown> => ({
  id: run.id,
  workspace_id: run.workspaceId,
  pipeline_run_id: run.pipelineRunId ?? null,
  stage: run.stage ?? null,
  idempotency_key: withKey ? (run.idempotencyKey ?? null) : null,
  prompt_sha256: run.promptSha256,
  status: run.status,
  provider: run.provider ?? null,
  model: run.model ?? null,
  input_tokens: run.inputTokens ?? null,
  output_tokens: run.outputTokens ?? null,
  total_tokens: run.totalTokens ?? null,
  cost_usd: run.costUsd ?? null,
  latency_ms: run.latencyMs ?? null,
  error_code: run.errorCode ?? null,
  created_at: Math.trunc(run.createdAt),
  finished_at: run.finishedAt === undefined ? null : Math.trunc(run.finishedAt),
  replay_of: run.replayOf ?? null
})

const isUnique = (error: SqlError.SqlError): boolean =>
  error.reason._tag === "UniqueViolation" ||
  (error.reason._tag === "ConstraintError" && /UNIQUE constraint failed/.test(error.message))

const toStoreError = (error: SqlError.SqlError) =>
  new StoreError({ store: "llm_runs", operation: "write", message: error.message })

/** Builds the writer on a `SqlClient` (table `llm_runs`, migration 3 or later). */
export const makeRunRowWriter = (sql: SqlClient.SqlClient): RunRowWriterShape => {
  const set = COLUMNS.map((c) => `${c} = excluded.${c}`).join(", ")
  const upsert = (rows: ReadonlyArray<Record<string, unknown>>) =>
    sql`INSERT INTO llm_runs ${sql.insert(rows as never)} ON CONFLICT (id) DO UPDATE SET ${sql.literal(set)} WHERE excluded.status <> 'INTERRUPTED' OR llm_runs.status = 'STARTED'`
  // One row at a time, after a batch hit a unique index: a taken idempotency key is dropped
  // from that row (and logged) so the row itself still lands.
  const oneByOne = (runs: ReadonlyArray<LlmRun>) =>
    Effect.forEach(
      runs,
      (run) =>
        upsert([toRow(run)]).pipe(
          Effect.catchIf(
            (e) => isUnique(e) && run.idempotencyKey !== undefined,
            () =>
              Effect.andThen(
                Effect.logWarning(
                  "llm_runs: idempotency key already answered in this workspace; row kept without it"
                ).pipe(Effect.annotateLogs({ runId: run.id, workspaceId: run.workspaceId })),
                upsert([toRow(run, false)])
              )
          )
        ),
      { discard: true }
    )
  return {
    write: Tracing.fn("RunRowWriter.write")(function* (input: ReadonlyArray<LlmRun>) {
      // One row per id in a statement (an upsert may not touch a row twice); the last one wins.
      const runs = [...new Map(input.map((r) => [r.id, r] as const)).values()]
      for (let i = 0; i < runs.length; i += CHUNK) {
        const part = runs.slice(i, i + CHUNK)
        yield* upsert(part.map((r) => toRow(r))).pipe(
          Effect.catchIf(isUnique, () => oneByOne(part)),
          Effect.mapError(toStoreError)
        )
      }
    })
  }
}
