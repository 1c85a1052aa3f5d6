/**
 * An exact-match response cache. The key is `cacheKey(...)`: workspace, route and the fields
 * that determine the answer, hashed canonically — built from the request **after** the input
 * guards redacted it, and the entry is the answer **before** vault placeholders are restored, so
 * neither ever holds raw PII. Opt-in per route (a route not in `routes` is never cached), with a
 * TTL and bounds (`maxEntries`, `maxBytes`, least recently used evicted first) per route, and per
 * request a mode: `"use"` (default), `"off"` (bypass: no read, no write — `x-am-cache: off`) or
 * `"refresh"` (skip the read, store the new answer — `x-am-cache: refresh`).
 *
 * Concurrent identical misses are coalesced (single-flight): one upstream call per replica, the
 * others wait for its answer (and share its failure); with `layerRedis`, across replicas too — a
 * fill lock in Redis, and the other replicas wait for the entry. A cache that cannot be reached
 * never fails a request: it is a miss (logged), and the call runs.
 *
 * @example
 * ```ts
 * import { ResponseCache } from "@am/cache"
 * import { Effect, Schema } from "effect"
 * const request = { model: "gpt-4o", messages: [{ role: "user" as const, content: "2+2?" }] }
 * const program = Effect.gen(function* () {
 *   const cache = yield* ResponseCache
 *   return yield* cache.getOrCompute(
 *     Schema.String,
 *     { workspace: "team-a", route: "default", request },
 *     Effect.succeed({ requestId: "req-1", value: "4" })
 *   ) // { status: "miss", … }; the same again: { status: "hit", requestId: "req-1", value: "4" }
 * })
 * program.pipe(Effect.provide(ResponseCache.layerMemory({ routes: { default: { ttl: "10 minutes", maxEntries: 1000 } } })))
 * ```
 * @since 0.1.0
 */
import { Tracing } from "@am/core"
import { Cause, Clock, Context, Deferred, Duration, Effect, Exit, Layer, Option, Schedule, Schema } from "effect"
import type { Redis } from "effect/persistence"
import type { CacheConfigError } from "./Errors.ts"
import { positiveInt, positiveMillis } from "./internal/Config.ts"
import { type Leases, makeRedisLeases } from "./internal/Leases.ts"
import { Lru } from "./internal/Lru.ts"
import { makeRedisEntries } from "./internal/RedisEntries.ts"
import { type CacheKeyInput, cacheKey } from "./RequestHash.ts"

/** A route's cache policy. */
export interface RouteCachePolicy {
  /** How long an answer is served from the cache. */
  readonly ttl: Duration.Input
  /** At most this many entries for the route (least recently used evicted first). */
  readonly maxEntries?: number
  /** At most this many bytes of stored answers for the route (UTF-8 of their JSON). */
  readonly maxBytes?: number
}

export interface ResponseCacheConfig {
  /** The routes that are cached, by route name (or model name, when requests name a model). */
  readonly routes: Readonly<Record<string, RouteCachePolicy>>
  /** `layerRedis`: how long a fill lock outlives a replica that stopped extending it; default 30 s. */
  readonly lockTtl?: Duration.Input
  /** `layerRedis`: how often a replica waiting on another's fill looks for the entry; default 50 ms. */
  readonly pollInterval?: Duration.Input
  /** `layerRedis`: key prefix; default `"am:"`. */
  readonly prefix?: string
}

/** Per request: use the cache, bypass it, or refresh the entry. */
export type CacheMode = "use" | "off" | "refresh"

/** `hit`: answered from the cache (no upstream call); `miss`: called and stored; `off`: not cached. */
export type CacheStatus = "hit" | "miss" | "off"

/** An answer and where it came from. */
export interface Cached<A> {
  readonly status: CacheStatus
  /** On a hit, the request id of the call that produced the entry. */
  readonly requestId: string
  readonly value: A
  /** A hit that waited for a concurrent identical miss rather than finding a stored entry. */
  readonly coalesced: boolean
}

/** Counters since the layer was built (a hit rate for operators). */
export interface CacheStats {
  readonly hits: number
  readonly misses: number
  readonly bypassed: number
  readonly coalesced: number
}

export interface ResponseCacheShape {
  /**
   * Answers from the cache, or runs `compute` and stores its answer (in the canonical JSON form of
   * `schema`). Never fails on the cache's account; fails only with `compute`'s error.
   */
  readonly getOrCompute: <A, I, E, R>(
    schema: Schema.Codec<A, I>,
    input: CacheKeyInput & { readonly mode?: CacheMode },
    compute: Effect.Effect<{ readonly requestId: string; readonly value: A }, E, R>
  ) => Effect.Effect<Cached<A>, E, R>
  /** Whether `route` has a cache policy (`cache.routes`): its answers are looked up and stored. */
  readonly caches: (route: string) => boolean
  readonly stats: Effect.Effect<CacheStats>
}

interface Policy {
  readonly ttlMs: number
  readonly maxEntries: number | undefined
  readonly maxBytes: number | undefined
}

/** Where entries live: one replica's LRUs or Redis. Failures are the caller's to absorb. */
interface EntryStore {
  readonly get: (route: string, hash: string, now: number) => Effect.Effect<string | null, unknown>
  readonly set: (
    route: string,
    hash: string,
    json: string,
    policy: Policy,
    now: number
  ) => Effect.Effect<boolean, unknown>
}

const Entry = Schema.fromJsonString(
  Schema.Struct({ requestId: Schema.String, storedAt: Schema.Number, value: Schema.Json })
)
const decodeEntry = Schema.decodeUnknownOption(Entry)
const encodeEntry = Schema.encodeSync(Entry)

const policiesOf = Effect.fnUntraced(function* (config: ResponseCacheConfig) {
  const policies = new Map<string, Policy>()
  for (const [route, policy] of Object.entries(config.routes)) {
    const at = `cache.routes.${route}`
    policies.set(route, {
      ttlMs: yield* positiveMillis(`${at}.ttl`, policy.ttl, "0 millis"),
      maxEntries: yield* positiveInt(`${at}.maxEntries`, policy.maxEntries),
      maxBytes: yield* positiveInt(`${at}.maxBytes`, policy.maxBytes)
    })
  }
  return policies
})

const memoryEntries = (policies: ReadonlyMap<string, Policy>): EntryStore => {
  const lrus = new Map<string, Lru>()
  const lruOf = (route: string, policy: Policy) => {
    let lru = lrus.get(route)
    if (lru === undefined) {
      lru = new Lru(policy)
      lrus.set(route, lru)
    }
    return lru
  }
  return {
    get: (route, hash, now) =>
      Effect.sync(() => {
        const policy = policies.get(route)
        return policy === undefined ? null : (lruOf(route, policy).get(hash, now) ?? null)
      }),
    set: (route, hash, json, policy, now) => Effect.sync(() => lruOf(route, policy).set(hash, json, now))
  }
}

type Flight = Deferred.Deferred<Exit.Exit<Cached<unknown>, unknown> | undefined>

interface Shared {
  readonly leases: Leases<unknown>
  readonly lockTtlMs: number
  readonly pollMs: number
}

const make = Effect.fnUntraced(function* (
  config: ResponseCacheConfig,
  store: (policies: ReadonlyMap<string, Policy>) => EntryStore,
  shared?: Shared
) {
  const policies = yield* policiesOf(config)
  const entries = store(policies)
  const flights = new Map<string, Flight>()
  const counts = { hits: 0, misses: 0, bypassed: 0, coalesced: 0 }

  // The cache fails open: an unreachable store is a miss (or an entry not stored), logged.
  const read = (route: string, hash: string) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => entries.get(route, hash, now)).pipe(
      Effect.map((json) => (json === null ? Option.none() : decodeEntry(json))),
      Effect.catchCause((cause) =>
        Effect.as(Effect.logWarning("response cache: read failed, treated as a miss", cause), Option.none())
      )
    )
  const write = (route: string, hash: string, policy: Policy, requestId: string, value: Schema.Json) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      entries.set(route, hash, encodeEntry({ requestId, storedAt: now, value }), policy, now)
    ).pipe(Effect.catchCause((cause) => Effect.logWarning("response cache: write failed", cause)))

  const getOrCompute = <A, I, E, R>(
    schema: Schema.Codec<A, I>,
    input: CacheKeyInput & { readonly mode?: CacheMode },
    compute: Effect.Effect<{ readonly requestId: string; readonly value: A }, E, R>
  ): Effect.Effect<Cached<A>, E, R> => {
    const mode = input.mode ?? "use"
    const policy = policies.get(input.route)
    if (policy === undefined || mode === "off") {
      // No span of its own: a bypassed call's spans stay children of the caller's (the engine's
      // attempt spans are children of its request span, a contract of the OTLP export).
      return Effect.map(compute, (out) => {
        counts.bypassed++
        return { status: "off" as const, requestId: out.requestId, value: out.value, coalesced: false }
      })
    }
    const codec = Schema.toCodecJson(schema)
    const hash = cacheKey(input)
    const decodeValue = Schema.decodeUnknownOption(codec)
    const lookup = (coalesced: boolean): Effect.Effect<Option.Option<Cached<A>>> =>
      mode === "refresh"
        ? Effect.succeedNone
        : Effect.map(read(input.route, hash), (found) =>
            Option.flatMap(found, (entry) =>
              Option.map(
                decodeValue(entry.value),
                (value): Cached<A> => ({ status: "hit", requestId: entry.requestId, value, coalesced })
              )
            )
          )

    const callAndStore = Effect.flatMap(compute, (out) =>
      Schema.encodeUnknownEffect(codec)(out.value).pipe(
        Effect.flatMap((json) => write(input.route, hash, policy, out.requestId, json)),
        // An answer the schema cannot encode is still answered, just not stored.
        Effect.catchCause((cause) => Effect.logWarning("response cache: answer not encodable, not stored", cause)),
        Effect.as<Cached<A>>({ status: "miss", requestId: out.requestId, value: out.value, coalesced: false })
      )
    )

    // Across replicas: one fill lock per key; the others wait for the entry it stores.
    const fill: Effect.Effect<Cached<A>, E, R> = shared === undefined
      ? callAndStore
      : Effect.suspend(() => {
          const token = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`
          const slot = `lock:${hash}`
          const leader = Effect.scoped(
            Effect.gen(function* () {
              yield* shared.leases
                .extend(slot, token, shared.lockTtlMs)
                .pipe(
                  Effect.ignore,
                  Effect.repeat(Schedule.spaced(Duration.millis(Math.max(1, Math.floor(shared.lockTtlMs / 3))))),
                  Effect.forkScoped
                )
              yield* Effect.addFinalizer(() => Effect.ignore(shared.leases.release(slot, token)))
              // Another replica may have stored it between our read and our lock.
              const again = yield* lookup(true)
              return Option.isSome(again) ? again.value : yield* callAndStore
            })
          )
          const step: Effect.Effect<Option.Option<Cached<A>>, E, R> = shared.leases
            .acquire(slot, "fill", token, shared.lockTtlMs)
            .pipe(
              Effect.catchCause(() => Effect.succeed(undefined)),
              Effect.flatMap((got) =>
                got === undefined || got._tag === "Acquired"
                  ? Effect.map(got === undefined ? callAndStore : leader, Option.some)
                  : Effect.andThen(Effect.sleep(Duration.millis(shared.pollMs)), lookup(true))
              )
            )
          return step.pipe(
            Effect.repeat({ until: Option.isSome }),
            Effect.timeoutOption(Duration.millis(shared.lockTtlMs * 2)),
            Effect.flatMap((found) =>
              Option.isSome(found) && Option.isSome(found.value) ? Effect.succeed(found.value.value) : callAndStore
            )
          )
        })

    // In this replica: the first miss of a key leads, the others wait for its exit.
    const flight: Effect.Effect<Cached<A>, E, R> = Effect.suspend(() => {
      const running = flights.get(hash)
      if (running !== undefined) {
        return Effect.flatMap(Deferred.await(running), (exit) => {
          if (exit === undefined) return flight // the leader was interrupted: try again
          counts.coalesced++
          return Exit.isSuccess(exit)
            ? Effect.succeed({ ...(exit.value as Cached<A>), status: "hit" as const, coalesced: true })
            : Effect.failCause(exit.cause as Cause.Cause<E>)
        })
      }
      const mine: Flight = Deferred.makeUnsafe()
      flights.set(hash, mine)
      return Effect.onExit(
        Effect.flatMap(lookup(false), (found) => (Option.isSome(found) ? Effect.succeed(found.value) : fill)),
        (exit) =>
          Effect.suspend(() => {
            flights.delete(hash)
            const shareable = Exit.isSuccess(exit) || !Cause.hasInterruptsOnly(exit.cause)
            return Deferred.succeed(mine, shareable ? (exit as Exit.Exit<Cached<unknown>, unknown>) : undefined)
          })
      )
    })

    return flight.pipe(
      Effect.tap((cached) =>
        Effect.sync(() => {
          if (cached.status === "hit") counts.hits++
          else counts.misses++
        })
      ),
      Effect.tap((cached) => Effect.annotateCurrentSpan("am.cache.status", cached.status)),
      Tracing.withSpan("ResponseCache.getOrCompute")
    )
  }

  const stats = Effect.sync((): CacheStats => ({ ...counts })).pipe(Tracing.withSpan("ResponseCache.stats"))
  return ResponseCache.of({ getOrCompute, caches: (route) => policies.has(route), stats })
})

/**
 * The response cache. `layerMemory` keeps a bounded LRU per route in the process; `layerRedis`
 * keeps entries in Redis, bounded per route and shared (with single-flight) across replicas.
 *
 * @example
 * ```ts
 * import { ResponseCache } from "@am/cache"
 * const Shared = ResponseCache.layerRedis({ routes: { default: { ttl: "1 hour", maxBytes: 50_000_000 } } })
 * // provide Redis from the host, e.g. NodeRedis.layer({ url: "redis://127.0.0.1:6379" })
 * ```
 */
export class ResponseCache extends Context.Service<ResponseCache, ResponseCacheShape>()("@am/cache/ResponseCache") {
  static layerMemory(config: ResponseCacheConfig): Layer.Layer<ResponseCache, CacheConfigError> {
    return Layer.effect(ResponseCache, make(config, memoryEntries))
  }

  static layerRedis(config: ResponseCacheConfig): Layer.Layer<ResponseCache, CacheConfigError, Redis.Redis> {
    const prefix = `${config.prefix ?? "am:"}cache:`
    return Layer.effect(
      ResponseCache,
      Effect.gen(function* () {
        const redis = yield* makeRedisEntries(prefix)
        const leases = yield* makeRedisLeases(prefix)
        const lockTtlMs = yield* positiveMillis("cache.lockTtl", config.lockTtl, "30 seconds")
        const pollMs = yield* positiveMillis("cache.pollInterval", config.pollInterval, "50 millis")
        return yield* make(config, () => ({ get: redis.get, set: redis.set }), { leases, lockTtlMs, pollMs })
      })
    )
  }
}
