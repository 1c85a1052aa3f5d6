/**
 * The Responses store in Redis, shared by every replica on the same Redis and `state.prefix`:
 * a `previous_response_id`, an `item_reference` or `GET /v1/responses/{id}` answered by another
 * replica finds the response. Bounded like the response cache (one `@am/cache` `BoundedRedisSet`): a sorted set orders the entries
 * by when they were stored, a hash and a counter hold their sizes; storing one (a single
 * script, so concurrent replicas keep the bound) drops the entries past the TTL, then the oldest
 * until at most `maxEntries` and `maxBytes` remain. Entries are per workspace (the workspace is
 * part of the key).
 *
 * Output item ids are made from the response's request id (`msg_<id>`, `fc_<id>_<n>`,
 * `rs_<id>_<n>`), so an item is found through its response: no key per item.
 *
 * A Redis that cannot answer never fails a request: the response is then kept in this process
 * (bounded), and reads fall back to it — a continuation on this replica still works.
 */
import { createHash } from "node:crypto"
import { BoundedRedisSet } from "@am/cache"
import { type AmConfig, layerStateRedis, StoreHealth } from "@am/runtime"
import { Clock, Effect, Layer } from "effect"
import { Redis } from "effect/persistence"
import { makeMemory, ResponseStore, type ResponseStoreShape, type StoredResponse } from "./ResponseStore.ts"

/** Bounds of the shared store. */
export interface RedisResponseStoreOptions {
  /** Key prefix (the config's `state.prefix`); keys live under `<prefix>responses:`. */
  readonly prefix: string
  /** How long a response is kept (default 30 days, as OpenAI keeps stored responses). */
  readonly ttlMs?: number
  /** Most responses kept (default 100 000; the oldest go first). */
  readonly maxEntries?: number
  /** Most bytes of stored JSON (default 256 MiB; the oldest go first; a larger one is kept locally only). */
  readonly maxBytes?: number
  /** Responses kept in this process when Redis cannot take them (default 1 000). */
  readonly localCapacity?: number
}

export const DEFAULT_RESPONSE_TTL_MS = 30 * 24 * 60 * 60 * 1000
export const DEFAULT_MAX_STORED_RESPONSES = 100_000
export const DEFAULT_MAX_STORED_BYTES = 256 * 1024 * 1024

/** A stored entry read back, or `undefined` for anything that is not one (a foreign or corrupt value). */
const decodeStored = (json: string, workspaceId: string): StoredResponse | undefined => {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    return undefined
  }
  if (value === null || typeof value !== "object") return undefined
  const v = value as Record<string, unknown>
  const ok =
    typeof v.id === "string" &&
    v.workspaceId === workspaceId &&
    (v.previousResponseId === undefined || typeof v.previousResponseId === "string") &&
    Array.isArray(v.input) &&
    Array.isArray(v.output) &&
    v.output.every((item) => item !== null && typeof item === "object")
  return ok ? ({ ...v, previousResponseId: v.previousResponseId } as StoredResponse) : undefined
}

/** The response an output item id belongs to (`msg_<id>`, `fc_<id>_<n>`, `rs_<id>_<n>` → `resp_<id>`). */
export const responseIdOfItem = (itemId: string): string | undefined => {
  if (itemId.startsWith("msg_")) return `resp_${itemId.slice(4)}`
  const m = /^(?:fc|rs)_(.+)_\d+$/.exec(itemId)
  return m === null ? undefined : `resp_${m[1]}`
}

/** A Redis-backed `ResponseStoreShape` over `client` (see the module doc). */
export const makeRedis = (client: Redis.Redis["Service"], options: RedisResponseStoreOptions): ResponseStoreShape => {
  const ttlMs = Math.max(1, options.ttlMs ?? DEFAULT_RESPONSE_TTL_MS)
  const maxEntries = Math.max(1, options.maxEntries ?? DEFAULT_MAX_STORED_RESPONSES)
  const maxBytes = Math.max(1, options.maxBytes ?? DEFAULT_MAX_STORED_BYTES)
  const local = makeMemory({ capacity: options.localCapacity ?? 1_000 })
  const base = `${options.prefix}responses:`
  const entryPrefix = `${base}e:`
  const shared = { index: `${base}index`, sizes: `${base}sizes`, total: `${base}total` }
  // Workspace and id come from clients: hashed, a key's length is bounded whatever they send.
  const memberOf = (workspaceId: string, id: string) =>
    createHash("sha256").update(workspaceId).update("\u0000").update(id).digest("base64url")
  const keysOf = (member: string) => ({ entry: `${entryPrefix}${member}`, ...shared })
  const entries = BoundedRedisSet.make(client)

  const get = (workspaceId: string, id: string) =>
    client.send<string | null>("GET", `${entryPrefix}${memberOf(workspaceId, id)}`).pipe(
      Effect.map((json) => (json === null ? undefined : decodeStored(json, workspaceId))),
      Effect.orElseSucceed(() => undefined),
      Effect.flatMap((found) => (found !== undefined ? Effect.succeed(found) : local.get(workspaceId, id)))
    )

  return {
    put: (stored) =>
      Effect.gen(function* () {
        const json = JSON.stringify(stored)
        const member = memberOf(stored.workspaceId, stored.id)
        const now = yield* Clock.currentTimeMillis
        const kept = yield* entries
          .set(keysOf(member), json, member, entryPrefix, { ttlMs, maxEntries, maxBytes }, now)
          .pipe(Effect.orElseSucceed(() => false))
        if (!kept) {
          yield* Effect.logWarning("responses: the shared store did not take a response; it is kept in this process")
          yield* local.put(stored)
        }
      }),
    get,
    item: (workspaceId, itemId) => {
      const responseId = responseIdOfItem(itemId)
      return responseId === undefined
        ? local.item(workspaceId, itemId)
        : Effect.flatMap(get(workspaceId, responseId), (stored) => {
            const found = stored?.output.find((item) => item.id === itemId)
            return found !== undefined ? Effect.succeed(found as unknown) : local.item(workspaceId, itemId)
          })
    },
    remove: (workspaceId, id) =>
      Effect.gen(function* () {
        const member = memberOf(workspaceId, id)
        const shared = yield* entries.remove(keysOf(member), member).pipe(Effect.orElseSucceed(() => false))
        const here = yield* local.remove(workspaceId, id)
        return shared || here
      })
  }
}

/**
 * The store `state.store` asks for: with a `redis://` URL, responses shared by every replica
 * (`state.prefix`, `state.commandTimeout`, its own bounded connection); with `memory`, this
 * process's bounded store.
 */
export const layerResponseStore = (config: Pick<AmConfig, "state">): Layer.Layer<ResponseStore> =>
  config.state.store === "memory"
    ? ResponseStore.layerMemory()
    : Layer.effect(
        ResponseStore,
        Effect.map(Effect.service(Redis.Redis), (redis) =>
          ResponseStore.of(makeRedis(redis, { prefix: config.state.prefix }))
        )
      ).pipe(
        Layer.provide(
          layerStateRedis(
            config.state.store,
            config.state.commandTimeoutMs !== undefined
              ? { commandTimeoutMs: config.state.commandTimeoutMs }
              : undefined
          ).pipe(Layer.provide(StoreHealth.layer))
        )
      )
