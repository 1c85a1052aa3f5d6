/**
 * Cache entries in Redis, bounded per route like the memory LRU and shared by every replica on
 * the same prefix. Per route: a sorted set of entry hashes scored by last access (the LRU
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

const setScript = Redis.script(
  (
    keys: { entry: string; index: string; sizes: string; total: string },
    json: string,
    member: string,
    entryPrefix: string,
    ttlMs: number,
    now: number,
    maxEntries: number,
    maxBytes: number
  ) => [
    keys.entry,
    keys.index,
    keys.sizes,
    keys.total,
    json,
    member,
    entryPrefix,
    String(Math.ceil(ttlMs)),
    String(now),
    String(maxEntries),
    String(maxBytes)
  ],
  {
    numberOfKeys: 4,
    lua: `
local json, member, entryPrefix = ARGV[1], ARGV[2], ARGV[3]
local ttl, now, maxEntries, maxBytes = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local bytes = string.len(json)
local function drop(m)
  redis.call("ZREM", KEYS[2], m)
  local sz = redis.call("HGET", KEYS[3], m)
  if sz then
    redis.call("HDEL", KEYS[3], m)
    redis.call("DECRBY", KEYS[4], sz)
  end
  redis.call("DEL", entryPrefix .. m)
end
local stale = redis.call("ZRANGEBYSCORE", KEYS[2], "-inf", now - ttl, "LIMIT", 0, 100)
for _, m in ipairs(stale) do drop(m) end
drop(member)
if maxBytes > 0 and bytes > maxBytes then return 0 end
redis.call("SET", KEYS[1], json, "PX", ttl)
redis.call("ZADD", KEYS[2], now, member)
redis.call("HSET", KEYS[3], member, bytes)
redis.call("INCRBY", KEYS[4], bytes)
while true do
  local n = redis.call("ZCARD", KEYS[2])
  local total = tonumber(redis.call("GET", KEYS[4]) or "0")
  if not ((maxEntries > 0 and n > maxEntries) or (maxBytes > 0 and total > maxBytes)) then break end
  local victim = redis.call("ZRANGE", KEYS[2], 0, 0)[1]
  if not victim then break end
  drop(victim)
end
return 1
`
  }
).withReturnType<number>()

const getScript = Redis.script(
  (entry: string, index: string, member: string, now: number) => [entry, index, member, String(now)],
  {
    numberOfKeys: 2,
    lua: `
local v = redis.call("GET", KEYS[1])
if v then redis.call("ZADD", KEYS[2], "XX", ARGV[2], ARGV[1]) end
return v
`
  }
).withReturnType<string | null>()

export interface RedisEntryLimits {
  readonly ttlMs: number
  readonly maxEntries?: number | undefined
  readonly maxBytes?: number | undefined
}

/** Entries under `prefix` (e.g. `"am:cache:"`). */
export const makeRedisEntries = Effect.fnUntraced(function* (prefix: string) {
  const redis = yield* Redis.Redis
  const set = redis.eval(setScript)
  const get = redis.eval(getScript)
  const entryPrefix = `${prefix}e:`
  const routeKeys = (route: string) => {
    const r = encodeURIComponent(route)
    return { index: `${prefix}i:${r}`, sizes: `${prefix}s:${r}`, total: `${prefix}t:${r}` }
  }
  return {
    get: (route: string, hash: string, now: number) => get(`${entryPrefix}${hash}`, routeKeys(route).index, hash, now),
    set: (route: string, hash: string, json: string, limits: RedisEntryLimits, now: number) =>
      Effect.map(
        set(
          { entry: `${entryPrefix}${hash}`, ...routeKeys(route) },
          json,
          hash,
          entryPrefix,
          limits.ttlMs,
          now,
          limits.maxEntries ?? 0,
          limits.maxBytes ?? 0
        ),
        (stored) => stored === 1
      ),
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
