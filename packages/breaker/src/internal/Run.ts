/**
 * `Breakers.run`, the per-call path: operator holds first, then the clean-circuit fast path
 * (in-process store, consecutive-failure policy), else the provider circuit around the model
 * circuit through `CircuitBreaker.execute`.
 *
 * @internal
 */
import type { Classification, EventBus } from "@am/core"
import { Cause, Duration, Effect, Exit, Option } from "effect"
import { CircuitBreaker } from "effect/persistence"
import type { BreakersShape, BreakerTarget } from "../BreakerTypes.ts"
import { CircuitOpen } from "../CircuitOpen.ts"
import { outcomeOf } from "../Circuits.ts"
import * as CleanCircuits from "./CleanCircuits.ts"
import type * as Overrides from "./Overrides.ts"
import type { Registry } from "./Registry.ts"
import { type BreakerOwner, publishFor } from "./Observe.ts"

const isRejectionOf =
  (name: string) =>
  (error: unknown): error is CircuitBreaker.CircuitBreakerError =>
    error instanceof CircuitBreaker.CircuitBreakerError &&
    error.reason._tag !== "CircuitBreakerStoreError" &&
    error.reason.key === name

/** `circuits` is present on an in-process store only (see `CleanCircuits`). */
export const make = (
  bus: EventBus["Service"],
  registry: Registry,
  overrides: Overrides.Overrides,
  circuits: CleanCircuits.CleanCircuits | undefined
): BreakersShape["run"] => {
  const { entryFor, modelOwnerFor } = registry

  // Operator holds by circuit name (a local map, shared or not); empty on the hot path, so `run` pays one size check.
  // A rejected call: published, then failed with the circuit it met.
  const rejected = (owner: BreakerOwner, how: { readonly forced?: true; readonly retryAfterMs?: number }) =>
    Effect.andThen(
      publishFor(bus, owner, { topic: "circuit.rejected" }),
      Effect.fail(
        new CircuitOpen({
          breaker: owner.name,
          provider: owner.provider,
          ...(owner.model === undefined ? {} : { model: owner.model }),
          ...how
        })
      )
    )
  const forcedOpen = (owner: BreakerOwner) => rejected(owner, { forced: true })

  const rejectWith =
    (owner: BreakerOwner) =>
    <A, E, R>(
      self: Effect.Effect<A, E | CircuitBreaker.CircuitBreakerError, R>
    ): Effect.Effect<A, E | CircuitOpen, R> =>
      Effect.catchIf(self, isRejectionOf(owner.name), (error) =>
        rejected(
          owner,
          error.reason._tag === "CircuitOpen" ? { retryAfterMs: Duration.toMillis(error.reason.retryAfter) } : {}
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

  return run
}
