/**
 * A provider's pool kept in Redis, shared by every replica, with the same pure transitions as
 * the memory layer (`pool.ts`).
 *
 * The pool's mutable state (penalties, cool-downs, disabled marks, counters, the rotation
 * cursor; never a secret: keys are stored by id) is one JSON document in a Redis hash beside a
 * version number. An operation computes its transition on this replica's last-seen copy and
 * commits it with a compare-and-set Lua script: it lands only if the version is still the one
 * the transition was computed from. Otherwise the script answers with the current document, the
 * transition is recomputed on it, and the commit retried. So every transition applies to the
 * latest shared state exactly once, across processes, and this layer reuses the memory layer's
 * policy code unchanged. A transition that changes nothing only checks the version (no write).
 *
 * Within one process a semaphore per pool serialises operations, so compare-and-set conflicts
 * only come from other replicas. Time is each replica's Clock (the cool-downs are epoch ms in
 * the document), so replicas' clocks should agree to well under the shortest cool-down.
 *
 * @internal
 */
import { Effect, Option, Schema, Semaphore } from "effect"
import { Redis } from "effect/persistence"
import type { KeyState, PoolState } from "./Pool.ts"

const ModelCooling = Schema.Struct({ until: Schema.Number, streak: Schema.Number, lastAt: Schema.Number })

const StoredKey = Schema.Struct({
  penalty: Schema.Number,
  penaltyAt: Schema.Number,
  coolUntil: Schema.Number,
  models: Schema.Record(Schema.String, ModelCooling),
  disabled: Schema.optionalKey(
    Schema.Struct({ reason: Schema.String, at: Schema.Number, recheckAt: Schema.optionalKey(Schema.Number) })
  ),
  unhealthy: Schema.Boolean,
  leases: Schema.Number,
  failures: Schema.Number
})
type StoredKey = typeof StoredKey.Type

/** The stored document: per-key state by key id, the cursor and the degraded flag. */
const StoredPool = Schema.Struct({
  cursor: Schema.Number,
  degraded: Schema.Boolean,
  keys: Schema.Record(Schema.String, StoredKey)
})
type StoredPool = typeof StoredPool.Type

const decodeStored = Schema.decodeUnknownOption(StoredPool)

/** What this replica last saw: the pool over its own keys, plus keys only other replicas have. */
interface View {
  readonly version: string
  readonly pool: PoolState
  readonly foreign: Readonly<Record<string, StoredKey>>
}

const storedKey = (k: KeyState): StoredKey => ({
  penalty: k.penalty,
  penaltyAt: k.penaltyAt,
  coolUntil: k.coolUntil,
  models: k.models,
  ...(k.disabled === undefined ? {} : { disabled: k.disabled }),
  unhealthy: k.unhealthy,
  leases: k.leases,
  failures: k.failures
})

const encode = (pool: PoolState, foreign: Readonly<Record<string, StoredKey>>): string => {
  const keys: Record<string, StoredKey> = { ...foreign }
  for (const k of pool.keys) keys[k.key.id] = storedKey(k)
  return JSON.stringify({ cursor: pool.cursor, degraded: pool.degraded, keys } satisfies StoredPool)
}

/**
 * The pool a stored document describes, over this replica's keys (secrets, weights and order
 * come from its config; a key the document lacks starts fresh). An empty or unreadable
 * document is a fresh pool.
 */
const decode = (initial: PoolState, json: string): Pick<View, "pool" | "foreign"> => {
  if (json === "") return { pool: initial, foreign: {} }
  let parsed: unknown
  try {
    parsed = JSON.parse(json)
  } catch {
    return { pool: initial, foreign: {} }
  }
  const stored = decodeStored(parsed)
  if (Option.isNone(stored)) return { pool: initial, foreign: {} }
  const { keys, cursor, degraded } = stored.value
  const foreign: Record<string, StoredKey> = { ...keys }
  const local = initial.keys.map((k): KeyState => {
    const s = keys[k.key.id]
    delete foreign[k.key.id]
    if (s === undefined) return k
    const { disabled, ...rest } = s
    return disabled === undefined ? { ...k, ...rest } : { ...k, ...rest, disabled }
  })
  const n = local.length
  return {
    pool: { ...initial, keys: local, cursor: n === 0 ? 0 : Math.abs(Math.trunc(cursor)) % n, degraded },
    foreign
  }
}

// Returns { 1, version } when committed (or, for an empty document, when the version matched);
// { 0, version, document } when the version moved on.
const commitScript = Redis.script((key: string, expected: string, document: string) => [key, expected, document], {
  numberOfKeys: 1,
  lua: `
local v = redis.call("HGET", KEYS[1], "v") or "0"
if v ~= ARGV[1] then
  return { 0, v, redis.call("HGET", KEYS[1], "s") or "" }
end
if ARGV[2] == "" then
  return { 1, v }
end
local next = redis.call("HINCRBY", KEYS[1], "v", 1)
redis.call("HSET", KEYS[1], "s", ARGV[2])
return { 1, next }
`
}).withReturnType<readonly [committed: 1, version: string | number] | readonly [0, string, string]>()

/** One provider's pool: `modify` runs one transition atomically and returns its result. */
export interface PoolCell {
  readonly modify: <A>(f: (pool: PoolState) => readonly [A, PoolState]) => Effect.Effect<A>
}

class Conflict {
  readonly _tag = "Conflict"
}

/**
 * How many times a transition is recomputed after losing a race to another replica. Each loss
 * means another replica committed, so the pool as a whole keeps moving; running out only under
 * sustained contention from many replicas on one provider.
 */
const MAX_CONFLICTS = 100

/**
 * A pool in Redis at `key`. Should Redis fail (or the conflicts run out), the transition applies
 * to this replica's copy alone, with a warning when that starts and when it ends: the replica
 * keeps serving on its own view, and once Redis answers again the first commit finds the shared
 * document (moved on or not) and carries on from it.
 */
export const makeRedisCell = Effect.fnUntraced(function* (key: string, initial: PoolState) {
  const redis = yield* Redis.Redis
  const commit = redis.eval(commitScript)
  const lock = yield* Semaphore.make(1)
  let view: View = { version: "0", pool: initial, foreign: {} }
  let detached = false

  const attempt = <A>(f: (pool: PoolState) => readonly [A, PoolState]) =>
    Effect.suspend(() => {
      const from = view
      const [result, next] = f(from.pool)
      return Effect.flatMap(
        commit(key, from.version, next === from.pool ? "" : encode(next, from.foreign)),
        (reply) => {
          if (reply[0] === 1) {
            view = { ...from, version: String(reply[1]), pool: next }
            return Effect.succeed(result)
          }
          view = { version: reply[1], ...decode(initial, reply[2]) }
          return Effect.fail(new Conflict())
        }
      )
    })

  const modify = <A>(f: (pool: PoolState) => readonly [A, PoolState]): Effect.Effect<A> =>
    attempt(f).pipe(
      Effect.retry({ while: (e) => e instanceof Conflict, times: MAX_CONFLICTS }),
      Effect.tap(() => {
        if (!detached) return Effect.void
        detached = false
        return Effect.logWarning(`keyring: ${key} is shared through Redis again`)
      }),
      Effect.catch((error) =>
        Effect.suspend(() => {
          const [result, next] = f(view.pool)
          view = { ...view, pool: next }
          const warn = detached
            ? Effect.void
            : Effect.logWarning(`keyring: ${key} runs on this replica's copy until Redis answers`, error)
          detached = true
          return Effect.as(warn, result)
        })
      ),
      (effect) => lock.withPermit(effect)
    )

  return { modify } satisfies PoolCell
})
