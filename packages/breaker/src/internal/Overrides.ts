/**
 * The operators' holds on circuits (`Breakers.override`), by circuit name. The hot path reads a
 * local map (one size check when nothing is held); where the holds live decides who sees them:
 *
 * - `memory()`: this instance only;
 * - `redis(...)`: every replica on the same prefix. A hold is applied here at once and written
 *   to one Redis hash (`<prefix>breaker-overrides`, field = circuit name, value `open` or
 *   `closed`; reset deletes the field); each replica re-reads the hash every `refresh` (default
 *   1 s), so a hold set through one replica takes effect in the others within about that long,
 *   and survives restarts until it is reset. While Redis is unreachable the last holds read stay
 *   in force, a hold set meanwhile applies here and is written when Redis answers again (a
 *   later hold on the same circuit, from any replica, wins once both are written).
 *
 * @internal
 */
import { Duration, Effect, Schedule, type Scope } from "effect"
import type { Redis } from "effect/persistence"

export type Hold = "open" | "closed"

export interface Overrides {
  readonly size: () => number
  readonly get: (name: string) => Hold | undefined
  /** Sets (or with `undefined` clears) the hold on `name`: here at once, and for the others. */
  readonly set: (name: string, hold: Hold | undefined) => Effect.Effect<void>
}

/** Holds kept in this instance only. */
export const memory = (): Overrides => {
  const holds = new Map<string, Hold>()
  return {
    size: () => holds.size,
    get: (name) => holds.get(name),
    set: (name, hold) =>
      Effect.sync(() => {
        if (hold === undefined) holds.delete(name)
        else holds.set(name, hold)
      })
  }
}

const isHold = (value: unknown): value is Hold => value === "open" || value === "closed"

/** `HGETALL` as node-redis answers it (a flat array under RESP2, an object under RESP3). */
const parseHash = (reply: unknown): Map<string, Hold> => {
  const holds = new Map<string, Hold>()
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) {
      const value = String(reply[i + 1])
      if (isHold(value)) holds.set(String(reply[i]), value)
    }
  } else if (reply !== null && typeof reply === "object") {
    for (const [name, value] of Object.entries(reply)) if (isHold(String(value))) holds.set(name, String(value) as Hold)
  }
  return holds
}

/** Holds shared through the Redis hash `key`, re-read every `refresh` for as long as the scope lives. */
export const redis = (
  client: Redis.Redis["Service"],
  key: string,
  refresh: Duration.Input = "1 second"
): Effect.Effect<Overrides, never, Scope.Scope> =>
  Effect.gen(function* () {
    let holds = new Map<string, Hold>()
    // Set here and not yet written to Redis (Redis was away): name → hold, `null` for a reset.
    const unwritten = new Map<string, Hold | null>()

    const write = (name: string, hold: Hold | null) =>
      (hold === null ? client.send("HDEL", key, name) : client.send("HSET", key, name, hold)).pipe(
        Effect.tap(() =>
          Effect.sync(() => {
            if (unwritten.get(name) === hold) unwritten.delete(name)
          })
        )
      )

    const sync = Effect.gen(function* () {
      for (const [name, hold] of [...unwritten]) yield* write(name, hold)
      const read = parseHash(yield* client.send("HGETALL", key))
      // A hold set while this read was in flight is not in it yet: keep it.
      for (const [name, hold] of unwritten) {
        if (hold === null) read.delete(name)
        else read.set(name, hold)
      }
      holds = read
    })

    const every = Duration.fromInputUnsafe(refresh)
    // The holds in force when this replica starts, before it serves (a Redis that does not answer
    // within one refresh period is read on the next).
    yield* Effect.ignore(Effect.timeoutOption(sync, every))
    yield* Effect.forkScoped(Effect.repeat(Effect.ignore(sync), Schedule.spaced(every)))

    return {
      size: () => holds.size,
      get: (name) => holds.get(name),
      set: (name, hold) =>
        Effect.suspend(() => {
          const next = new Map(holds)
          if (hold === undefined) next.delete(name)
          else next.set(name, hold)
          holds = next
          unwritten.set(name, hold ?? null)
          return write(name, hold ?? null).pipe(
            Effect.catch((error) =>
              Effect.logWarning(
                "breaker override applied on this replica only until Redis answers; it is written then"
              ).pipe(Effect.annotateLogs({ breaker: name, error: error.message }))
            )
          )
        })
    }
  })
