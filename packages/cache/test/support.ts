// What the idempotency tests run against: the backends (memory, SQLite, Redis, Redis + the real
// Postgres), each giving two "replicas". Memory and SQLite-with-process-leases are one replica
// (both handles are the same service); the Redis backends are two services, each with its own
// connection, sharing one key prefix (and, for Postgres, one schema of its own per test).
import { PgStore, SqliteClient } from "@am/store-sql"
import { reachable } from "@am/testkit"
import { Context, Effect, Layer, Ref, type Scope } from "effect"
import { SqlClient } from "effect/sql"
import { Idempotency, type IdempotencyConfig, IdempotencySql, IdempotencyStore } from "../src/index.ts"
import { cleanupAfter, connection, skipRedis, uniquePrefix } from "./redis.ts"

export const pgUrl = process.env.AM_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test"
export const skipPg = process.env.AM_TEST_SKIP_PG === "1"
if (skipPg) console.warn("@am/cache tests: AM_TEST_SKIP_PG=1, Postgres cases skipped")
else if (!(await reachable(pgUrl, 5432)))
  console.warn(`@am/cache tests: no PostgreSQL at ${pgUrl}; Postgres cases will fail`)

export const randomSchema = () => `am_cache_test_${Math.random().toString(36).slice(2, 10)}`

/** A SqlClient on the machine's Postgres in `schema` (created if missing). */
export const pgClient = (schema: string) =>
  Layer.effect(SqlClient.SqlClient, Effect.service(SqlClient.SqlClient)).pipe(
    Layer.provide(PgStore.layer({ url: pgUrl, schema, maxConnections: 4 }))
  )

/** Drops `schema` when the test's scope closes. */
export const dropSchemaAfter = (schema: string) =>
  Effect.addFinalizer(() =>
    Effect.flatMap(Effect.service(SqlClient.SqlClient), (sql) =>
      sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    ).pipe(Effect.provide(pgClient(schema)), Effect.ignore)
  )

export const sqliteClient = () => SqliteClient.layer({ filename: ":memory:" })

type Service = Idempotency["Service"]

const build = <E>(layer: Layer.Layer<Idempotency, E>) =>
  Effect.map(Layer.build(layer), (ctx) => Context.get(ctx, Idempotency)).pipe(Effect.orDie)

export interface Backend {
  readonly name: string
  readonly skip: boolean
  /** Two replicas sharing state (the same one twice where the backend cannot span processes). */
  readonly replicas: (config?: IdempotencyConfig) => Effect.Effect<readonly [Service, Service], never, Scope.Scope>
  /** Whether in-flight leases are seen across the two replicas. */
  readonly shared: boolean
}

const redisReplica = (config: IdempotencyConfig, prefix: string, results: Layer.Layer<IdempotencyStore, unknown>) =>
  build(Idempotency.layerRedis({ ...config, prefix }).pipe(Layer.provide(results), Layer.provide(connection())))

export const backends: ReadonlyArray<Backend> = [
  {
    name: "memory",
    skip: false,
    shared: false,
    replicas: (config = {}) => Effect.map(build(Idempotency.layerMemory(config)), (one) => [one, one] as const)
  },
  {
    name: "sqlite",
    skip: false,
    shared: false,
    replicas: (config = {}) =>
      Effect.map(
        build(Idempotency.layer(config).pipe(Layer.provide(IdempotencySql.layer), Layer.provide(sqliteClient()))),
        (one) => [one, one] as const
      )
  },
  {
    name: "redis",
    skip: skipRedis,
    shared: true,
    replicas: (config = {}) =>
      Effect.gen(function* () {
        const prefix = uniquePrefix()
        yield* cleanupAfter(prefix)
        const results = IdempotencyStore.layerRedis({ prefix }).pipe(Layer.provide(connection()))
        return [yield* redisReplica(config, prefix, results), yield* redisReplica(config, prefix, results)] as const
      })
  },
  {
    name: "redis + postgres",
    skip: skipRedis || skipPg,
    shared: true,
    replicas: (config = {}) =>
      Effect.gen(function* () {
        const prefix = uniquePrefix()
        const schema = randomSchema()
        yield* cleanupAfter(prefix)
        yield* dropSchemaAfter(schema)
        const results = () => IdempotencySql.layer.pipe(Layer.provide(pgClient(schema)))
        const a = yield* redisReplica(config, prefix, results())
        return [a, yield* redisReplica(config, prefix, results())] as const
      })
  }
]

/** A fake upstream: counts its calls; each call answers with a request id of its own. */
export const makeUpstream = Effect.gen(function* () {
  const calls = yield* Ref.make(0)
  const call = (value: string) =>
    Effect.map(
      Ref.updateAndGet(calls, (n) => n + 1),
      (n) => ({ requestId: `req-${n}`, value })
    )
  return { calls: Ref.get(calls), call }
})
