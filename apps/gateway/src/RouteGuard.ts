/**
 * What wraps every route: a `GatewayError` is rendered (`ErrorResponse`), a defect is logged with
 * its cause and answered `500 internal_error` (a bug of ours, never a dropped connection),
 * every answer is counted by route and status, and while draining every answer closes its
 * connection. Nothing a client sends can make the gateway answer 5xx or fall over.
 *
 * @example
 * ```ts
 * import { guardWith } from "@am/gateway"
 * ```
 * @since 0.1.0
 */
import { Metrics } from "@am/telemetry"
import { Cause, Effect, Metric } from "effect"
import { HttpServerRequest, HttpServerResponse } from "effect/http"
import { requestIdHeaders } from "./AmHeaders.ts"
import { errorResponse, renderErrors } from "./ErrorResponse.ts"
import { type Auth, authenticate, forbidden, type Principal } from "./GatewayAuth.ts"
import { GatewayError, Internal } from "./GatewayError.ts"
import type { Lifecycle } from "./Lifecycle.ts"

const httpRequests = Metric.counter("am.gateway.http.requests", {
  description: "HTTP requests answered by the gateway",
  incremental: true
})

const count = (route: string, status: number) =>
  Metric.update(Metrics.tagged(httpRequests, { route, status: String(status) }), 1)

/** A route's handler guarded: errors rendered, defects logged as `500 internal_error`, answers counted. */
export const guardWith =
  (lifecycle: Lifecycle["Service"]) =>
  <R>(route: string, handler: Effect.Effect<HttpServerResponse.HttpServerResponse, GatewayError, R>) =>
    renderErrors(handler).pipe(
      Effect.catchCause((cause) =>
        Cause.hasInterruptsOnly(cause)
          ? Effect.failCause(cause)
          : Effect.as(
              Effect.logError("gateway handler failed").pipe(
                Effect.annotateLogs({ route, cause: Cause.pretty(cause) })
              ),
              errorResponse(new GatewayError({ reason: new Internal() }))
            )
      ),
      Effect.tap((response) => count(route, response.status)),
      // Every answer has an id a client can quote (probes and operator routes too).
      Effect.map((response) =>
        response.headers["x-request-id"] === undefined
          ? HttpServerResponse.setHeaders(response, requestIdHeaders())
          : response
      ),
      // While draining, every answer closes its connection so keep-alive clients reconnect
      // elsewhere instead of holding this process open until the shutdown bound.
      Effect.map((response) =>
        lifecycle.draining ? HttpServerResponse.setHeader(response, "connection", "close") : response
      )
    )

/**
 * A handler behind the gateway key (when keys are configured). `/v1/models` (as OpenAI's) and
 * the operator views need one, like the dashboard: they show no secret, but they do show the
 * deployment's providers, keys by id and traffic.
 */
export const authenticated = <R>(
  auth: Auth,
  handler:
    | Effect.Effect<HttpServerResponse.HttpServerResponse, GatewayError, R>
    | ((principal: Principal) => Effect.Effect<HttpServerResponse.HttpServerResponse, GatewayError, R>)
) =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    Effect.flatMap(authenticate(auth, request.headers.authorization), (principal) =>
      typeof handler === "function" ? handler(principal) : handler
    )
  )

/** A handler only an `admin` gateway key may run; a workspace key gets `403 forbidden`. */
export const adminOnly = <R>(
  auth: Auth,
  action: string,
  handler: Effect.Effect<HttpServerResponse.HttpServerResponse, GatewayError, R>
) => authenticated(auth, (principal) => (principal.role === "admin" ? handler : Effect.succeed(forbidden(action))))
