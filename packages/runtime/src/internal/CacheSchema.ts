/**
 * The `idempotency` and `cache` sections of the config file (`@am/cache`'s layers, built by
 * `Cache.ts`): durations decoded to milliseconds, and a cached route that names neither a
 * configured route nor a listed model rejected at its field — a cache entry nothing can ever hit
 * would be accepted and ignored.
 *
 * @internal
 */
import { Effect, Schema } from "effect"
import { PositiveInt, PositiveMillis } from "./ConfigFields.ts"

/** `idempotency`: how long results are replayed and how a key in flight is answered. */
export const Idempotency = Schema.Struct({
  /** How long a finished result is replayed (written `retention`; default 24 hours). */
  retentionMs: Schema.optionalKey(PositiveMillis),
  /** How long a lease outlives a replica that died holding it (written `leaseTtl`; default 30 s). */
  leaseTtlMs: Schema.optionalKey(PositiveMillis),
  /** The `Retry-After` of a `409 idempotency_in_progress` (written `retryAfter`; default 1 s). */
  retryAfterMs: Schema.optionalKey(PositiveMillis),
  /** With `wait`, how long a duplicate waits for the first before its 409 (written `awaitTimeout`; default 60 s). */
  awaitTimeoutMs: Schema.optionalKey(PositiveMillis),
  /** How often a waiter re-checks a key held on another replica (written `pollInterval`; default 100 ms). */
  pollIntervalMs: Schema.optionalKey(PositiveMillis),
  /** A duplicate while the first runs waits for it and replays its answer instead of a 409 (default false). */
  wait: Schema.Boolean.pipe(Schema.withDecodingDefaultKey(Effect.succeed(false)))
}).pipe(
  Schema.encodeKeys({
    retentionMs: "retention",
    leaseTtlMs: "leaseTtl",
    retryAfterMs: "retryAfter",
    awaitTimeoutMs: "awaitTimeout",
    pollIntervalMs: "pollInterval"
  }),
  Schema.withDecodingDefaultKey(Effect.succeed({}))
)
export type Idempotency = typeof Idempotency.Type

/** A cached route: entries live `ttl`, at most `maxEntries` / `maxBytes` (least recently used evicted). */
const RouteCache = Schema.Struct({
  ttlMs: PositiveMillis,
  maxEntries: Schema.optionalKey(PositiveInt),
  maxBytes: Schema.optionalKey(PositiveInt)
}).pipe(Schema.encodeKeys({ ttlMs: "ttl" }))

/** `cache`: the exact-match response cache, opt-in per route (a route not listed is never cached). */
export const Cache = Schema.Struct({
  /** By route name (or model name, for requests that name a model). */
  routes: Schema.Record(Schema.String, RouteCache).pipe(Schema.withDecodingDefaultKey(Effect.succeed({}))),
  /** With a Redis `state.store`: how long a fill lock outlives a replica that died (written `lockTtl`; default 30 s). */
  lockTtlMs: Schema.optionalKey(PositiveMillis),
  /** With a Redis `state.store`: how often a replica waiting on another's fill looks (written `pollInterval`; default 50 ms). */
  pollIntervalMs: Schema.optionalKey(PositiveMillis)
}).pipe(
  Schema.encodeKeys({ lockTtlMs: "lockTtl", pollIntervalMs: "pollInterval" }),
  Schema.withDecodingDefaultKey(Effect.succeed({}))
)
export type Cache = typeof Cache.Type

/** Every cached route names a configured route or a model listed under a provider. */
export const cachedRoutesExist = Schema.makeFilter(
  (config: {
    readonly cache: Cache
    readonly routes: ReadonlyMap<string, unknown>
    readonly providers: ReadonlyMap<string, { readonly models: ReadonlyMap<string, unknown> }>
  }) => {
    for (const name of Object.keys(config.cache.routes)) {
      if (config.routes.has(name)) continue
      if ([...config.providers.values()].some((p) => p.models.has(name))) continue
      return { path: ["cache", "routes", name], issue: `unknown route "${name}" (not a route nor a listed model)` }
    }
    return undefined
  }
)
