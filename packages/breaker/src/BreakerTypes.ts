/**
 * The breakers' public shapes: what a call targets, what operators read, and the service
 * interface. In their own file so the internal modules import them without running back up
 * into `Breakers.ts`.
 *
 * @example
 * ```ts
 * import type { BreakerSnapshot } from "@am/breaker"
 * const show = (circuit: BreakerSnapshot) => `${circuit.name}: ${circuit.override ?? circuit.status}`
 * ```
 * @since 0.1.0
 */
import type { Classification } from "@am/core"
import type { Effect } from "effect"
import type { CircuitOpen } from "./CircuitOpen.ts"

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
