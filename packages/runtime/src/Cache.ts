/**
 * `@am/cache` for a config, the same in every host: idempotency keys and the response cache.
 *
 * - **Idempotency** — leases in Redis when `state.store` is a `redis://` URL (a key in flight on
 *   any replica is seen by all), else in the process; results in the ledger's SQL database when
 *   `ledger.store` is `sqlite:`/`postgres://` (they survive a restart and every replica on the
 *   database replays them), else in Redis with a Redis `state.store`, else in the process. `idempotency.*` sets retention, lease, retry-after
 *   and waiting.
 * - **Response cache** — `cache.routes` opts routes in (TTL, `maxEntries`, `maxBytes`); entries in
 *   Redis with a `redis://` `state.store` (shared, single-flight across replicas), else in the
 *   process.
 *
 * - **Replays** — `replayRecorders`: where a host records a replayed request (`@am/cache`'s
 *   `recordReplay`): the `Ledger`, and the `RunStore` when the engine keeps `llm_runs` rows (a
 *   durable `ledger.store`) — so a replay, like every accepted request, has exactly one row.
 *
 * Redis commands go through `layerStateRedis` (bounded by `state.commandTimeout`, behind a
 * breaker); keys live under `state.prefix`. A bad value fails the layer with `ConfigError` naming
 * the field (the config schema already checks them, so this is a second line).
 *
 * @example
 * ```ts
 * import { layerCache, loadConfig } from "@am/runtime"
 * import { Effect, Layer } from "effect"
 * declare const raw: unknown
 * const CacheLive = Layer.unwrap(Effect.map(loadConfig(raw), (config) => layerCache(config)))
 * ```
 * @since 0.1.0
 */
import {
  type CacheConfigError,
  Idempotency,
  type ReplayRecorders,
  type IdempotencyConfig,
  IdempotencySql,
  IdempotencyStore,
  ResponseCache,
  type ResponseCacheConfig
} from "@am/cache"
import { Ledger, RunStore } from "@am/core"
import { RequestRecorder } from "@am/engine"
import { StoreUrl } from "@am/store-sql"
import { Cause, Effect, Layer, Option } from "effect"
import type { Redis } from "effect/persistence"
import { type AmConfig, ConfigError } from "./Config.ts"
import { layerStateRedis } from "./StateRedis.ts"
import { StoreHealth } from "./StoreHealth.ts"

export { Idempotency, ResponseCache } from "@am/cache"

const defined = <A extends Record<string, unknown>>(fields: A) =>
  Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as {
    readonly [K in keyof A]: Exclude<A[K], undefined>
  }

/** The `@am/cache` idempotency options of a config (`state.prefix` namespaces its Redis keys). */
export const idempotencyConfigOf = (config: AmConfig): IdempotencyConfig => {
  const i = config.idempotency
  return defined({
    retention: i.retentionMs,
    leaseTtl: i.leaseTtlMs,
    retryAfter: i.retryAfterMs,
    awaitTimeout: i.awaitTimeoutMs,
    pollInterval: i.pollIntervalMs,
    prefix: config.state.prefix
  })
}

/** The `@am/cache` response-cache options of a config. */
export const responseCacheConfigOf = (config: AmConfig): ResponseCacheConfig => ({
  routes: Object.fromEntries(
    Object.entries(config.cache.routes).map(([route, p]) => [
      route,
      defined({ ttl: p.ttlMs, maxEntries: p.maxEntries, maxBytes: p.maxBytes })
    ])
  ),
  ...defined({
    lockTtl: config.cache.lockTtlMs,
    pollInterval: config.cache.pollIntervalMs,
    prefix: config.state.prefix
  })
})

/** A field `@am/cache` cannot honour, as the config error naming it. */
const refuse = <A>(e: CacheConfigError): Layer.Layer<A, ConfigError> =>
  Layer.effectDiscard(Effect.fail(new ConfigError({ path: e.field, message: e.detail }))) as never

/**
 * Idempotent results in the ledger's SQL database (its own table and migrations); with a memory
 * ledger, in Redis when the state is (so replicas still replay each other's results), else in the
 * process. A database unreachable at start falls back to the process (logged) rather than
 * stopping the host, as the ledger itself starts degraded.
 */
const layerResults = (config: AmConfig, redis: Layer.Layer<Redis.Redis> | undefined): Layer.Layer<IdempotencyStore> =>
  !StoreUrl.isSql(config.ledger.store) && redis !== undefined
    ? IdempotencyStore.layerRedis({ prefix: config.state.prefix }).pipe(Layer.provide(redis))
    : StoreUrl.isSql(config.ledger.store)
      ? IdempotencySql.layer.pipe(
          Layer.provide(StoreUrl.layer(config.ledger.store)),
          Layer.catchCause((cause) =>
            Layer.effectDiscard(
              Effect.logWarning(
                "idempotency: the SQL store is unreachable; results are kept in this process",
                Cause.pretty(cause)
              )
            ).pipe(Layer.provideMerge(IdempotencyStore.layerMemory))
          )
        )
      : IdempotencyStore.layerMemory

/** Redis for `@am/cache`, or `undefined` for a memory `state.store`. */
const redisOf = (config: AmConfig): Layer.Layer<Redis.Redis> | undefined =>
  config.state.store === "memory"
    ? undefined
    : layerStateRedis(
        config.state.store,
        config.state.commandTimeoutMs !== undefined ? { commandTimeoutMs: config.state.commandTimeoutMs } : undefined
      ).pipe(Layer.provide(StoreHealth.layer))

/** `Idempotency` for a config (see the module doc). */
export const layerIdempotency = (
  config: AmConfig,
  redis: Layer.Layer<Redis.Redis> | undefined = redisOf(config)
): Layer.Layer<Idempotency, ConfigError> => {
  const options = idempotencyConfigOf(config)
  const service =
    redis === undefined ? Idempotency.layer(options) : Idempotency.layerRedis(options).pipe(Layer.provide(redis))
  return service.pipe(
    Layer.provide(layerResults(config, redis)),
    Layer.catchTag("CacheConfigError", refuse<Idempotency>)
  )
}

/** `ResponseCache` for a config (see the module doc); a config without `cache.routes` caches nothing. */
export const layerResponseCache = (
  config: AmConfig,
  redis: Layer.Layer<Redis.Redis> | undefined = redisOf(config)
): Layer.Layer<ResponseCache, ConfigError> => {
  const options = responseCacheConfigOf(config)
  const service =
    redis === undefined || Object.keys(options.routes).length === 0
      ? ResponseCache.layerMemory(options)
      : ResponseCache.layerRedis(options).pipe(Layer.provide(redis))
  return service.pipe(Layer.catchTag("CacheConfigError", refuse<ResponseCache>))
}

/** Both services over one Redis connection (when `state.store` is Redis). */
export const layerCache = (config: AmConfig): Layer.Layer<Idempotency | ResponseCache, ConfigError> => {
  const redis = redisOf(config)
  return Layer.merge(layerIdempotency(config, redis), layerResponseCache(config, redis))
}

/**
 * Where this host records replays (`@am/cache`'s `recordReplay`): the `Ledger` when there is one,
 * and the `RunStore` only where the engine keeps `llm_runs` rows too (its `RequestRecorder`
 * requires a workspace: a durable `ledger.store`) — a memory ledger keeps entries, no rows.
 */
export const replayRecorders: Effect.Effect<ReplayRecorders> = Effect.gen(function* () {
  const ledger = yield* Effect.serviceOption(Ledger)
  const recorder = yield* Effect.serviceOption(RequestRecorder)
  const runs = yield* Effect.serviceOption(RunStore)
  const keepsRuns = Option.isSome(recorder) && recorder.value.requiresWorkspace
  return {
    ledger: Option.getOrUndefined(ledger),
    runs: keepsRuns ? Option.getOrUndefined(runs) : undefined
  }
})
