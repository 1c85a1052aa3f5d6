/**
 * Cache entries in Redis, bounded per route like the memory LRU and shared by every replica on
 * the same prefix: one `BoundedRedisSet` per route. Per route: a sorted set of entry hashes scored by last access (the LRU
 * order), a hash of their sizes and a running byte total. Storing an entry (one Lua script, so
 * atomic) drops index members whose last access is older than the TTL (their entries expired),
 * then evicts the least recently used until the route is within `maxEntries` and `maxBytes`. A
 * hit refreshes the member's score. Entry keys are derived inside the script from the prefix,
 * so this layout suits a single Redis (or one hash slot), not a cluster spread over slots.
 *
 * @internal
 */
import { Effect } from "effect"
import { Redis } from "effect/persistence"
import * as BoundedRedisSet from "../BoundedRedisSet.ts"

export type RedisEntryLimits = BoundedRedisSet.Limits

/** Entries under `prefix` (e.g. `"am:cache:"`). */
export const makeRedisEntries = Effect.fnUntraced(function* (prefix: string) {
  const redis = yield* Redis.Redis
  const entries = BoundedRedisSet.make(redis)
  const entryPrefix = `${prefix}e:`
  const routeKeys = (route: string) => {
    const r = encodeURIComponent(route)
    return { index: `${prefix}i:${r}`, sizes: `${prefix}s:${r}`, total: `${prefix}t:${r}` }
  }
  return {
    get: (route: string, hash: string, now: number) =>
      entries.getTouching(`${entryPrefix}${hash}`, routeKeys(route).index, hash, now),
    set: (route: string, hash: string, json: string, limits: RedisEntryLimits, now: number) =>
      entries.set({ entry: `${entryPrefix}${hash}`, ...routeKeys(route) }, json, hash, entryPrefix, limits, now),
    /** How many entries and bytes a route holds (for operators and tests). */
    usage: (route: string) => {
      const k = routeKeys(route)
      return Effect.all({
        entries: redis.send<number>("ZCARD", k.index),
        bytes: Effect.map(redis.send<string | null>("GET", k.total), (t) => Number(t ?? 0))
      })
    }
  }
})
