/**
 * The operators' side of `Breakers`: `status`, `snapshot` and `override`, over the same circuits
 * and holds as `run`. A hold reads as the circuit's status; a store that cannot be read reports
 * `closed`, as the calls it guards fail open.
 *
 * @internal
 */
import { Clock, Duration, Effect } from "effect"
import type { CircuitBreaker } from "effect/persistence"
import type { BreakerOverride, BreakerSnapshot, BreakerStatus, BreakersShape } from "../BreakerTypes.ts"
import { modelBreakerName, providerBreakerName } from "../Circuits.ts"
import type * as Overrides from "./Overrides.ts"
import type { Registry } from "./Registry.ts"
import type { BreakerOwner } from "./Observe.ts"

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

/** `owners` is the registry's map of every circuit this instance knows. */
export const make = (
  store: CircuitBreaker.CircuitBreakerStore["Service"],
  registry: Registry,
  owners: ReadonlyMap<string, BreakerOwner>,
  overrides: Overrides.Overrides
): Pick<BreakersShape, "status" | "snapshot" | "override"> => {
  const { entryFor, modelOwnerFor } = registry

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

  return { status, snapshot, override }
}
