/**
 * The schema of `@am/store-sql`: one set of migrations for SQLite and PostgreSQL, run with the
 * `effect/sql` Migrator. Types differ by dialect only where they must (64-bit integers,
 * floating point, auto-increment keys); times are epoch milliseconds in integer columns.
 *
 * @example
 * ```ts
 * import { Migrations } from "@am/store-sql"
 * // with a SqlClient in context: applies pending migrations, returns the ids it ran
 * const ran = Migrations.run
 * ```
 * @since 0.1.0
 */
import { Effect } from "effect"
import { Migrator, SqlClient } from "effect/sql"

/** The table the Migrator records applied migrations in. */
export const migrationsTable = "am_store_migrations"

const createTables = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const big = sql.onDialectOrElse({ pg: () => "BIGINT", orElse: () => "INTEGER" })
  const float = sql.onDialectOrElse({ pg: () => "DOUBLE PRECISION", orElse: () => "REAL" })
  const serial = sql.onDialectOrElse({
    pg: () => "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    orElse: () => "INTEGER PRIMARY KEY AUTOINCREMENT"
  })
  // Ledger entries: the entry itself as JSON; the columns beside it are for querying.
  yield* sql.unsafe(`CREATE TABLE ledger_entries (
  seq ${big} PRIMARY KEY,
  request_id TEXT NOT NULL,
  started_at ${big} NOT NULL,
  finished_at ${big} NOT NULL,
  workspace_id TEXT,
  pipeline_run_id TEXT,
  route TEXT NOT NULL,
  outcome TEXT NOT NULL,
  provider TEXT,
  model TEXT,
  prompt_sha256 TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  entry TEXT NOT NULL
)`)
  yield* sql.unsafe(`CREATE INDEX ledger_entries_request_id_idx ON ledger_entries (request_id)`)
  yield* sql.unsafe(`CREATE INDEX ledger_entries_workspace_finished_idx ON ledger_entries (workspace_id, finished_at)`)
  // llm_runs, as in seed 001 §3.
  yield* sql.unsafe(`CREATE TABLE llm_runs (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  pipeline_run_id TEXT,
  stage TEXT,
  idempotency_key TEXT UNIQUE,
  prompt_sha256 TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('STARTED', 'SUCCEEDED', 'FAILED')),
  provider TEXT,
  model TEXT,
  input_tokens ${big},
  output_tokens ${big},
  total_tokens ${big},
  cost_usd ${float},
  latency_ms ${float},
  error_code TEXT,
  created_at ${big} NOT NULL,
  finished_at ${big}
)`)
  yield* sql.unsafe(`CREATE INDEX llm_runs_workspace_created_idx ON llm_runs (workspace_id, created_at)`)
  yield* sql.unsafe(`CREATE INDEX llm_runs_pipeline_run_idx ON llm_runs (pipeline_run_id)`)
  yield* sql.unsafe(`CREATE INDEX llm_runs_prompt_sha256_idx ON llm_runs (prompt_sha256)`)
  // Telemetry events: the event as JSON, with its time, topic and request id beside it.
  yield* sql.unsafe(`CREATE TABLE telemetry_events (
  id ${serial},
  at ${big} NOT NULL,
  topic TEXT NOT NULL,
  request_id TEXT,
  payload TEXT NOT NULL
)`)
  yield* sql.unsafe(`CREATE INDEX telemetry_events_at_idx ON telemetry_events (at)`)
  yield* sql.unsafe(`CREATE INDEX telemetry_events_request_id_idx ON telemetry_events (request_id)`)
})

const runColumnsSql = (big: string, float: string) => `id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  pipeline_run_id TEXT,
  stage TEXT,
  idempotency_key TEXT,
  prompt_sha256 TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('STARTED', 'SUCCEEDED', 'FAILED', 'INTERRUPTED')),
  provider TEXT,
  model TEXT,
  input_tokens ${big},
  output_tokens ${big},
  total_tokens ${big},
  cost_usd ${float},
  latency_ms ${float},
  error_code TEXT,
  created_at ${big} NOT NULL,
  finished_at ${big}`

// `llm_runs` rebuilt (a CHECK and an inline UNIQUE cannot be altered in place on SQLite): the
// status `INTERRUPTED` (a run cut by a crash, finished on restart), and the idempotency key
// unique per workspace instead of globally — two workspaces may use the same key.
const runsPerWorkspaceKeys = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const big = sql.onDialectOrElse({ pg: () => "BIGINT", orElse: () => "INTEGER" })
  const float = sql.onDialectOrElse({ pg: () => "DOUBLE PRECISION", orElse: () => "REAL" })
  yield* sql.unsafe(`CREATE TABLE llm_runs_v2 (
  ${runColumnsSql(big, float)}
)`)
  yield* sql.unsafe(`INSERT INTO llm_runs_v2 SELECT id, workspace_id, pipeline_run_id, stage, idempotency_key,
  prompt_sha256, status, provider, model, input_tokens, output_tokens, total_tokens, cost_usd, latency_ms,
  error_code, created_at, finished_at FROM llm_runs`)
  yield* sql.unsafe(`DROP TABLE llm_runs`)
  yield* sql.unsafe(`ALTER TABLE llm_runs_v2 RENAME TO llm_runs`)
  yield* sql.unsafe(`CREATE INDEX llm_runs_workspace_created_idx ON llm_runs (workspace_id, created_at)`)
  yield* sql.unsafe(`CREATE INDEX llm_runs_pipeline_run_idx ON llm_runs (pipeline_run_id)`)
  yield* sql.unsafe(`CREATE INDEX llm_runs_prompt_sha256_idx ON llm_runs (prompt_sha256)`)
  yield* sql.unsafe(`CREATE INDEX llm_runs_status_idx ON llm_runs (status)`)
  yield* sql.unsafe(
    `CREATE UNIQUE INDEX llm_runs_workspace_idempotency_key_idx ON llm_runs (workspace_id, idempotency_key)`
  )
})

// A replayed request (an idempotency key with a finished result) has its own row, `replay_of`
// naming the original request id. The key stays on every row (the original, the failed attempts a
// retry ran again, the replays), so the unique index covers what must be unique: one answered
// original per workspace and key. Additive on both dialects: a nullable column, and the index
// replaced by a partial one that every existing database already satisfies (the old index was
// stricter).
const runsReplayRows = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`ALTER TABLE llm_runs ADD COLUMN replay_of TEXT`)
  yield* sql.unsafe(`DROP INDEX llm_runs_workspace_idempotency_key_idx`)
  yield* sql.unsafe(
    `CREATE UNIQUE INDEX llm_runs_answered_idempotency_key_idx ON llm_runs (workspace_id, idempotency_key) WHERE replay_of IS NULL AND status = 'SUCCEEDED'`
  )
  yield* sql.unsafe(`CREATE INDEX llm_runs_replay_of_idx ON llm_runs (replay_of)`)
})

/** The migrations, keyed `<id>_<name>` for `Migrator.fromRecord`. */
export const migrations = {
  "1_create_audit_tables": createTables,
  "2_runs_interrupted_and_per_workspace_idempotency": runsPerWorkspaceKeys,
  "3_runs_replay_rows": runsReplayRows
}

/**
 * Applies pending migrations (in one transaction); a second run applies nothing.
 * Returns the `[id, name]` of the migrations it ran.
 */
export const run = Migrator.make({})({ loader: Migrator.fromRecord(migrations), table: migrationsTable })
