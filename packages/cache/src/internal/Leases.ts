/**
 * Exclusive, expiring leases on a slot (an idempotency key in flight, a cache fill in progress):
 * in the process, or in Redis (`SET NX PX`, so every replica sees the holder and a lease whose
 * holder died expires on its own). A lease remembers the request hash it was taken for, so a
 * second taker can tell "the same request in flight" from "another body under the same key".
 *
 * @internal
 */
import { Clock, Effect } from "effect"
import { Redis } from "effect/persistence"

export type Acquired =
  | { readonly _tag: "Acquired" }
  | { readonly _tag: "Held"; readonly requestHash: string; readonly remainingMs: number }

/** The lease operations both stores share; `RedisError` is mapped by the caller. */
export interface Leases<E> {
  readonly acquire: (slot: string, requestHash: string, token: string, ttlMs: number) => Effect.Effect<Acquired, E>
  /** Extends a lease still held with `token`; `false` when it was lost. */
  readonly extend: (slot: string, token: string, ttlMs: number) => Effect.Effect<boolean, E>
  /** Gives a lease up if `token` still holds it. */
  readonly release: (slot: string, token: string) => Effect.Effect<void, E>
}

interface Held {
  readonly token: string
  readonly requestHash: string
  expiresAt: number
}

/** Leases in this process (one replica); expiry on the Clock. */
export const makeMemoryLeases = (): Leases<never> => {
  const slots = new Map<string, Held>()
  const live = (slot: string, now: number): Held | undefined => {
    const held = slots.get(slot)
    if (held !== undefined && held.expiresAt <= now) {
      slots.delete(slot)
      return undefined
    }
    return held
  }
  return {
    acquire: (slot, requestHash, token, ttlMs) =>
      Effect.map(Clock.currentTimeMillis, (now): Acquired => {
        const held = live(slot, now)
        if (held !== undefined) {
          return { _tag: "Held", requestHash: held.requestHash, remainingMs: held.expiresAt - now }
        }
        slots.set(slot, { token, requestHash, expiresAt: now + ttlMs })
        return { _tag: "Acquired" }
      }),
    extend: (slot, token, ttlMs) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const held = live(slot, now)
        if (held === undefined || held.token !== token) return false
        held.expiresAt = now + ttlMs
        return true
      }),
    release: (slot, token) =>
      Effect.sync(() => {
        if (slots.get(slot)?.token === token) slots.delete(slot)
      })
  }
}

// The value is "<token>\n<requestHash>"; neither contains a newline (hex and base36).
const acquireScript = Redis.script(
  (key: string, value: string, ttlMs: number) => [key, value, String(Math.max(1, Math.ceil(ttlMs)))],
  {
    numberOfKeys: 1,
    lua: `
if redis.call("SET", KEYS[1], ARGV[1], "NX", "PX", ARGV[2]) then
  return { 1 }
end
return { 0, redis.call("GET", KEYS[1]) or "", redis.call("PTTL", KEYS[1]) }
`
  }
).withReturnType<readonly [1] | readonly [0, string, number]>()

const extendScript = Redis.script(
  (key: string, token: string, ttlMs: number) => [key, token, String(Math.max(1, Math.ceil(ttlMs)))],
  {
    numberOfKeys: 1,
    lua: `
local v = redis.call("GET", KEYS[1])
if v and string.sub(v, 1, string.len(ARGV[1]) + 1) == ARGV[1] .. "\\n" then
  redis.call("PEXPIRE", KEYS[1], ARGV[2])
  return 1
end
return 0
`
  }
).withReturnType<number>()

const releaseScript = Redis.script((key: string, token: string) => [key, token], {
  numberOfKeys: 1,
  lua: `
local v = redis.call("GET", KEYS[1])
if v and string.sub(v, 1, string.len(ARGV[1]) + 1) == ARGV[1] .. "\\n" then
  redis.call("DEL", KEYS[1])
end
return 0
`
}).withReturnType<number>()

/** Leases in Redis under `prefix`, seen by every replica that uses the same prefix. */
export const makeRedisLeases = Effect.fnUntraced(function* (prefix: string) {
  const redis = yield* Redis.Redis
  const acquire = redis.eval(acquireScript)
  const extend = redis.eval(extendScript)
  const release = redis.eval(releaseScript)
  return {
    acquire: (slot, requestHash, token, ttlMs) =>
      Effect.map(acquire(`${prefix}${slot}`, `${token}\n${requestHash}`, ttlMs), (reply): Acquired => {
        if (reply[0] === 1) return { _tag: "Acquired" }
        const value = reply[1]
        const cut = value.indexOf("\n")
        return {
          _tag: "Held",
          requestHash: cut < 0 ? "" : value.slice(cut + 1),
          // -1/-2 (no expiry / just expired): the lease is about to go, try again soon.
          remainingMs: Math.max(0, reply[2])
        }
      }),
    extend: (slot, token, ttlMs) => Effect.map(extend(`${prefix}${slot}`, token, ttlMs), (n) => n === 1),
    release: (slot, token) => Effect.asVoid(release(`${prefix}${slot}`, token))
  } satisfies Leases<Redis.RedisError>
})
