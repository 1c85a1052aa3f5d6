/**
 * The happy path of an in-process store: a call through two circuits that are Closed with no
 * failure counted runs without `CircuitBreaker.execute`.
 *
 * Why not always `execute`: it opens a scope, masks interruption, admits and records through
 * the store for every call — measured (callgrind, `./am bench engine`) as ~145k instructions of
 * a ~660k-instruction request for the two circuits, for a call whose admission (Closed) and
 * record (a success on a zero streak) change nothing. Effect's `CircuitBreaker` has no
 * state-read-then-record mode, so this keeps its semantics from outside:
 *
 * - a circuit is *clean* after a call through `execute` ended in a success (the streak is 0 and
 *   the circuit Closed, or a probe closed it); any failure recorded on it makes it unclean;
 * - only consecutive-failure policies take the fast path (a rate policy must see every success);
 * - a fast call that fails (an outcome that can open) is replayed through `execute` with its exit,
 *   so the store admits and records it exactly as if it had run there — unless the circuit opened
 *   since the call started (the store would have dropped that record by its generation);
 * - a fast success that finds the circuit unclean by then (another call failed meanwhile) is
 *   replayed too, so a success still resets the streak; an ignored outcome records nothing, as
 *   in the store.
 *
 * Only for `layerMemory`: every write to an in-process store goes through this module, so the
 * flags cannot go stale. A shared store (Redis) always takes `execute`.
 *
 * @internal
 */
import { Effect, type Exit } from "effect"
import { CircuitBreaker } from "effect/persistence"

type StoreShape = CircuitBreaker.CircuitBreakerStore["Service"]

export interface CleanCircuits {
  /** Wraps the store: transitions to Open are counted per key (the fast path's generation). */
  readonly observe: (store: StoreShape) => StoreShape
  readonly isClean: (key: string) => boolean
  readonly openings: (key: string) => number
  /**
   * After a call through `execute` on `key`: a success makes it clean unless the circuit opened
   * since the call started (its record was then dropped); a failure makes it unclean.
   */
  readonly settled: (key: string, outcome: CircuitBreaker.Outcome["_tag"], openingsAtStart: number) => void
}

export const make = (): CleanCircuits => {
  const clean = new Set<string>()
  const opened = new Map<string, number>()
  return {
    observe: (store) =>
      CircuitBreaker.CircuitBreakerStore.of({
        admit: store.admit,
        record: (options) =>
          Effect.map(store.record(options), (transition) => {
            if (transition?.to === "Open") {
              clean.delete(transition.key)
              opened.set(transition.key, (opened.get(transition.key) ?? 0) + 1)
            }
            return transition
          }),
        state: store.state
      }),
    isClean: (key) => clean.has(key),
    openings: (key) => opened.get(key) ?? 0,
    settled: (key, outcome, openingsAtStart) => {
      if (outcome === "Failure") clean.delete(key)
      else if (outcome === "Success" && (opened.get(key) ?? 0) === openingsAtStart) clean.add(key)
    }
  }
}

/** What the fast path must do with a call's outcome on one circuit. */
export type Replay = "none" | "record"

/**
 * Pure: whether a fast call's outcome must be replayed through the store. `openingsAtStart` vs
 * `openingsNow` stands in for the store's generation check.
 */
export const replayOf = (
  outcome: CircuitBreaker.Outcome["_tag"],
  stillClean: boolean,
  openingsAtStart: number,
  openingsNow: number
): Replay => {
  if (openingsAtStart !== openingsNow) return "none"
  if (outcome === "Ignored") return "none"
  if (outcome === "Success") return stillClean ? "none" : "record"
  return "record"
}

/** Replays `exit` through `breaker` on `key` so the store admits and records it; never fails. */
export const replayThrough = <A, E>(
  breaker: CircuitBreaker.CircuitBreaker,
  key: string,
  exit: Exit.Exit<A, E>,
  classify: (exit: Exit.Exit<A, E>) => CircuitBreaker.Outcome
): Effect.Effect<void> => Effect.ignore(breaker.execute(exit, { key, classify: classify as never }))
