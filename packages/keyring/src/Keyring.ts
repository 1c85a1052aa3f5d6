/**
 * API-key pools per provider: lease a healthy key for a (provider, model), feed back what the
 * call did, and let the pool cool down, disable and heal keys.
 *
 * @example
 * ```ts
 * import { ApiKey, EventBus } from "@am/core"
 * import { Keyring } from "@am/keyring"
 * import { Effect, Layer, Redacted } from "effect"
 *
 * const layer = Keyring.layerMemory({
 *   pools: { primary: { keys: [ApiKey.make("k1", Redacted.make("sk-1")), ApiKey.make("k2", Redacted.make("sk-2"))] } }
 * }).pipe(Layer.provide(EventBus.layerNoop))
 *
 * const program = Effect.gen(function* () {
 *   const keyring = yield* Keyring
 *   const key = yield* keyring.lease("primary", "gpt-4o")
 *   // … call the provider with Redacted.value(key.secret) …
 *   yield* keyring.report("primary", "gpt-4o", key.id, { _tag: "Success" })
 * })
 * Effect.runPromise(Effect.provide(program, layer))
 * ```
 * @since 0.1.0
 */
import { type ApiKey, type Classification, EventBus, type EventInput } from "@am/core"
import { Clock, Context, type Duration, Effect, Layer, Random, Ref, Schema } from "effect"
import type { Redis } from "effect/persistence"
import * as Pool from "./internal/Pool.ts"
import { resolvePolicy } from "./internal/Policy.ts"
import { makeRedisCell, type PoolCell } from "./internal/Shared.ts"

/**
 * How a pool picks among its healthy keys: `round-robin` (default) rotates; `weighted` draws at
 * random in proportion to each key's `weight` (default 1); `least-penalized` takes the key with
 * the lowest penalty score, rotating among ties.
 */
export type SelectionStrategy = Pool.SelectionStrategy

/**
 * One provider's keys.
 *
 * @example
 * ```ts
 * import { ApiKey } from "@am/core"
 * import type { KeyPoolConfig } from "@am/keyring"
 * import { Redacted } from "effect"
 * const pool: KeyPoolConfig = {
 *   strategy: "weighted",
 *   keys: [{ ...ApiKey.make("big", Redacted.make("sk-a")), weight: 3 }, ApiKey.make("small", Redacted.make("sk-b"))]
 * }
 * ```
 */
export interface KeyPoolConfig {
  readonly keys: ReadonlyArray<ApiKey & { readonly weight?: number }>
  readonly strategy?: SelectionStrategy
}

/** How failures are answered and how keys heal. Every field has a default. */
export interface KeyringPolicy {
  /** Cool-down of a rate-limited (key, model) = max(Retry-After, backoff(consecutive rate limits)); 1 s .. 60 s. */
  readonly rateLimitBackoff?: { base: Duration.Input; max: Duration.Input }
  /** Key-wide cool-down after `quota_exhausted` (or the Retry-After, if longer); default "1 hour". */
  readonly quotaCooldown?: Duration.Input
  /** When an auth/permission-disabled key goes back on probation; default "never" (until `enable()`). */
  readonly disabledRecheck?: Duration.Input | "never"
  /** Key-wide cool-down for other key-scoped failures; default "1 second". */
  readonly transientPenalty?: Duration.Input
  /** The penalty score decays linearly to 0 over this long without failures; default "5 minutes". */
  readonly healAfter?: Duration.Input
}

/**
 * @example
 * ```ts
 * import type { KeyringConfig } from "@am/keyring"
 * const config: KeyringConfig = { pools: { primary: { keys: [] } }, policy: { disabledRecheck: "10 minutes" } }
 * ```
 */
export interface KeyringConfig {
  readonly pools: Readonly<Record<string, KeyPoolConfig>>
  readonly policy?: KeyringPolicy
}

/** `cooling`: rate-limited on some model or cooling key-wide; `disabled`: out until enabled or rechecked. */
export type KeyStatus = Pool.KeyStatus

/**
 * What the outside world sees of a key: id and fingerprint, never the secret.
 * `availableAt` (epoch ms) is when the key is usable for every model again (a disabled key's
 * recheck time, absent if it waits for `enable()`); `coolingModels` maps each rate-limited model
 * to the epoch ms its cool-down ends.
 */
export type KeySnapshot = Pool.KeySnapshot

/**
 * No key of the provider can serve the model now. `availableAt` is the epoch ms when the earliest
 * non-excluded key frees up; absent when every candidate is disabled with no recheck (or the
 * provider has no such keys).
 *
 * @example
 * ```ts
 * import { NoHealthyKey } from "@am/keyring"
 * new NoHealthyKey({ provider: "primary", model: "gpt-4o", availableAt: 1_700_000_005_000 })
 * ```
 */
export class NoHealthyKey extends Schema.TaggedError<NoHealthyKey>()("NoHealthyKey", {
  provider: Schema.String,
  model: Schema.String,
  availableAt: Schema.optionalKey(Schema.Number)
}) {
  override get message(): string {
    return this.availableAt === undefined
      ? `No healthy key for ${this.provider}/${this.model}`
      : `No healthy key for ${this.provider}/${this.model} until ${new Date(this.availableAt).toISOString()}`
  }
}

/**
 * The outcome of a call made with a leased key. Only key-scoped failure classifications penalise
 * the key; other failures are no-ops (the model, provider or request is at fault, not the key).
 */
export type KeyOutcome =
  | { readonly _tag: "Success" }
  | { readonly _tag: "Failure"; readonly classification: Classification }

export interface KeyringShape {
  /** A healthy key for (provider, model), skipping `exclude` key ids. */
  readonly lease: (
    provider: string,
    model: string,
    options?: { readonly exclude?: ReadonlyArray<string> }
  ) => Effect.Effect<ApiKey, NoHealthyKey>
  /** Feed the outcome of a call made with that key. Only key-scoped classifications penalise; others are no-ops (success heals). */
  readonly report: (provider: string, model: string, keyId: string, outcome: KeyOutcome) => Effect.Effect<void>
  /** Puts a disabled key back into service. */
  readonly enable: (provider: string, keyId: string) => Effect.Effect<void>
  /** Takes a key out of service until `enable()`. */
  readonly disable: (provider: string, keyId: string, reason: string) => Effect.Effect<void>
  /** Every key of every pool, as id + fingerprint + health. */
  readonly snapshot: Effect.Effect<ReadonlyArray<KeySnapshot>>
}

/**
 * The key pools. Every operation is one atomic state transition (a pure function of the pool,
 * the Clock's time and, for `weighted`, one random draw); events are published on the
 * `EventBus` after the transition. `layerMemory` keeps the pools in the process; `layerRedis`
 * shares them between replicas.
 *
 * @example
 * ```ts
 * import { ApiKey, EventBus } from "@am/core"
 * import { Keyring } from "@am/keyring"
 * import { Effect, Layer, Redacted } from "effect"
 * const KeyringLive = Keyring.layerMemory({
 *   pools: { primary: { keys: [ApiKey.make("k1", Redacted.make("sk-1"))] } },
 *   policy: { quotaCooldown: "30 minutes" }
 * }).pipe(Layer.provide(EventBus.layerNoop))
 * const key = Keyring.use((k) => k.lease("primary", "gpt-4o"))
 * ```
 */
export class Keyring extends Context.Service<Keyring, KeyringShape>()("@am/keyring/Keyring") {
  /** In-process pools (one `Ref` per provider). Duplicate key ids within a pool are a defect. */
  static layerMemory(config: KeyringConfig): Layer.Layer<Keyring, never, EventBus> {
    return Layer.effect(
      Keyring,
      make(config, (_, initial) =>
        Effect.map(Ref.make(initial), (ref): PoolCell => ({ modify: (f) => Ref.modify(ref, f) }))
      )
    )
  }

  /**
   * Pools shared by every replica built with the same `prefix` (default `"am:"`), in Redis
   * under `<prefix>keyring:<provider>`: same semantics as `layerMemory`, each operation one
   * atomic transition of the shared pool (a compare-and-set Lua script). A key disabled, cooled
   * down or leased through one replica is seen so by all; `snapshot` reads the shared state.
   * Only key ids go to Redis: each replica holds the `Redacted` secrets of its own config.
   * Replicas should configure the same keys, in the same order, and keep their clocks in sync
   * (cool-downs are stored as epoch ms). If Redis fails, a replica carries on with its own copy
   * of the pool (logging a warning) until Redis answers again.
   *
   * @example
   * ```ts
   * import { NodeRedis } from "@effect/platform-node"
   * import { ApiKey, EventBus } from "@am/core"
   * import { Keyring } from "@am/keyring"
   * import { Layer, Redacted } from "effect"
   * const KeyringShared = Keyring.layerRedis(
   *   { pools: { primary: { keys: [ApiKey.make("k1", Redacted.make("sk-1"))] } } },
   *   { prefix: "am:" }
   * ).pipe(Layer.provide([NodeRedis.layer({ url: "redis://127.0.0.1:6379" }), EventBus.layerNoop]))
   * ```
   */
  static layerRedis(
    config: KeyringConfig,
    options?: { readonly prefix?: string }
  ): Layer.Layer<Keyring, never, EventBus | Redis.Redis> {
    const prefix = `${options?.prefix ?? "am:"}keyring:`
    return Layer.effect(
      Keyring,
      make(config, (provider, initial) => makeRedisCell(`${prefix}${provider}`, initial))
    )
  }
}

const make = Effect.fnUntraced(function* <R>(
  config: KeyringConfig,
  cellFor: (provider: string, initial: Pool.PoolState) => Effect.Effect<PoolCell, never, R>
) {
  const bus = yield* EventBus
  const policy = yield* resolvePolicy(config.policy)
  const pools = new Map<string, PoolCell>()
  const weighted = new Set<string>()
  for (const [provider, pool] of Object.entries(config.pools)) {
    const ids = pool.keys.map((k) => k.id)
    const dup = ids.find((id, i) => ids.indexOf(id) !== i)
    if (dup !== undefined)
      return yield* Effect.die(new Error(`keyring: duplicate key id "${dup}" in pool "${provider}"`))
    const keys = pool.keys.map((k) => ({
      key: { id: k.id, secret: k.secret, fingerprint: k.fingerprint },
      weight: Math.max(0, k.weight ?? 1)
    }))
    pools.set(provider, yield* cellFor(provider, Pool.makePool(provider, pool.strategy ?? "round-robin", keys)))
    if (pool.strategy === "weighted") weighted.add(provider)
  }

  const publish = (events: ReadonlyArray<EventInput>): Effect.Effect<void> =>
    events.length === 0 ? Effect.void : Effect.forEach(events, bus.publish, { discard: true })

  // Untraced on purpose: it runs on every request's path, and Effect.fn's span and call-site capture
  // cost ~5–9 µs a call here (./am bench engine: +50 µs per request for the hot methods together); the
  // engine's request and attempt spans already cover it.
  const lease = Effect.fnUntraced(function* (
    provider: string,
    model: string,
    options?: { readonly exclude?: ReadonlyArray<string> }
  ) {
    const cell = pools.get(provider)
    if (cell === undefined) return yield* new NoHealthyKey({ provider, model })
    const now = yield* Clock.currentTimeMillis
    const random = weighted.has(provider) ? yield* Random.next : 0
    const result = yield* cell.modify((pool) =>
      Pool.lease(pool, { model, exclude: options?.exclude, now, random, policy })
    )
    yield* publish(result.events)
    if (result.key !== undefined) return result.key
    return yield* new NoHealthyKey(
      result.availableAt === undefined ? { provider, model } : { provider, model, availableAt: result.availableAt }
    )
  })

  // Untraced for the same reason as lease.
  const report = Effect.fnUntraced(function* (provider: string, model: string, keyId: string, outcome: KeyOutcome) {
    const cell = pools.get(provider)
    if (cell === undefined) return
    const now = yield* Clock.currentTimeMillis
    yield* publish(yield* cell.modify((pool) => Pool.report(pool, { model, keyId, outcome, now, policy })))
  })

  const enable = Effect.fn("Keyring.enable")(function* (provider: string, keyId: string) {
    const cell = pools.get(provider)
    if (cell === undefined) return
    const now = yield* Clock.currentTimeMillis
    yield* publish(yield* cell.modify((pool) => Pool.enable(pool, { keyId, now, policy })))
  })

  const disable = Effect.fn("Keyring.disable")(function* (provider: string, keyId: string, reason: string) {
    const cell = pools.get(provider)
    if (cell === undefined) return
    const now = yield* Clock.currentTimeMillis
    yield* publish(yield* cell.modify((pool) => Pool.disable(pool, { keyId, reason, now, policy })))
  })

  const snapshot = Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    const perPool = yield* Effect.forEach(pools.values(), (cell) =>
      cell.modify((pool) => Pool.snapshot(pool, now, policy))
    )
    yield* publish(perPool.flatMap(([, events]) => events))
    return perPool.flatMap(([keys]) => keys)
  }).pipe(Effect.withSpan("Keyring.snapshot"))

  return Keyring.of({ lease, report, enable, disable, snapshot })
})
