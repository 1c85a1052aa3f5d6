/**
 * Shared (Redis) state with a local fallback: an operation runs against Redis and, should Redis
 * fail, against this process's own copy instead, so an outage degrades the replicas to
 * per-process state rather than failing requests. One warning when that starts, one when
 * Redis answers again.
 *
 * @internal
 */
import { Effect } from "effect"
import type { Redis } from "effect/persistence"

export const withFallback = (what: string) => {
  let detached = false
  return <A>(shared: Effect.Effect<A, Redis.RedisError>, local: Effect.Effect<A>): Effect.Effect<A> =>
    shared.pipe(
      Effect.tap(() => {
        if (!detached) return Effect.void
        detached = false
        return Effect.logWarning(`${what} is shared through Redis again`)
      }),
      Effect.catch((error) => {
        const warn = detached
          ? Effect.void
          : Effect.logWarning(`${what} runs on this process's own state until Redis answers`, error)
        detached = true
        return Effect.andThen(warn, local)
      })
    )
}
