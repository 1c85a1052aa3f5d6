// The SQL store on SQLite and the real Postgres (a schema of its own per test): a result
// survives a restart (a new service over the same database replays it), the first live result
// wins over a late second one, expired rows are replaced and purged, and the migration runs once.
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Option, type Scope } from "effect"
import { SqlClient } from "effect/sql"
import { IdempotencySql, IdempotencyStore, type StoredResult } from "../src/index.ts"
import { dropSchemaAfter, pgClient, randomSchema, skipPg, sqliteClient } from "./support.ts"

const T0 = 1_700_000_000_000
const LIVE_UNTIL = Date.now() + 3_600_000
const result = (overrides: Partial<StoredResult> = {}): StoredResult => ({
  workspace: "team-a",
  key: "order-42",
  requestHash: "h1",
  requestId: "req-1",
  value: { choices: [{ message: { content: "ünïcode ✓" } }], usage: { total_tokens: 12 } },
  completedAt: T0,
  expiresAt: LIVE_UNTIL,
  ...overrides
})

const databases: ReadonlyArray<{
  readonly name: string
  readonly skip: boolean
  readonly client: () => Effect.Effect<Layer.Layer<SqlClient.SqlClient, unknown>, never, Scope.Scope>
}> = [
  { name: "sqlite", skip: false, client: () => Effect.succeed(sqliteClient()) },
  {
    name: "postgres",
    skip: skipPg,
    client: () =>
      Effect.gen(function* () {
        const schema = randomSchema()
        yield* dropSchemaAfter(schema)
        return pgClient(schema)
      })
  }
]

for (const db of databases) {
  describe.skipIf(db.skip)(`idempotent results in ${db.name}`, () => {
    it.live("survive a restart, keep the first live result, and purge expired rows", () =>
      Effect.gen(function* () {
        const client = yield* Layer.build(yield* db.client())
        const sql = Context.get(client, SqlClient.SqlClient)
        const storeOn = Effect.map(
          Layer.build(IdempotencySql.layer.pipe(Layer.provide(Layer.succeedContext(client)))),
          (ctx) => Context.get(ctx, IdempotencyStore)
        )
        const first = yield* storeOn
        assert.deepStrictEqual(yield* first.put(result()), result())
        // A late second put (a holder whose lease had expired) does not replace the live result.
        assert.strictEqual((yield* first.put(result({ requestId: "req-late", value: "late" }))).requestId, "req-1")

        // A "restart": a new store over the same database; the migration does not run twice.
        const second = yield* storeOn
        const found = yield* second.get("team-a", "order-42")
        assert.deepStrictEqual(Option.getOrUndefined(found), result())
        assert.isTrue(Option.isNone(yield* second.get("team-b", "order-42")))
        assert.deepStrictEqual(yield* IdempotencySql.migrate.pipe(Effect.provideContext(client)), [])

        // Expired rows: not read, replaced by the next result, removed by purge.
        yield* second.put(result({ key: "old-1", expiresAt: Date.now() - 1 }))
        yield* second.put(result({ key: "old-2", expiresAt: Date.now() - 1 }))
        assert.isTrue(Option.isNone(yield* second.get("team-a", "old-1")))
        const replaced = yield* second.put(result({ key: "old-1", requestId: "req-new" }))
        assert.strictEqual(replaced.requestId, "req-new")
        assert.strictEqual(yield* second.purge, 1)
        const rows = yield* sql<{
          readonly idempotency_key: string
        }>`SELECT idempotency_key FROM ${sql(IdempotencySql.table)} ORDER BY idempotency_key`
        assert.deepStrictEqual(
          rows.map((r) => r.idempotency_key),
          ["old-1", "order-42"]
        )
      }).pipe(Effect.scoped, Effect.orDie)
    )
  })
}
