/**
 * The gateway as one layer: the engine built from the config (providers, keyring, breakers,
 * retry budget — in memory or on Redis per `state.store`), the audit trail (`ledger.store`),
 * the telemetry bus, and the HTTP server on `@effect/platform-node` serving `Routes` and the
 * dashboard. Releasing the layer is the graceful shutdown: the server stops accepting, requests
 * in flight finish within `shutdownTimeout`, then the ledger and the event writer flush.
 *
 * @example
 * ```ts
 * import { Gateway } from "@am/gateway"
 * import { loadConfigFile } from "@am/runtime"
 * import { NodeRuntime } from "@effect/platform-node"
 * import { Effect, Layer } from "effect"
 *
 * loadConfigFile("am.config.json").pipe(
 *   Effect.flatMap((config) => Layer.launch(Gateway.layer({ config }))),
 *   NodeRuntime.runMain
 * )
 * ```
 * @since 0.1.0
 */
import { createServer } from "node:http"
import type { Provider } from "@am/core"
import { type AmConfig, layerEngine } from "@am/runtime"
import { NodeHttpServer } from "@effect/platform-node"
import { Duration, Effect, Layer, Schema } from "effect"
import { HttpRouter } from "effect/http"
import { dashboardRoutes } from "./Dashboard.ts"
import { isLoopback, makeAuth } from "./GatewayAuth.ts"
import { Lifecycle } from "./Lifecycle.ts"
import { routes } from "./Routes.ts"

export interface GatewayOptions {
  readonly config: AmConfig
  /** Use these providers instead of the SDK adapters (simulations, tests). */
  readonly providers?: ReadonlyArray<Provider> | undefined
  /** Override `server.host` / `server.port` (port 0: any free port). */
  readonly host?: string | undefined
  readonly port?: number | undefined
  /** Largest request body in bytes (default 4 MiB). */
  readonly maxBodyBytes?: number | undefined
  /** How long requests in flight may take to finish on shutdown (default 10 seconds). */
  readonly shutdownTimeout?: Duration.Input | undefined
  /** JSON attempt logs on stdout (default: the config's `telemetry.logs`). */
  readonly logs?: boolean | undefined
}

/** The gateway refused to start (today: binding a non-loopback address without gateway keys). */
export class GatewayStartError extends Schema.TaggedError<GatewayStartError>()("GatewayStartError", {
  message: Schema.String
}) {}

/** Engine, audit and lifecycle services for a config (shared by every route). */
export const layerServices = (options: GatewayOptions) =>
  layerEngine(options.config, {
    ...(options.providers !== undefined ? { providers: options.providers } : {}),
    ...(options.logs !== undefined ? { logs: options.logs } : {})
  }).pipe(Layer.provideMerge(Lifecycle.layer))

const checkBind = (options: GatewayOptions) => {
  const host = options.host ?? options.config.server.host
  return options.config.gatewayKeys.length === 0 && !isLoopback(host)
    ? Effect.fail(
        new GatewayStartError({
          message: `refusing to listen on ${host} without gatewayKeys: configure at least one gateway key (gatewayKeys in the config) or bind 127.0.0.1`
        })
      )
    : Effect.void
}

export const Gateway = {
  /**
   * The running gateway. Outputs the `HttpServer` (its bound address) and the engine services,
   * so tests and embedders can reach both.
   */
  layer: (options: GatewayOptions) => {
    const host = options.host ?? options.config.server.host
    const port = options.port ?? options.config.server.port
    const auth = makeAuth(options.config.gatewayKeys)
    const app = Layer.mergeAll(
      routes({
        auth,
        maxBodyBytes: options.maxBodyBytes,
        unsupportedFields: options.config.server.unsupportedFields
      }),
      dashboardRoutes({ auth })
    )
    const server = NodeHttpServer.layer(
      // keepAliveTimeout above common client/LB idle timeouts, so pooled clients don't race a close.
      () => createServer({ keepAliveTimeout: 65_000 }),
      {
        host,
        port,
        gracefulShutdownTimeout: options.shutdownTimeout ?? Duration.seconds(10)
      }
    )
    // Built last, so released first: draining starts before the server closes, so late requests
    // get 503 shutting_down and live dashboard streams end instead of holding the close open.
    const drainFirst = Layer.effectDiscard(
      Effect.flatMap(Effect.service(Lifecycle), (lifecycle) => Effect.addFinalizer(() => lifecycle.drain))
    )
    return Layer.unwrap(
      Effect.as(
        checkBind(options),
        drainFirst.pipe(
          Layer.provideMerge(
            HttpRouter.serve(app, { disableLogger: true, disableListenLog: true }).pipe(
              Layer.provideMerge(server),
              Layer.provideMerge(layerServices(options))
            )
          )
        )
      )
    )
  }
}
