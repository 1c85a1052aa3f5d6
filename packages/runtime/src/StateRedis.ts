/**
 * The Redis the shared state (keyring, breakers, retry budget, model health) runs on, made so a
 * Redis fault never stops a request:
 *
 * - every command is bounded by `state.commandTimeout` and goes through Redis's own circuit
 *   breaker (3 consecutive failures open it for 0.5 s, doubling to 5 s); a timeout or an open
 *   circuit fails the command at once, and each state service then runs on this process's own
 *   state until Redis answers (their existing fallback);
 * - unreachable at start, the host starts anyway (on local state) and connects in the
 *   background; a connection that drops reconnects with capped backoff, and commands fail fast
 *   meanwhile (no offline queue);
 * - closing is bounded, so a hung Redis cannot hold the shutdown.
 *
 * The component `store:state` is registered in `StoreHealth`.
 *
 * @example
 * ```ts
 * import { layerStateRedis, StoreHealth } from "@am/runtime"
 * import { Layer } from "effect"
 * const redis = layerStateRedis("redis://127.0.0.1:6379", { commandTimeoutMs: 500 }).pipe(Layer.provide(StoreHealth.layer))
 * ```
 * @since 0.1.0
 */
import { NodeRedis } from "@effect/platform-node"
import { Context, Effect, Layer } from "effect"
import { Redis } from "effect/persistence"
import * as Reconnect from "./internal/Reconnect.ts"
import * as StoreGuard from "./internal/StoreGuard.ts"
import { StoreHealth } from "./StoreHealth.ts"

export const DEFAULT_COMMAND_TIMEOUT_MS = 500

export interface StateRedisOptions {
  /** Longest a command may take (default 500 ms). */
  readonly commandTimeoutMs?: number
  /** How long closing the connection may take at shutdown (default 1 s). */
  readonly closeTimeoutMs?: number
}

/** `Redis` for the state services on `url`, bounded, broken-circuit aware and reconnecting. */
export const layerStateRedis = (
  url: string,
  options?: StateRedisOptions
): Layer.Layer<Redis.Redis, never, StoreHealth> =>
  Layer.effect(
    Redis.Redis,
    Effect.gen(function* () {
      const timeoutMs = options?.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS
      const health = yield* StoreHealth
      let ready = false
      const client = NodeRedis.layer({
        url,
        disableOfflineQueue: true,
        socket: {
          connectTimeout: Math.max(timeoutMs, 2000),
          // The first connect fails at once (the reconnect loop below retries it); after that the
          // client keeps reconnecting, with capped backoff, whatever the cause.
          reconnectStrategy: (retries: number, cause: Error) =>
            ready ? Math.min(2 ** retries * 50, 2000) + Math.floor(Math.random() * 200) : cause
        }
      })
      const connection = yield* Reconnect.make(
        "redis state store",
        Layer.tap(client, () => Effect.sync(() => (ready = true))),
        { attemptTimeoutMs: Math.max(timeoutMs, 2000), closeTimeoutMs: options?.closeTimeoutMs ?? 1000 }
      )
      const guard = yield* StoreGuard.make("redis", { timeoutMs })
      const inner = (): Redis.Redis["Service"] | undefined => {
        const context = connection.get()
        return context === undefined ? undefined : Context.get(context, Redis.Redis)
      }
      const refuse = (message: string) => new Redis.RedisError({ cause: new Error(message) })
      const call = <A>(f: (redis: Redis.Redis["Service"]) => Effect.Effect<A, Redis.RedisError>) =>
        Effect.suspend(() => {
          const redis = inner()
          return redis === undefined
            ? Effect.fail(refuse(`redis not connected (${connection.state().lastError})`))
            : guard.run(f(redis), refuse)
        })
      yield* health.register("store:state", () =>
        Effect.map(guard.status, (status) => {
          const state = connection.state()
          if (state.connected && status.circuit === "closed") return { status: "up" as const, state: "connected" }
          return {
            status: "degraded" as const,
            state: "local_state",
            detail: `${!state.connected ? "connecting" : status.circuit === "open" ? "circuit open" : "half-open"}: ${
              state.lastError ?? status.lastError ?? "unknown"
            }`
          }
        })
      )
      return Redis.Redis.of({
        send: (command, ...args) => call((redis) => redis.send(command, ...args)),
        eval:
          (script) =>
          (...params) =>
            call((redis) => redis.eval(script)(...params)),
        // Subscriptions wait for a connection (nothing here subscribes on the request path).
        subscribe: (channel) =>
          Effect.suspend(() => {
            const redis = inner()
            return redis === undefined ? Effect.die(refuse("redis not connected")) : redis.subscribe(channel)
          }),
        reserve: Effect.suspend(() => {
          const redis = inner()
          return redis === undefined ? Effect.fail(refuse("redis not connected")) : redis.reserve
        })
      })
    })
  )
