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
import { type Classification, EventBus } from "@am/core"
import { Cause, Clock, Context, Duration, Effect, Exit, Layer, Option, Schema } from "effect"
import { CircuitBreaker, Redis } from "effect/persistence"
import { type BreakerPolicy, type BreakersConfig, resolvePolicy, validateBreakersConfig } from "./BreakerPolicy.ts"
import * as CleanCircuits from "./internal/CleanCircuits.ts"
import { failOpenStore } from "./internal/FailOpenStore.ts"
import * as Overrides from "./internal/Overrides.ts"
import { type BreakerOwner, observeStore, publishFor } from "./internal/observe.ts"

/** What a call targets: the provider id and the model. */
export interface BreakerTarget {
  readonly provider: string
  readonly model: string
}

/**
 * A circuit's status. `half_open` also covers an Open circuit whose open time has passed: the
 * next call through it will be the probe.
 */
export type BreakerStatus = "closed" | "open" | "half_open"

/** One circuit as operators see it. */
export interface BreakerSnapshot {
  /** `provider:<id>` or `model:<id>/<model>`. */
  readonly name: string
  readonly provider: string
  /** Present on provider+model circuits. */
  readonly model?: string
  readonly status: BreakerStatus
  /** Epoch milliseconds at which an open circuit lets a probe through. */
  readonly openUntil?: number
  /** Set while an operator holds the circuit (see `BreakersShape.override`); `status` then says the same. */
  readonly override?: BreakerOverride
}

/**
 * An operator's hold on a circuit: `open` rejects every call through it, `closed` lets every
 * call through without consulting or teaching it. Held until reset: by this instance with
 * `layerMemory` / `layerStore`, by every replica on the prefix with `layerRedis`.
 */
export type BreakerOverride = "open" | "closed"

/**
 * A call rejected by an open circuit, or by a half-open one whose probe is still running.
 * The call did not run. `retryAfterMs` is the remaining open time (absent while half-open).
 */
export class CircuitOpen extends Schema.TaggedError<CircuitOpen>()("CircuitOpen", {
  breaker: Schema.String,
  provider: Schema.String,
  model: Schema.optionalKey(Schema.String),
  retryAfterMs: Schema.optionalKey(Schema.Number),
  /** Held open by an operator (`override`), not tripped by failures. */
  forced: Schema.optionalKey(Schema.Boolean)
}) {
  override get message(): string {
    if (this.forced === true) return `Circuit ${this.breaker} is held open by an operator`
    return this.retryAfterMs === undefined
      ? `Circuit ${this.breaker} is half-open with a probe in flight`
      : `Circuit ${this.breaker} is open for another ${Math.ceil(this.retryAfterMs)} ms`
  }
}

/** The name of a provider's circuit. */
export const providerBreakerName = (provider: string): string => `provider:${provider}`
/** The name of a provider+model circuit. */
export const modelBreakerName = (provider: string, model: string): string => `model:${provider}/${model}`

/**
 * What one classified failure tells a circuit: a provider-scoped failure counts (its Retry-After
 * becomes the floor of the open duration, if this failure trips the circuit); every other scope
 * says nothing about the provider's health and is `Ignored`.
 *
 * @example
 * ```ts
 * import { outcomeOf } from "@am/breaker"
 * outcomeOf({ class: "rate_limit", scope: "key", retryable: true, errorType: "429", rule: "openai.429" })
 * // { _tag: "Ignored" }
 * ```
 */
export const outcomeOf = (classification: Classification): CircuitBreaker.Outcome =>
  classification.scope === "provider"
    ? CircuitBreaker.failure({
        retryAfter: classification.retryAfterMs === undefined ? undefined : Duration.millis(classification.retryAfterMs)
      })
    : CircuitBreaker.ignored

export interface BreakersShape {
  /**
   * Runs `effect` under the provider breaker and the provider+model breaker. A rejection (open or
   * half-open-busy at either level) fails with CircuitOpen without running the effect. `classify`
   * maps the effect's failure to its Classification. Put timeouts and retries inside `effect`, so
   * the circuits see one outcome per call; a defect or an interruption is `Ignored`.
   */
  readonly run: <A, E, R>(
    target: BreakerTarget,
    effect: Effect.Effect<A, E, R>,
    classify: (e: E) => Classification
  ) => Effect.Effect<A, E | CircuitOpen, R>
  /**
   * Cheap check used by the planner to skip a provider (or provider+model) whose breaker is open,
   * without calling it. With a model, the worse of the two circuits. Never fails: a store that
   * cannot be read reports `closed` (the breaker fails open, like the calls it guards).
   */
  readonly status: (target: { readonly provider: string; readonly model?: string }) => Effect.Effect<BreakerStatus>
  /**
   * Every circuit this instance knows, by provider: the configured providers, the configured
   * `models` and every target it ran. Each status is read from the store, so over a shared store
   * it is the shared state (a circuit another replica tripped reads open here).
   */
  readonly snapshot: Effect.Effect<ReadonlyArray<BreakerSnapshot>>
  /**
   * The runbook control: hold the provider circuit (no `model`) or the provider+model circuit
   * `open` or `closed`, or with `undefined` hand it back to its policy (reset). It applies here
   * at once; over `layerRedis` it is shared with every replica on the prefix (they see it within
   * `overrideRefresh`, default 1 s) and kept in Redis until reset. The circuit's learned state is
   * kept underneath and resumes on reset.
   */
  readonly override: (
    target: { readonly provider: string; readonly model?: string },
    mode: BreakerOverride | undefined
  ) => Effect.Effect<void>
}

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

interface ProviderEntry {
  readonly owner: BreakerOwner
  readonly breaker: CircuitBreaker.CircuitBreaker
  /** A consecutive-failures policy: calls may take the clean-circuit fast path (in-process store). */
  readonly consecutive: boolean
  readonly models: Map<string, BreakerOwner>
}

const rank: Record<BreakerStatus, number> = { closed: 0, half_open: 1, open: 2 }
const worse = (a: BreakerStatus, b: BreakerStatus): BreakerStatus => (rank[a] >= rank[b] ? a : b)

const statusOf = (state: CircuitBreaker.State): BreakerStatus => {
  switch (state._tag) {
    case "Closed":
      return "closed"
    // Past its open time a circuit reads as Open until a call arrives; that call will be the probe.
    case "Open":
      return Duration.toMillis(state.retryAfter) > 0 ? "open" : "half_open"
    case "HalfOpen":
      return "half_open"
  }
}

// Names are built by this module; parsing is only the fallback for a key it never registered.
const parseName = (name: string): BreakerOwner => {
  if (name.startsWith("model:")) {
    const rest = name.slice("model:".length)
    const slash = rest.indexOf("/")
    return slash < 0 ? { name, provider: rest } : { name, provider: rest.slice(0, slash), model: rest.slice(slash + 1) }
  }
  return { name, provider: name.startsWith("provider:") ? name.slice("provider:".length) : name }
}

const isRejectionOf =
  (name: string) =>
  (error: unknown): error is CircuitBreaker.CircuitBreakerError =>
    error instanceof CircuitBreaker.CircuitBreakerError &&
    error.reason._tag !== "CircuitBreakerStoreError" &&
    error.reason.key === name

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
  const ownerOf = (name: string) => owners.get(name) ?? parseName(name)
  const logInterval = Duration.fromInputUnsafe(config.storeErrorLogInterval ?? "30 seconds")
  // In-process store only: every write goes through here, so clean-circuit flags cannot go stale.
  const circuits = storeCanFail ? undefined : CleanCircuits.make()
  const observed = observeStore(
    storeCanFail ? failOpenStore(store, logInterval) : circuits!.observe(store),
    bus,
    ownerOf
  )
  const isConsecutive = (own?: BreakerPolicy) => resolvePolicy(config.defaults, own).tripPolicy._tag === "Consecutive"

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

  const entries = new Map<string, ProviderEntry>()
  const entryFor = (provider: string): ProviderEntry => {
    const existing = entries.get(provider)
    if (existing !== undefined) return existing
    const owner: BreakerOwner = { name: providerBreakerName(provider), provider }
    const entry: ProviderEntry = {
      owner,
      breaker: configured.get(provider) ?? fallback,
      consecutive: isConsecutive(config.providers?.[provider]),
      models: new Map()
    }
    entries.set(provider, entry)
    owners.set(owner.name, owner)
    return entry
  }
  const modelOwnerFor = (entry: ProviderEntry, model: string): BreakerOwner => {
    const existing = entry.models.get(model)
    if (existing !== undefined) return existing
    const owner: BreakerOwner = {
      name: modelBreakerName(entry.owner.provider, model),
      provider: entry.owner.provider,
      model
    }
    entry.models.set(model, owner)
    owners.set(owner.name, owner)
    return owner
  }
  for (const id of configured.keys()) entryFor(id)
  for (const [id, models] of Object.entries(config.models ?? {})) {
    const entry = entryFor(id)
    for (const model of models) modelOwnerFor(entry, model)
  }

  // Operator holds by circuit name (a local map, shared or not); empty on the hot path, so `run` pays one size check.
  const forcedOpen = (owner: BreakerOwner) =>
    Effect.andThen(
      publishFor(bus, owner, { topic: "circuit.rejected" }),
      Effect.fail(
        new CircuitOpen({
          breaker: owner.name,
          provider: owner.provider,
          ...(owner.model === undefined ? {} : { model: owner.model }),
          forced: true
        })
      )
    )

  const rejectWith =
    (owner: BreakerOwner) =>
    <A, E, R>(
      self: Effect.Effect<A, E | CircuitBreaker.CircuitBreakerError, R>
    ): Effect.Effect<A, E | CircuitOpen, R> =>
      Effect.catchIf(self, isRejectionOf(owner.name), (error) =>
        Effect.andThen(
          publishFor(bus, owner, { topic: "circuit.rejected" }),
          Effect.fail(
            new CircuitOpen({
              breaker: owner.name,
              provider: owner.provider,
              ...(owner.model === undefined ? {} : { model: owner.model }),
              ...(error.reason._tag === "CircuitOpen"
                ? { retryAfterMs: Duration.toMillis(error.reason.retryAfter) }
                : {})
            })
          )
        )
      ) as Effect.Effect<A, E | CircuitOpen, R>

  // Untraced on purpose: it runs on every request's path, and Effect.fn's span and call-site capture
  // cost ~5–9 µs a call here (./am bench engine: +50 µs per request for the hot methods together); the
  // engine's request and attempt spans already cover it.
  const run = Effect.fnUntraced(function* <A, E, R>(
    target: BreakerTarget,
    effect: Effect.Effect<A, E, R>,
    classify: (e: E) => Classification
  ): Effect.fn.Return<A, E | CircuitOpen, R> {
    const entry = entryFor(target.provider)
    const model = modelOwnerFor(entry, target.model)
    const outcome = (exit: Exit.Exit<A, E | CircuitOpen>): CircuitBreaker.Outcome => {
      if (Exit.isSuccess(exit)) return CircuitBreaker.success
      const error = Cause.findErrorOption(exit.cause)
      // A defect is our bug, not the provider's health; a model-level rejection says nothing about the provider.
      if (Option.isNone(error) || error.value instanceof CircuitOpen) return CircuitBreaker.ignored
      return outcomeOf(classify(error.value as E))
    }
    const guarded = effect
    const none = overrides.size() === 0
    const heldProvider = none ? undefined : overrides.get(entry.owner.name)
    const heldModel = none ? undefined : overrides.get(model.name)
    if (heldProvider === "open") return yield* forcedOpen(entry.owner)
    if (heldModel === "open") return yield* forcedOpen(model)
    const fast = circuits !== undefined && entry.consecutive
    if (
      fast &&
      heldProvider === undefined &&
      heldModel === undefined &&
      circuits.isClean(model.name) &&
      circuits.isClean(entry.owner.name)
    ) {
      // Both circuits Closed with nothing counted: run the call, replay only what the store must learn.
      const modelOpenings = circuits.openings(model.name)
      const providerOpenings = circuits.openings(entry.owner.name)
      const exit = yield* Effect.exit(guarded)
      const tag = outcome(exit)._tag
      if (tag === "Failure") {
        circuits.settled(model.name, tag, modelOpenings)
        circuits.settled(entry.owner.name, tag, providerOpenings)
      }
      // Model first, then provider: the order `execute` records them in (inner, then outer).
      const replay = (name: string, before: number) =>
        CleanCircuits.replayOf(tag, circuits.isClean(name), before, circuits.openings(name)) === "record"
          ? Effect.andThen(
              CleanCircuits.replayThrough(entry.breaker, name, exit, outcome),
              Effect.sync(() => circuits.settled(name, tag, before))
            )
          : Effect.void
      if (tag !== "Ignored") {
        yield* replay(model.name, modelOpenings)
        yield* replay(entry.owner.name, providerOpenings)
      }
      return yield* exit
    }
    // Through `execute`; on an in-process store, each circuit learns whether it is clean after.
    const settle = <X, Y, Z>(name: string, exec: Effect.Effect<X, Y, Z>): Effect.Effect<X, Y, Z> =>
      !fast
        ? exec
        : Effect.suspend(() => {
            const before = circuits.openings(name)
            return Effect.onExit(exec, (exit) =>
              Effect.sync(() => {
                const error = Exit.isFailure(exit) ? Cause.findErrorOption(exit.cause) : Option.none()
                const rejected = Option.isSome(error) && isRejectionOf(name)(error.value)
                circuits.settled(name, rejected ? "Failure" : outcome(exit as never)._tag, before)
              })
            )
          })
    // Provider outside, model inside: a provider-level rejection never touches the model circuit.
    const underModel =
      heldModel === "closed"
        ? guarded
        : rejectWith(model)(settle(model.name, entry.breaker.execute(guarded, { key: model.name, classify: outcome })))
    return yield* heldProvider === "closed"
      ? underModel
      : rejectWith(entry.owner)(
          settle(entry.owner.name, entry.breaker.execute(underModel, { key: entry.owner.name, classify: outcome }))
        )
  })

  const readStatus = (name: string): Effect.Effect<BreakerStatus> => {
    const held = overrides.get(name)
    if (held !== undefined) return Effect.succeed(held)
    return store.state(name).pipe(
      Effect.map(statusOf),
      Effect.catch(() => Effect.succeed<BreakerStatus>("closed"))
    )
  }

  const status = Effect.fn("Breakers.status")(function* (target: {
    readonly provider: string
    readonly model?: string
  }): Effect.fn.Return<BreakerStatus> {
    const provider = readStatus(providerBreakerName(target.provider))
    return yield* target.model === undefined
      ? provider
      : Effect.zipWith(provider, readStatus(modelBreakerName(target.provider, target.model)), worse)
  })

  const snapshot: Effect.Effect<ReadonlyArray<BreakerSnapshot>> = Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    const known = [...owners.values()].sort(
      (a, b) => a.provider.localeCompare(b.provider) || (a.model ?? "").localeCompare(b.model ?? "")
    )
    return yield* Effect.forEach(
      known,
      (owner) =>
        store.state(owner.name).pipe(
          Effect.map((state): BreakerSnapshot => {
            const held = overrides.get(owner.name)
            const s = held ?? statusOf(state)
            return {
              name: owner.name,
              provider: owner.provider,
              ...(owner.model === undefined ? {} : { model: owner.model }),
              status: s,
              ...(held === undefined && state._tag === "Open" && s === "open"
                ? { openUntil: now + Duration.toMillis(state.retryAfter) }
                : {}),
              ...(held !== undefined ? { override: held } : {})
            }
          }),
          Effect.catch(() =>
            Effect.succeed<BreakerSnapshot>({
              name: owner.name,
              provider: owner.provider,
              ...(owner.model === undefined ? {} : { model: owner.model }),
              status: overrides.get(owner.name) ?? "closed",
              ...(overrides.get(owner.name) !== undefined ? { override: overrides.get(owner.name)! } : {})
            })
          )
        ),
      // Over Redis each read is a round trip; in flight together they pipeline on one connection.
      { concurrency: "unbounded" }
    )
  }).pipe(Effect.withSpan("Breakers.snapshot"))

  const override = Effect.fn("Breakers.override")(function* (
    target: { readonly provider: string; readonly model?: string },
    mode: BreakerOverride | undefined
  ) {
    const entry = entryFor(target.provider)
    const owner = target.model === undefined ? entry.owner : modelOwnerFor(entry, target.model)
    yield* overrides.set(owner.name, mode)
    yield* Effect.logInfo("breaker override").pipe(
      Effect.annotateLogs({ breaker: owner.name, override: mode ?? "reset" })
    )
  })

  return Breakers.of({ run, status, snapshot, override })
})
