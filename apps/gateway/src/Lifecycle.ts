/**
 * The gateway's own lifecycle: requests in flight, the drain flag set on SIGTERM (new requests
 * get `503 shutting_down`, `/readyz` turns unready so a load balancer stops sending), and the
 * in-flight `Idempotency-Key`s of this process (a duplicate while the first runs gets
 * `409 idempotency_in_progress`).
 *
 * @example
 * ```ts
 * import { Lifecycle } from "@am/gateway"
 * const layer = Lifecycle.layer
 * ```
 * @since 0.1.0
 */
import { Clock, Context, Effect, Exit, Layer } from "effect"
import type { HttpServerResponse } from "effect/http"
import { GatewayError, IdempotencyInProgress } from "./GatewayError.ts"
import type { Principal } from "./GatewayAuth.ts"

export interface LifecycleShape {
  readonly startedAt: number
  readonly draining: boolean
  readonly inFlight: number
  /** Starts draining: new requests are refused; those in flight finish. */
  readonly drain: Effect.Effect<void>
  /**
   * Runs a request, counted in flight and, with an idempotency key, exclusive per workspace,
   * until `run` ends — or, when `run` calls `keep()` (a streamed answer that outlives the
   * handler), until the effect `keep()` returned runs.
   */
  readonly track: <E, R>(
    principal: Principal,
    idempotencyKey: string | undefined,
    run: (keep: () => Effect.Effect<void>) => Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
  ) => Effect.Effect<HttpServerResponse.HttpServerResponse, E | GatewayError, R>
}

export class Lifecycle extends Context.Service<Lifecycle, LifecycleShape>()("@am/gateway/Lifecycle") {
  static readonly layer = Layer.effect(
    Lifecycle,
    Effect.gen(function* () {
      const startedAt = yield* Clock.currentTimeMillis
      let draining = false
      let inFlight = 0
      const keys = new Set<string>()
      const track = <E, R>(
        principal: Principal,
        idempotencyKey: string | undefined,
        run: (keep: () => Effect.Effect<void>) => Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
      ): Effect.Effect<HttpServerResponse.HttpServerResponse, E | GatewayError, R> =>
        Effect.suspend((): Effect.Effect<HttpServerResponse.HttpServerResponse, E | GatewayError, R> => {
          const slot = idempotencyKey === undefined ? undefined : `${principal.workspaceId}\u0000${idempotencyKey}`
          if (slot !== undefined && keys.has(slot)) {
            return Effect.fail(new GatewayError({ reason: new IdempotencyInProgress({ retryAfterMs: 1000 }) }))
          }
          inFlight++
          if (slot !== undefined) keys.add(slot)
          let released = false
          let kept = false
          const release = Effect.sync(() => {
            if (released) return
            released = true
            inFlight--
            if (slot !== undefined) keys.delete(slot)
          })
          const keep = () => {
            kept = true
            return release
          }
          return Effect.onExit(run(keep), (exit) => (kept && Exit.isSuccess(exit) ? Effect.void : release))
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
  )
}
