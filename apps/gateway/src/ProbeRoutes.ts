/**
 * The routes for probes and scrapers, open without a gateway key: `GET /healthz` (liveness: the
 * process answers), `GET /readyz` (`readiness`, in `Readiness`) and `GET /metrics` (Prometheus text).
 *
 * @example
 * ```ts
 * import { healthz, metrics } from "@am/gateway"
 * ```
 * @since 0.1.0
 */
import { Metrics } from "@am/telemetry"
import { Effect } from "effect"
import { HttpServerResponse } from "effect/http"

/** `GET /healthz`. */
export const healthz = Effect.succeed(HttpServerResponse.jsonUnsafe({ status: "ok" }))

/** `GET /metrics`. */
export const metrics = Effect.map(Metrics.prometheus, (text) =>
  HttpServerResponse.text(text, { contentType: "text/plain; version=0.0.4; charset=utf-8" })
)
