/**
 * Provider and provider+model circuit breakers over `effect/persistence` `CircuitBreaker`.
 *
 * Every call runs under two circuits: `provider:<id>` (all models of a provider) and
 * `model:<id>/<model>`. The call's `Classification` decides what the circuits learn: only
 * provider-scoped failures count (`Failure`, with Retry-After as the open-duration floor);
 * key-, model-, request- and content-scoped failures are `Ignored`; a success is a `Success`.
 * A call rejected at either level fails with `CircuitOpen` without running.
 *
 * @example
 * ```ts
 * import { Breakers } from "@am/breaker"
 * import { EventBus, type Classification } from "@am/core"
 * import { Effect, Layer } from "effect"
 *
 * const classify = (_: string): Classification =>
 *   ({ class: "server_error", scope: "provider", retryable: true, errorType: "500", rule: "http.500" })
 *
 * const program = Effect.gen(function* () {
 *   const breakers = yield* Breakers
 *   const answer = yield* breakers.run({ provider: "primary", model: "gpt-4o" }, Effect.succeed("hi"), classify)
 *   const status = yield* breakers.status({ provider: "primary" }) // "closed"
 *   return [answer, status]
 * }).pipe(Effect.provide(Breakers.layerMemory({ defaults: { consecutiveFailures: 3 } }).pipe(Layer.provide(EventBus.layerNoop))))
 * ```
 * @since 0.1.0
 */
import { EventBus } from "@am/core"
import { Context, Duration, Effect, Layer } from "effect"
import { CircuitBreaker, Redis } from "effect/persistence"
import { type BreakerPolicy, type BreakersConfig, resolvePolicy, validateBreakersConfig } from "./BreakerPolicy.ts"
import type { BreakersShape } from "./BreakerTypes.ts"
import * as Admin from "./internal/Admin.ts"
import * as CleanCircuits from "./internal/CleanCircuits.ts"
import { failOpenStore } from "./internal/FailOpenStore.ts"
import * as Overrides from "./internal/Overrides.ts"
import * as Registry from "./internal/Registry.ts"
import * as Run from "./internal/Run.ts"
import { type BreakerOwner, observeStore } from "./internal/Observe.ts"

/**
 * The breakers service. `layerMemory` keeps circuits in the process; `layerRedis` shares them
 * between replicas through Redis; `layerStore` uses whatever `CircuitBreakerStore` is provided.
 * Transitions are published on the `EventBus` as `circuit.tripped`, `circuit.half_open`,
 * `circuit.reset` and `circuit.rejected` — by the instance that caused them only.
 *
 * @example
 * ```ts
 * import { Breakers } from "@am/breaker"
 * import { EventBus } from "@am/core"
 * import { Layer } from "effect"
 * const live = Breakers.layerMemory({ providers: { primary: { consecutiveFailures: 3 } } }).pipe(
 *   Layer.provide(EventBus.layerMemory)
 * )
 * ```
 */
export class Breakers extends Context.Service<Breakers, BreakersShape>()("@am/breaker/Breakers") {
  /** Breakers over any `CircuitBreakerStore`. Dies at build time on an invalid configuration. */
  static layerStore(
    config?: BreakersConfig
  ): Layer.Layer<Breakers, never, EventBus | CircuitBreaker.CircuitBreakerStore> {
    return Layer.effect(Breakers, make(config ?? {}, true, Overrides.memory()))
  }

  /** Breakers over an in-process store (`CircuitBreaker.layerStoreMemory`). */
  static layerMemory(config?: BreakersConfig): Layer.Layer<Breakers, never, EventBus> {
    // An in-process store cannot be unavailable: no fail-open wrapper on the hot path.
    return Layer.effect(Breakers, make(config ?? {}, false, Overrides.memory())).pipe(
      Layer.provide(CircuitBreaker.layerStoreMemory())
    )
  }

  /**
   * Breakers whose circuits live in Redis (`CircuitBreaker.layerStoreRedis`), shared by every
   * replica built with the same `prefix` (default `"am:"`; circuits are stored under
   * `<prefix>breaker:<circuit name>`). A circuit tripped through one replica rejects calls in
   * the others, and `status` / `snapshot` read the shared state. Open times run on the Redis
   * server's clock. If Redis cannot be reached calls run unrecorded (the breaker fails open),
   * logged once per `storeErrorLogInterval` with a count rather than once per call.
   * Operator holds (`override`) are shared too: kept in the hash `<prefix>breaker-overrides`
   * and re-read by each replica every `overrideRefresh` (default 1 s); while Redis is away the
   * last holds read stay in force and a new one applies here and is written when it answers.
   * Replicas should share one configuration: the store does not check that policies match.
   *
   * @example
   * ```ts
   * import { NodeRedis } from "@effect/platform-node"
   * import { Breakers } from "@am/breaker"
   * import { EventBus } from "@am/core"
   * import { Layer } from "effect"
   * const live = Breakers.layerRedis(
   *   { providers: { primary: { consecutiveFailures: 5 } }, models: { primary: ["gpt-4o"] } },
   *   { prefix: "am:" }
   * ).pipe(Layer.provide([NodeRedis.layer({ url: "redis://127.0.0.1:6379" }), EventBus.layerMemory]))
   * ```
   */
  static layerRedis(
    config?: BreakersConfig,
    options?: { readonly prefix?: string; readonly overrideRefresh?: Duration.Input }
  ): Layer.Layer<Breakers, never, EventBus | Redis.Redis> {
    const prefix = options?.prefix ?? "am:"
    return Layer.effect(
      Breakers,
      Effect.gen(function* () {
        const redis = yield* Redis.Redis
        const overrides = yield* Overrides.redis(redis, `${prefix}breaker-overrides`, options?.overrideRefresh)
        return yield* make(config ?? {}, true, overrides)
      })
    ).pipe(Layer.provide(CircuitBreaker.layerStoreRedis({ prefix: `${prefix}breaker:` })))
  }
}

const make = Effect.fnUntraced(function* (
  config: BreakersConfig,
  storeCanFail: boolean,
  overrides: Overrides.Overrides
) {
  const problems = validateBreakersConfig(config)
  if (problems.length > 0) {
    return yield* Effect.die(new Error(`Invalid breaker configuration:\n  ${problems.join("\n  ")}`))
  }
  const bus = yield* EventBus
  const store = yield* CircuitBreaker.CircuitBreakerStore
  const owners = new Map<string, BreakerOwner>()
  const ownerOf = (name: string) => owners.get(name) ?? Registry.parseName(name)
  const logInterval = Duration.fromInputUnsafe(config.storeErrorLogInterval ?? "30 seconds")
  // In-process store only: every write goes through here, so clean-circuit flags cannot go stale.
  const circuits = storeCanFail ? undefined : CleanCircuits.make()
  const observed = observeStore(
    storeCanFail ? failOpenStore(store, logInterval) : circuits!.observe(store),
    bus,
    ownerOf
  )

  const build = (own?: BreakerPolicy) => {
    const policy = resolvePolicy(config.defaults, own)
    return CircuitBreaker.make({
      tripPolicy: policy.tripPolicy,
      openDuration: policy.openDuration,
      // Caps the Retry-After hint only (Effect's meaning); the schedule above caps the growth.
      maxOpenDuration: policy.maxRetryAfter
    }).pipe(Effect.provideService(CircuitBreaker.CircuitBreakerStore, observed))
  }

  // One CircuitBreaker per policy (its gotcha: one policy per key); the keys never overlap, so
  // they all share the one store.
  const fallback = yield* build()
  const configured = new Map(
    yield* Effect.forEach(Object.entries(config.providers ?? {}), ([id, policy]) =>
      Effect.map(build(policy), (breaker) => [id, breaker] as const)
    )
  )
  const registry = Registry.make(config, owners, (provider) => configured.get(provider) ?? fallback)

  return Breakers.of({
    run: Run.make(bus, registry, overrides, circuits),
    ...Admin.make(store, registry, owners, overrides)
  })
})
