/**
 * A bounded set of JSON entries in Redis, shared by every replica that uses the same keys: a
 * sorted set of members (scored by when each was stored or last read), a hash of their sizes
 * and a running byte total. Storing an entry is one Lua script, so concurrent replicas keep the
 * bound: it drops members older than the TTL (their entries expired), then the lowest-scored
 * until at most `maxEntries` and `maxBytes` remain (0 = no bound). Entry keys are derived inside
 * the script from `entryPrefix`, so the layout suits a single Redis (or one hash slot).
 *
 * The response cache keeps one set per route; the gateway's Responses store keeps one for all
 * stored responses.
 *
 * @example
 * ```ts
 * import { BoundedRedisSet } from "@am/cache"
 * import { Effect } from "effect"
 * import { Redis } from "effect/persistence"
 *
 * const program = Effect.gen(function* () {
 *   const set = BoundedRedisSet.make(yield* Redis.Redis)
 *   const keys = { entry: "am:x:e:m1", index: "am:x:i", sizes: "am:x:s", total: "am:x:t" }
 *   yield* set.set(keys, "{}", "m1", "am:x:e:", { ttlMs: 60_000, maxEntries: 100 }, Date.now())
 * })
 * ```
 * @since 0.1.0
 */
import { Effect } from "effect"
import { Redis } from "effect/persistence"

/** The keys of one set: the member's entry, and the set's index, sizes and total. */
export interface Keys {
  readonly entry: string
  readonly index: string
  readonly sizes: string
  readonly total: string
}

/** The bounds of a set (`maxEntries`/`maxBytes` absent or 0: unbounded). */
export interface Limits {
  readonly ttlMs: number
  readonly maxEntries?: number | undefined
  readonly maxBytes?: number | undefined
}

const setScript = Redis.script(
  (
    keys: Keys,
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

const removeScript = Redis.script(
  (keys: Keys, member: string) => [keys.entry, keys.index, keys.sizes, keys.total, member],
  {
    numberOfKeys: 4,
    lua: `
local existed = redis.call("DEL", KEYS[1])
redis.call("ZREM", KEYS[2], ARGV[1])
local sz = redis.call("HGET", KEYS[3], ARGV[1])
if sz then
  redis.call("HDEL", KEYS[3], ARGV[1])
  redis.call("DECRBY", KEYS[4], sz)
end
return existed
`
  }
).withReturnType<number>()

/** The set's operations over `redis`. */
export const make = (redis: Redis.Redis["Service"]) => {
  const set = redis.eval(setScript)
  const get = redis.eval(getScript)
  const remove = redis.eval(removeScript)
  return {
    /** Stores `json` as `member`; `false` when it is larger than `maxBytes` (not stored). */
    set: (keys: Keys, json: string, member: string, entryPrefix: string, limits: Limits, now: number) =>
      Effect.map(
        set(keys, json, member, entryPrefix, limits.ttlMs, now, limits.maxEntries ?? 0, limits.maxBytes ?? 0),
        (stored) => stored === 1
      ),
    /** The member's entry, its score refreshed to `now` (least recently used goes first). */
    getTouching: (entry: string, index: string, member: string, now: number) => get(entry, index, member, now),
    /** Removes the member; `true` when its entry existed. */
    remove: (keys: Keys, member: string) => Effect.map(remove(keys, member), (n) => n === 1)
  }
}
