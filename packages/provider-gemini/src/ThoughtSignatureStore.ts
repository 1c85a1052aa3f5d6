/**
 * Where the adapter keeps function-call thought signatures between turns, so the follow-up tool
 * turn can send them back to Gemini — which rejects a Gemini 3 follow-up without them and
 * thinks worse on 2.5. Keyed by tool-call id (the id the client echoes back with its tool
 * result). `memory` keeps them in this process; `redis` shares them between replicas, so the
 * follow-up may land on any of them.
 *
 * A store never fails a call: an unreachable Redis means this process's own signatures only.
 *
 * @example
 * ```ts
 * import { make, ThoughtSignatureStore } from "@am/provider-gemini"
 * import { Effect } from "effect"
 * import { Redis } from "effect/persistence"
 *
 * const program = Effect.gen(function* () {
 *   const redis = yield* Redis.Redis
 *   const google = make({ id: "google", thoughtSignatures: ThoughtSignatureStore.redis(redis, { prefix: "am:" }) })
 * })
 * ```
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { Clock, Effect } from "effect"
import { Redis } from "effect/persistence"
import { makeThoughtSignatures } from "./RequestTranslation.ts"

/** A signature store: what {@link make}'s `thoughtSignatures` option takes. */
export interface ThoughtSignatureStore {
  /** The known signatures of these tool-call ids (unknown ids absent). Never fails. */
  readonly lookup: (toolCallIds: ReadonlyArray<string>) => Effect.Effect<ReadonlyMap<string, string>>
  /** Remembers signatures by tool-call id. Never fails. */
  readonly remember: (entries: ReadonlyArray<readonly [toolCallId: string, signature: string]>) => Effect.Effect<void>
}

/** Options of {@link ThoughtSignatureStore.redis}. */
export interface RedisThoughtSignatureOptions {
  /** Key prefix (the config's `state.prefix`); keys live under `<prefix>gemini:sig:`. */
  readonly prefix: string
  /** How long a signature is kept after its turn (default 24 h). */
  readonly ttlMs?: number
  /** Most signatures kept in Redis; the oldest go first past it (default 100 000). */
  readonly maxEntries?: number
  /** A larger signature is kept in this process only (default 64 KiB). */
  readonly maxSignatureBytes?: number
  /** Signatures also kept in this process, the most recent first (default 10 000). */
  readonly localCapacity?: number
}

export const DEFAULT_SIGNATURE_TTL_MS = 24 * 60 * 60 * 1000
export const DEFAULT_MAX_SHARED_SIGNATURES = 100_000
export const DEFAULT_MAX_SIGNATURE_BYTES = 64 * 1024

const memory = (capacity = 10_000): ThoughtSignatureStore => {
  const local = makeThoughtSignatures(capacity)
  return {
    lookup: (ids) =>
      Effect.sync(() => {
        const found = new Map<string, string>()
        for (const id of ids) {
          const signature = local.get(id)
          if (signature !== undefined) found.set(id, signature)
        }
        return found
      }),
    remember: (entries) =>
      Effect.sync(() => {
        for (const [id, signature] of entries) local.set(id, signature)
      })
  }
}

/**
 * Stores the signatures (each `SET … PX ttl`), indexes them in a sorted set by time, drops index
 * members past the TTL and then the oldest past `maxEntries` — in one script, so concurrent
 * replicas keep the bound.
 */
const rememberScript = Redis.script(
  (
    index: string,
    keys: ReadonlyArray<string>,
    values: ReadonlyArray<string>,
    ttlMs: number,
    now: number,
    max: number
  ) => [index, ...keys, String(Math.ceil(ttlMs)), String(now), String(max), ...values],
  {
    numberOfKeys: (_index, keys) => 1 + keys.length,
    lua: `
local ttl, now, max = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
for i = 2, #KEYS do
  redis.call("SET", KEYS[i], ARGV[i + 2], "PX", ttl)
  redis.call("ZADD", KEYS[1], now, KEYS[i])
end
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", now - ttl)
local over = redis.call("ZCARD", KEYS[1]) - max
if over > 0 then
  local victims = redis.call("ZRANGE", KEYS[1], 0, over - 1)
  redis.call("ZREMRANGEBYRANK", KEYS[1], 0, over - 1)
  for _, k in ipairs(victims) do redis.call("DEL", k) end
end
redis.call("PEXPIRE", KEYS[1], ttl)
return 1
`
  }
).withReturnType<number>()

const redis = (client: Redis.Redis["Service"], options: RedisThoughtSignatureOptions): ThoughtSignatureStore => {
  const ttlMs = Math.max(1, options.ttlMs ?? DEFAULT_SIGNATURE_TTL_MS)
  const max = Math.max(1, options.maxEntries ?? DEFAULT_MAX_SHARED_SIGNATURES)
  const maxBytes = options.maxSignatureBytes ?? DEFAULT_MAX_SIGNATURE_BYTES
  const local = memory(options.localCapacity)
  const base = `${options.prefix}gemini:sig:`
  const index = `${base}index`
  // Tool-call ids come from clients: hashed, a key's length is bounded whatever they send.
  const keyOf = (id: string) => `${base}${createHash("sha256").update(id).digest("base64url")}`
  const remember = client.eval(rememberScript)
  return {
    lookup: (ids) =>
      Effect.gen(function* () {
        const found = new Map(yield* local.lookup(ids))
        const missing = [...new Set(ids.filter((id) => !found.has(id)))]
        if (missing.length === 0) return found
        const values = yield* client
          .send<ReadonlyArray<string | null>>("MGET", ...missing.map(keyOf))
          .pipe(Effect.orElseSucceed(() => [] as ReadonlyArray<string | null>))
        missing.forEach((id, i) => {
          const value = values[i]
          if (typeof value === "string") found.set(id, value)
        })
        return found
      }),
    remember: (entries) =>
      Effect.gen(function* () {
        if (entries.length === 0) return
        yield* local.remember(entries)
        const shared = entries.filter(([, signature]) => Buffer.byteLength(signature) <= maxBytes)
        if (shared.length === 0) return
        yield* remember(
          index,
          shared.map(([id]) => keyOf(id)),
          shared.map(([, signature]) => signature),
          ttlMs,
          yield* Clock.currentTimeMillis,
          max
        ).pipe(Effect.ignore)
      })
  }
}

/**
 * The stores: `memory(capacity?)` (bounded, this process; the default) and
 * `redis(client, options)` (shared by every replica on the same Redis and prefix, bounded by
 * count and TTL, with this process's own copy in front).
 */
export const ThoughtSignatureStore = { memory, redis } as const
