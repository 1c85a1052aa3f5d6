/**
 * Backoff between retries on one provider: exponential, capped, with AWS "Full Jitter"
 * (sleep = uniform(0, min(cap, base · factor^n))) and the provider's Retry-After as a floor
 * (`../shared/reference/resilience-semantics.md` A.1, A.4). Built from `Schedule.exponential`
 * and `Schedule.modifyDelay`; the floor reads the schedule's input (the failure).
 *
 * Seed 003's fixed 1 s / 2 s / 4 s is `{ baseMs: 1000, factor: 2, jitter: false }` with three
 * provider retries.
 *
 * @example
 * ```ts
 * import { backoff } from "@am/engine"
 * const schedule = backoff({ baseMs: 200, maxMs: 8000, factor: 2, jitter: true }, () => undefined)
 * ```
 * @since 0.1.0
 */
import { Duration, Effect, Random, Schedule } from "effect"

export interface BackoffOptions {
  readonly baseMs: number
  readonly maxMs: number
  readonly factor: number
  readonly jitter: boolean
}

/** The delay before retry `n` (0-based) given a uniform sample `u` in [0, 1). Pure, for tests and docs. */
export const backoffDelay = (options: BackoffOptions, n: number, u: number, retryAfterMs?: number): number => {
  const ceiling = Math.min(options.maxMs, options.baseMs * options.factor ** n)
  const jittered = options.jitter ? u * ceiling : ceiling
  return Math.max(jittered, retryAfterMs ?? 0)
}

/**
 * A schedule of backoff delays; `retryAfterOf` reads the floor from the failure being retried.
 * The schedule never stops by itself: bound it with the attempt limit and the deadline.
 */
export const backoff = <E>(options: BackoffOptions, retryAfterOf: (input: E) => number | undefined) =>
  Schedule.exponential(Duration.millis(options.baseMs), options.factor).pipe(
    Schedule.setInputType<E>(),
    Schedule.modifyDelay(({ duration, input }) => {
      const ceiling = Math.min(options.maxMs, Duration.toMillis(duration))
      const floor = retryAfterOf(input) ?? 0
      return options.jitter
        ? Effect.map(Random.next, (u) => Duration.millis(Math.max(u * ceiling, floor)))
        : Effect.succeed(Duration.millis(Math.max(ceiling, floor)))
    })
  )
