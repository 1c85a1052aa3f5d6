/**
 * Resolves a `KeyringPolicy` to milliseconds once, when the layer is built.
 *
 * @internal
 */
import { Duration, Effect, Schedule } from "effect"
import type { ResolvedPolicy } from "./Pool.ts"

export interface PolicyInput {
  readonly rateLimitBackoff?: { readonly base: Duration.Input; readonly max: Duration.Input }
  readonly quotaCooldown?: Duration.Input
  readonly disabledRecheck?: Duration.Input | "never"
  readonly transientPenalty?: Duration.Input
  readonly healAfter?: Duration.Input
}

/** Enough doublings to reach any sensible cap from any sensible base (1 ms · 2³⁹ ≈ 17 years). */
const MAX_STEPS = 40

const ms = (d: Duration.Input): number => Math.max(0, Duration.toMillis(Duration.fromInputUnsafe(d)))

/**
 * The rate-limit backoff is the `Schedule` `min(exponential(base), spaced(max))`: base · 2ⁿ⁻¹,
 * capped. Its delays are stepped out here into a table (up to and including the cap) so that the
 * state transition itself stays a pure function of (state, now) — the property that lets the
 * same transition run atomically in a shared store — instead of holding a live schedule per
 * (key, model).
 */
export const backoffTable = (base: Duration.Input, max: Duration.Input): Effect.Effect<ReadonlyArray<number>> =>
  Effect.gen(function* () {
    const capMs = ms(max)
    const step = yield* Schedule.toStep(Schedule.min([Schedule.exponential(base), Schedule.spaced(max)]))
    const delays = yield* Effect.forEach(Array.from({ length: MAX_STEPS }), () =>
      step(0, undefined).pipe(
        Effect.map(([, delay]) => Math.max(0, Duration.toMillis(delay))),
        // Neither schedule ever ends; a `Done` would be a bug in this table's construction.
        Effect.orDie
      )
    )
    const capAt = delays.findIndex((d) => d >= capMs)
    return capAt < 0 ? delays : delays.slice(0, capAt + 1)
  })

export const resolvePolicy = (policy: PolicyInput = {}): Effect.Effect<ResolvedPolicy> =>
  Effect.map(
    backoffTable(policy.rateLimitBackoff?.base ?? "1 second", policy.rateLimitBackoff?.max ?? "60 seconds"),
    (backoffMs): ResolvedPolicy => ({
      backoffMs,
      quotaCooldownMs: ms(policy.quotaCooldown ?? "1 hour"),
      disabledRecheckMs:
        policy.disabledRecheck === undefined || policy.disabledRecheck === "never"
          ? undefined
          : ms(policy.disabledRecheck),
      transientPenaltyMs: ms(policy.transientPenalty ?? "1 second"),
      healAfterMs: ms(policy.healAfter ?? "5 minutes")
    })
  )
