/**
 * Remembers models a provider said it doesn't have (404 `model_not_found`, a retired model) so
 * later requests skip them without a call, until a quarantine ends. Model-scoped failures are
 * deliberately not breaker failures (the provider is healthy), so without this every request
 * would pay one wasted call per retired model in its route.
 *
 * `layerMemory` keeps the quarantines in the process; `layerRedis` shares them between gateway
 * replicas, so a model one replica found missing is skipped by all.
 *
 * @example
 * ```ts
 * import { ModelHealth } from "@am/engine"
 * const layer = ModelHealth.layerMemory({ quarantineMs: 300_000 })
 * ```
 * @since 0.1.0
 */
import { Tracing } from "@am/core"
import { Clock, Context, Effect, Layer, Option, Schema, SynchronizedRef } from "effect"
import { Redis } from "effect/persistence"
import { withFallback } from "./internal/Shared.ts"

export interface ModelQuarantine {
  readonly provider: string
  readonly model: string
  readonly until: number
  readonly reason: string
}

export interface ModelHealthShape {
  /** Quarantines in force now, keyed `provider/model`. */
  readonly unavailable: Effect.Effect<ReadonlyMap<string, ModelQuarantine>>
  readonly markUnavailable: (provider: string, model: string, reason: string) => Effect.Effect<void>
}

export interface ModelHealthOptions {
  readonly quarantineMs: number
}

// The quarantines of one process, untraced: the memory layer traces them, the Redis layer
// falls back on them inside its own spans.
const makeLocal = Effect.fnUntraced(function* (options: ModelHealthOptions) {
  const ref = yield* SynchronizedRef.make<ReadonlyMap<string, ModelQuarantine>>(new Map())
  return {
    unavailable: Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.map(SynchronizedRef.get(ref), (m) => {
        if (m.size === 0) return m
        const live = [...m].filter(([, q]) => q.until > now)
        return live.length === m.size ? m : new Map(live)
      })
    ),
    markUnavailable: (provider: string, model: string, reason: string) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        SynchronizedRef.update(ref, (m) =>
          new Map(m).set(`${provider}/${model}`, { provider, model, reason, until: now + options.quarantineMs })
        )
      )
  } satisfies ModelHealthShape
})

const makeMemory = Effect.fnUntraced(function* (options: ModelHealthOptions) {
  const local = yield* makeLocal(options)
  return ModelHealth.of({
    // Untraced on purpose: read on every request's path (see RetryBudget's memory layer).
    unavailable: local.unavailable,
    markUnavailable: Tracing.fn("ModelHealth.markUnavailable")(function* (
      provider: string,
      model: string,
      reason: string
    ) {
      yield* local.markUnavailable(provider, model, reason)
    })
  })
})

const Quarantine = Schema.Struct({
  provider: Schema.String,
  model: Schema.String,
  until: Schema.Number,
  reason: Schema.String
})
const decodeQuarantine = Schema.decodeUnknownOption(Schema.fromJsonString(Quarantine))

// Sets one quarantine (a field of the hash) and keeps the hash alive at least as long as it:
// the hash expires once its last quarantine is over, so nothing is left behind.
const markScript = Redis.script(
  (key: string, field: string, quarantine: string, ttlMillis: number) => [key, field, quarantine, ttlMillis],
  {
    numberOfKeys: 1,
    lua: `
redis.call("HSET", KEYS[1], ARGV[1], ARGV[2])
local ttl = tonumber(ARGV[3])
if redis.call("PTTL", KEYS[1]) < ttl then
  redis.call("PEXPIRE", KEYS[1], ARGV[3])
end
`
  }
)

const makeRedis = Effect.fnUntraced(function* (options: ModelHealthOptions, prefix: string) {
  const redis = yield* Redis.Redis
  const mark = redis.eval(markScript)
  const local = yield* makeLocal(options)
  const shared = withFallback("model health")
  const key = `${prefix}model-health`
  return ModelHealth.of({
    // Every field of the one hash, filtered by this process's clock (as `until` was set by one).
    unavailable: shared(
      Effect.flatMap(redis.send<Array<string>>("HVALS", key), (values) =>
        Effect.map(Clock.currentTimeMillis, (now): ReadonlyMap<string, ModelQuarantine> => {
          const live = new Map<string, ModelQuarantine>()
          for (const value of values) {
            const q = decodeQuarantine(value)
            if (Option.isSome(q) && q.value.until > now) live.set(`${q.value.provider}/${q.value.model}`, q.value)
          }
          return live
        })
      ),
      local.unavailable
    ).pipe(Tracing.withSpan("ModelHealth.unavailable")),
    // Also recorded locally, so an outage keeps what this process learnt.
    markUnavailable: Tracing.fn("ModelHealth.markUnavailable")(function* (
      provider: string,
      model: string,
      reason: string
    ) {
      yield* local.markUnavailable(provider, model, reason)
      const now = yield* Clock.currentTimeMillis
      const quarantine: ModelQuarantine = { provider, model, reason, until: now + options.quarantineMs }
      yield* shared(
        mark(key, `${provider}/${model}`, JSON.stringify(quarantine), Math.max(1, Math.ceil(options.quarantineMs))),
        Effect.void
      )
    })
  })
})

export class ModelHealth extends Context.Service<ModelHealth, ModelHealthShape>()("@am/engine/ModelHealth") {
  static readonly layerMemory = (options: ModelHealthOptions) => Layer.effect(ModelHealth, makeMemory(options))

  /**
   * Quarantines shared by every replica with the same `prefix` (default `"am:"`), in one Redis
   * hash at `<prefix>model-health` (field `provider/model`). `until` comes from the marking
   * process's Clock, so replicas' clocks should agree. `unavailable` is one round trip. If Redis
   * fails, this process uses the quarantines it recorded itself (one warning).
   *
   * @example
   * ```ts
   * import { NodeRedis } from "@effect/platform-node"
   * import { ModelHealth } from "@am/engine"
   * import { Layer } from "effect"
   * const layer = ModelHealth.layerRedis({ quarantineMs: 300_000 }, { prefix: "am:" }).pipe(
   *   Layer.provide(NodeRedis.layer({ url: "redis://127.0.0.1:6379" }))
   * )
   * ```
   */
  static readonly layerRedis = (
    options: ModelHealthOptions,
    redisOptions?: { readonly prefix?: string }
  ): Layer.Layer<ModelHealth, never, Redis.Redis> =>
    Layer.effect(ModelHealth, makeRedis(options, redisOptions?.prefix ?? "am:"))
}
