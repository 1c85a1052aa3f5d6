/**
 * The gateway's own store of Responses API answers (`store: true`, the default): what
 * `previous_response_id` continues, `item_reference` points at and `GET /v1/responses/{id}`
 * returns. Entries are per workspace — one team cannot read or continue another's responses.
 *
 * `layerMemory` is bounded (oldest response evicted first) and lives in one process; the
 * Redis store (`ResponseStoreRedis.ts`, chosen by `state.store`) is shared by every replica, so a
 * continuation may reach any of them.
 */
import { Context, Effect, Layer } from "effect"

/** One stored response: its wire object, the input items it was asked with and its output items. */
export interface StoredResponse {
  readonly id: string
  readonly workspaceId: string
  readonly previousResponseId: string | undefined
  /** The request's own input items (wire JSON, `item_reference`s resolved), without `instructions`. */
  readonly input: ReadonlyArray<unknown>
  /** The `output` items of the answer (wire JSON; a same-wire upstream's own items may have no `id`). */
  readonly output: ReadonlyArray<{ readonly id?: unknown }>
  /** The `response` object as answered. */
  readonly response: unknown
}

export interface ResponseStoreShape {
  readonly put: (stored: StoredResponse) => Effect.Effect<void>
  readonly get: (workspaceId: string, id: string) => Effect.Effect<StoredResponse | undefined>
  /** An output item of a stored response, by its id (`msg_…`, `fc_…`). */
  readonly item: (workspaceId: string, itemId: string) => Effect.Effect<unknown>
  /** Removes a response; `false` when there was none. */
  readonly remove: (workspaceId: string, id: string) => Effect.Effect<boolean>
}

const slot = (workspaceId: string, id: string) => `${workspaceId}\u0000${id}`

/** A bounded in-memory store (insertion order; the oldest response goes first when full). */
export const makeMemory = (options?: { readonly capacity?: number }): ResponseStoreShape => {
  const capacity = Math.max(1, options?.capacity ?? 10_000)
  const responses = new Map<string, StoredResponse>()
  const items = new Map<string, unknown>()
  const drop = (key: string) => {
    const stored = responses.get(key)
    if (stored === undefined) return false
    responses.delete(key)
    for (const item of stored.output) if (typeof item.id === "string") items.delete(slot(stored.workspaceId, item.id))
    return true
  }
  return {
    put: (stored) =>
      Effect.sync(() => {
        const key = slot(stored.workspaceId, stored.id)
        drop(key)
        responses.set(key, stored)
        for (const item of stored.output)
          if (typeof item.id === "string") items.set(slot(stored.workspaceId, item.id), item)
        while (responses.size > capacity) drop(responses.keys().next().value!)
      }),
    get: (workspaceId, id) => Effect.sync(() => responses.get(slot(workspaceId, id))),
    item: (workspaceId, itemId) => Effect.sync(() => items.get(slot(workspaceId, itemId))),
    remove: (workspaceId, id) => Effect.sync(() => drop(slot(workspaceId, id)))
  }
}

/**
 * Where `POST /v1/responses` keeps answers. Optional in the gateway's context: without it the
 * route keeps a bounded in-memory store of its own.
 *
 * @example
 * ```ts
 * import { ResponseStore } from "@am/gateway"
 * const layer = ResponseStore.layerMemory({ capacity: 1000 })
 * ```
 */
export class ResponseStore extends Context.Service<ResponseStore, ResponseStoreShape>()("@am/gateway/ResponseStore") {
  static readonly layerMemory = (options?: { readonly capacity?: number }) =>
    Layer.sync(ResponseStore, () => ResponseStore.of(makeMemory(options)))
}
