/**
 * The gateway as one layer: the engine built from the config (providers, keyring, breakers,
 * retry budget — in memory or on Redis per `state.store`), the audit trail (`ledger.store`),
 * the telemetry bus, and the HTTP server on `@effect/platform-node` serving `Routes` and the
 * dashboard. Releasing the layer is the graceful shutdown: the server stops accepting, requests
 * in flight finish within `shutdownTimeout`, then the ledger and the event writer flush.
 *
 * Hostile-input bounds (`server.*` in the config): a client has `headersTimeout` (default 30 s)
 * to send its headers and `bodyTimeout` (default 30 s) to send the whole request, else its
 * connection is closed (408 when nothing was answered yet); at most `maxConnections` (default
 * 10 000) connections are open at once, later ones are closed on accept; an upstream answer past
 * `maxUpstreamResponseBytes` (default 32 MiB, counted as it streams) fails its attempt, which
 * fails over like a broken connection. The cap is set on the process's shared transport.
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
import { configureSharedTransport } from "@am/transport"
import { NodeHttpServer } from "@effect/platform-node"
import { Duration, Effect, Layer, Schema } from "effect"
import { HttpRouter } from "effect/http"
import { dashboardRoutes } from "./Dashboard.ts"
import { isLoopback, makeAuth } from "./GatewayAuth.ts"
import { gatewayDroppedFields } from "./DroppedFields.ts"
import { layerResponseStore } from "./internal/responses/ResponseStoreRedis.ts"
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
  // The lifecycle holds Idempotency-Keys through the engine layer's Idempotency.
  Lifecycle.layerWith({ wait: options.config.idempotency.wait }).pipe(
    Layer.provideMerge(
      layerEngine(options.config, {
        ...(options.providers !== undefined ? { providers: options.providers } : {}),
        ...(options.logs !== undefined ? { logs: options.logs } : {}),
        // What a cross-wire answer could not honour, as wire paths (ledger and resilience = x-am-dropped-fields).
        droppedFields: gatewayDroppedFields(options.config)
      })
    ),
    // Stored Responses per `state.store`: shared by every replica on Redis.
    Layer.provideMerge(layerResponseStore(options.config))
  )

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

/** Defaults of the `server.*` bounds. */
export const SERVER_BOUNDS = {
  headersTimeoutMs: 30_000,
  bodyTimeoutMs: 30_000,
  maxConnections: 10_000,
  maxUpstreamResponseBytes: 32 * 1024 * 1024
} as const

/** The `server.*` bounds of a config, defaults filled in. */
export const serverBounds = (config: AmConfig) => ({
  headersTimeoutMs: config.server.headersTimeoutMs ?? SERVER_BOUNDS.headersTimeoutMs,
  bodyTimeoutMs: config.server.bodyTimeoutMs ?? SERVER_BOUNDS.bodyTimeoutMs,
  maxConnections: config.server.maxConnections ?? SERVER_BOUNDS.maxConnections,
  maxUpstreamResponseBytes: config.server.maxUpstreamResponseBytes ?? SERVER_BOUNDS.maxUpstreamResponseBytes
})

let transportCap: number | undefined
/** The upstream answer cap on the shared transport (replaced only when it changes: replacing closes the pool). */
const capUpstreamAnswers = (maxBytes: number) =>
  Effect.sync(() => {
    if (transportCap === maxBytes) return
    transportCap = maxBytes
    configureSharedTransport({ maxResponseBytes: maxBytes })
  })

/** Whether the config's input guards read requests (PII redaction or the injection firewall on). */
const inspectsInput = (config: GatewayOptions["config"]): boolean => {
  const guards = config.guards
  if (guards === undefined) return false
  const pii = guards.pii
  const piiOn =
    pii === undefined ? false : typeof pii === "string" ? pii !== "off" : Object.values(pii).some((a) => a !== "off")
  return piiOn || (guards.injection !== undefined && guards.injection !== "off")
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
        unsupportedFields: options.config.server.unsupportedFields,
        inspectsInput: inspectsInput(options.config)
      }),
      dashboardRoutes({ auth })
    )
    const bounds = serverBounds(options.config)
    const server = NodeHttpServer.layer(
      () => {
        const s = createServer({
          // keepAliveTimeout above common client/LB idle timeouts, so pooled clients don't race a close.
          keepAliveTimeout: 65_000,
          // Node checks both every `connectionsCheckingInterval`; a request that is still arriving
          // past either is answered 408 and its connection closed (a slow-loris holds nothing).
          headersTimeout: bounds.headersTimeoutMs,
          requestTimeout: Math.max(bounds.bodyTimeoutMs, bounds.headersTimeoutMs),
          connectionsCheckingInterval: Math.min(1_000, bounds.headersTimeoutMs, bounds.bodyTimeoutMs)
        })
        s.maxConnections = bounds.maxConnections
        return s
      },
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
        Effect.andThen(checkBind(options), capUpstreamAnswers(bounds.maxUpstreamResponseBytes)),
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
