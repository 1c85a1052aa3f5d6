/**
 * The gateway's own lifecycle: requests in flight, the drain flag set on SIGTERM (new requests
 * get `503 shutting_down`, `/readyz` turns unready so a load balancer stops sending), and the
 * `Idempotency-Key`s of requests in flight, through `@am/cache`'s `Idempotency` — so with a Redis
 * `state.store` a key in flight on **any** replica answers `409 idempotency_in_progress` (or, with
 * `idempotency.wait`, waits and replays), a finished one is replayed by any replica (same body,
 * same request id), and the same key with another body is `422 idempotency_key_reused`.
 *
 * @example
 * ```ts
 * import { Lifecycle } from "@am/gateway"
 * const layer = Lifecycle.layerWith({ wait: false }) // needs Idempotency (the runtime's layerEngine provides it)
 * ```
 * @since 0.1.0
 */
import { Idempotency, type IdempotencyError, requestHash, type StoredResult } from "@am/cache"
import { Clock, Context, Effect, Exit, Layer, Scope, type Schema } from "effect"
import type { HttpServerResponse } from "effect/http"
import type { Principal } from "./GatewayAuth.ts"
import {
  GatewayError,
  IdempotencyInProgress,
  IdempotencyKeyReused,
  IdempotencyUnavailable,
  InvalidRequest
} from "./GatewayError.ts"

/** How a route answers for a key: the body's fingerprint, and how a stored result is replayed. */
export interface Idempotent<E, R> {
  /** `requestHash(body)`: the same key with another fingerprint is refused (422). */
  readonly requestHash: string
  /** The answer to a request whose key already has a result (no upstream call). */
  readonly replay: (result: StoredResult) => Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
}

/** Stores a finished answer under the request's key (a no-op without a key); never fails the answer. */
export type Complete = (result: { readonly requestId: string; readonly value: Schema.Json }) => Effect.Effect<void>

const noComplete: Complete = () => Effect.void

export interface LifecycleShape {
  readonly startedAt: number
  readonly draining: boolean
  readonly inFlight: number
  /** Starts draining: new requests are refused; those in flight finish. */
  readonly drain: Effect.Effect<void>
  /**
   * Runs a request, counted in flight and, with an idempotency key, holding the key's lease (on
   * every replica sharing the lease store) until `run` ends — or, when `run` calls `keep()` (a
   * streamed answer that outlives the handler), until the effect `keep()` returned runs. `run`
   * calls `complete` with its answer to have it replayed; a key whose holder ends without
   * completing (a failure, an interruption) is free again. Without `idempotent` the key is only
   * exclusive (a route that cannot replay).
   */
  readonly track: <E, R>(
    principal: Principal,
    idempotencyKey: string | undefined,
    run: (
      keep: () => Effect.Effect<void>,
      complete: Complete
    ) => Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>,
    idempotent?: Idempotent<E, R>
  ) => Effect.Effect<HttpServerResponse.HttpServerResponse, E | GatewayError, R>
}

/** The fingerprint of a route that keeps its key exclusive but stores nothing to replay. */
const EXCLUSIVE_ONLY = requestHash({ exclusiveOnly: true })

const refused = (e: IdempotencyError): GatewayError => {
  const r = e.reason
  switch (r._tag) {
    case "InProgress":
      return new GatewayError({ reason: new IdempotencyInProgress({ retryAfterMs: r.retryAfterMs }) })
    case "KeyReused":
      return new GatewayError({ reason: new IdempotencyKeyReused() })
    case "StoreUnavailable":
      return new GatewayError({ reason: new IdempotencyUnavailable({ detail: r.operation }) })
    case "InvalidKey":
      return new GatewayError({ reason: new InvalidRequest({ detail: r.message, field: "Idempotency-Key" }) })
  }
}

export interface LifecycleOptions {
  /** A duplicate of a key in flight waits for the first and replays it, instead of a 409 (`idempotency.wait`). */
  readonly wait?: boolean | undefined
}

const make = Effect.fnUntraced(function* (options: LifecycleOptions) {
  const idempotency = yield* Idempotency
  const startedAt = yield* Clock.currentTimeMillis
  let draining = false
  let inFlight = 0
  const track = <E, R>(
    principal: Principal,
    idempotencyKey: string | undefined,
    run: (
      keep: () => Effect.Effect<void>,
      complete: Complete
    ) => Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>,
    idempotent?: Idempotent<E, R>
  ): Effect.Effect<HttpServerResponse.HttpServerResponse, E | GatewayError, R> =>
    Effect.suspend(() => {
      inFlight++
      // The key's lease lives in this scope: open until the request (or its last frame) ends.
      const scope = Scope.makeUnsafe()
      let released = false
      let kept = false
      const release = Effect.suspend(() => {
        if (released) return Effect.void
        released = true
        inFlight--
        return Scope.close(scope, Exit.void)
      })
      const keep = () => {
        kept = true
        return release
      }
      // Without a key, the run itself (no generator per request: each new generator closure costs
      // V8 an old-space map, docs/performance.md); with one, the idempotency exchange around it.
      const handle =
        idempotencyKey === undefined
          ? run(keep, noComplete)
          : Effect.gen(function* () {
              const request = {
                workspace: principal.workspaceId,
                key: idempotencyKey,
                requestHash: idempotent?.requestHash ?? EXCLUSIVE_ONLY
              }
              const begun = yield* (
                options.wait === true ? idempotency.awaitResult(request) : idempotency.begin(request)
              ).pipe(Scope.provide(scope), Effect.mapError(refused))
              switch (begun._tag) {
                case "InProgress":
                  return yield* new GatewayError({
                    reason: new IdempotencyInProgress({ retryAfterMs: begun.retryAfterMs })
                  })
                case "KeyReused":
                  return yield* new GatewayError({ reason: new IdempotencyKeyReused() })
                case "Replay":
                  // Only a route that replays stores results, so a result always has its replay.
                  return idempotent === undefined
                    ? yield* new GatewayError({ reason: new IdempotencyKeyReused() })
                    : yield* idempotent.replay(begun.result)
                case "Fresh": {
                  const lease = begun.lease
                  const complete: Complete = (result) =>
                    idempotency.complete(lease, result).pipe(
                      Effect.asVoid,
                      // The answer stands; a result that could not be stored is not replayed.
                      Effect.catch((e) => Effect.logWarning("idempotency: the result could not be stored", e.message))
                    )
                  return yield* run(keep, complete)
                }
              }
            })
      return Effect.onExit(handle, (exit) => (kept && Exit.isSuccess(exit) ? Effect.void : release))
    })
  return Lifecycle.of({
    startedAt,
    get draining() {
      return draining
    },
    get inFlight() {
      return inFlight
    },
    drain: Effect.sync(() => {
      draining = true
    }),
    track
  })
})

export class Lifecycle extends Context.Service<Lifecycle, LifecycleShape>()("@am/gateway/Lifecycle") {
  /** The lifecycle over the provided `Idempotency`, with the config's `idempotency.wait`. */
  static layerWith(options: LifecycleOptions): Layer.Layer<Lifecycle, never, Idempotency> {
    return Layer.effect(Lifecycle, make(options))
  }

  /** A duplicate of a key in flight is answered 409 at once. */
  static readonly layer: Layer.Layer<Lifecycle, never, Idempotency> = Lifecycle.layerWith({})
}
