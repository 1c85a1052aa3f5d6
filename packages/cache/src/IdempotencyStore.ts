/**
 * Where finished idempotent results are kept until their retention ends: in the process
 * (`layerMemory`), in Redis (`layerRedis`, shared by replicas, expiring with `PX`), or in the SQL
 * store (`IdempotencySql.layer`, durable). The first result stored for a workspace and key wins:
 * a second `put` (a holder whose lease expired finishing late) returns the one kept.
 *
 * @example
 * ```ts
 * import { IdempotencyStore } from "@am/cache"
 * import { Effect } from "effect"
 * const kept = IdempotencyStore.use((store) => store.get("team-a", "order-42"))
 * kept.pipe(Effect.provide(IdempotencyStore.layerMemory))
 * ```
 * @since 0.1.0
 */
import { Tracing } from "@am/core"
import { createHash } from "node:crypto"
import { Clock, Context, Effect, Layer, Option, Schema } from "effect"
import { Redis } from "effect/persistence"
import { IdempotencyError, StoreUnavailable } from "./Errors.ts"

/** A finished call's result, as replayed to a later request with the same key. */
export const StoredResult = Schema.Struct({
  workspace: Schema.String,
  key: Schema.String,
  /** The fingerprint of the request that produced it (`requestHash`). */
  requestHash: Schema.String,
  /** The original request's id: a replay answers with it. */
  requestId: Schema.String,
  /** The answer, as JSON (the caller's encoded completion or response body). */
  value: Schema.Json,
  /** Epoch ms. */
  completedAt: Schema.Number,
  /** Epoch ms after which the result is gone and the key may run again. */
  expiresAt: Schema.Number
})
export type StoredResult = typeof StoredResult.Type

const StoredResultJson = Schema.fromJsonString(StoredResult)
const decodeJson = Schema.decodeUnknownOption(StoredResultJson)
const encodeJson = Schema.encodeSync(StoredResultJson)

/** The slot of a workspace's key: one string, with no way for two pairs to collide. */
export const slotOf = (workspace: string, key: string): string =>
  createHash("sha256")
    .update(JSON.stringify([workspace, key]), "utf8")
    .digest("hex")

export const unavailable = (operation: string) => (cause: unknown) =>
  new IdempotencyError({
    reason: new StoreUnavailable({
      operation,
      detail: cause instanceof Error ? cause.message : String((cause as { cause?: unknown })?.cause ?? cause)
    })
  })

export interface IdempotencyStoreShape {
  /** The live (unexpired) result for a workspace's key. */
  readonly get: (workspace: string, key: string) => Effect.Effect<Option.Option<StoredResult>, IdempotencyError>
  /** Stores a result unless a live one exists; returns the result kept. */
  readonly put: (result: StoredResult) => Effect.Effect<StoredResult, IdempotencyError>
  /** Deletes expired results (Redis expires them itself); returns how many went. */
  readonly purge: Effect.Effect<number, IdempotencyError>
}

/** The result store the `Idempotency` service keeps finished calls in. */
export class IdempotencyStore extends Context.Service<IdempotencyStore, IdempotencyStoreShape>()(
  "@am/cache/IdempotencyStore"
) {
  /** Results in this process, expiring on the Clock (purged as they are read and by `purge`). */
  static readonly layerMemory: Layer.Layer<IdempotencyStore> = Layer.sync(IdempotencyStore, () => {
    const results = new Map<string, StoredResult>()
    return IdempotencyStore.of({
      get: Tracing.fn("IdempotencyStore.get")(function* (workspace: string, key: string) {
        const now = yield* Clock.currentTimeMillis
        const slot = slotOf(workspace, key)
        const found = results.get(slot)
        if (found === undefined) return Option.none()
        if (found.expiresAt <= now) {
          results.delete(slot)
          return Option.none()
        }
        return Option.some(found)
      }),
      put: Tracing.fn("IdempotencyStore.put")(function* (result: StoredResult) {
        const now = yield* Clock.currentTimeMillis
        const slot = slotOf(result.workspace, result.key)
        const found = results.get(slot)
        if (found !== undefined && found.expiresAt > now) return found
        results.set(slot, result)
        return result
      }),
      purge: Effect.withSpan(
        Effect.map(Clock.currentTimeMillis, (now) => {
          let n = 0
          for (const [slot, r] of results) {
            if (r.expiresAt <= now) {
              results.delete(slot)
              n++
            }
          }
          return n
        }),
        "IdempotencyStore.purge"
      )
    })
  })

  /**
   * Results in Redis under `prefix` (default `"am:"`), shared by every replica with the same
   * prefix; each expires with its retention (`PX`). Only the slot's hash names the Redis key.
   */
  static layerRedis(options: { readonly prefix?: string } = {}): Layer.Layer<IdempotencyStore, never, Redis.Redis> {
    const prefix = `${options.prefix ?? "am:"}idem:result:`
    return Layer.effect(
      IdempotencyStore,
      Effect.gen(function* () {
        const redis = yield* Redis.Redis
        const read = (slot: string) =>
          Effect.map(redis.send<string | null>("GET", `${prefix}${slot}`), (json) =>
            json === null ? Option.none() : decodeJson(json)
          )
        return IdempotencyStore.of({
          get: Tracing.fn("IdempotencyStore.get")(function* (workspace: string, key: string) {
            return yield* read(slotOf(workspace, key)).pipe(Effect.mapError(unavailable("get")))
          }),
          put: Tracing.fn("IdempotencyStore.put")(function* (result: StoredResult) {
            const now = yield* Clock.currentTimeMillis
            const slot = slotOf(result.workspace, result.key)
            const ttl = String(Math.max(1, Math.ceil(result.expiresAt - now)))
            const set = yield* redis
              .send<string | null>("SET", `${prefix}${slot}`, encodeJson(result), "NX", "PX", ttl)
              .pipe(Effect.mapError(unavailable("put")))
            if (set !== null) return result
            const kept = yield* read(slot).pipe(Effect.mapError(unavailable("put")))
            return Option.getOrElse(kept, () => result)
          }),
          purge: Effect.succeed(0)
        })
      })
    )
  }
}
