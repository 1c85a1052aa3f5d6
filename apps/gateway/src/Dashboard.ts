/**
 * The live dashboard. `GET /dashboard` is one self-contained page (inline CSS, script and SVG
 * charts: no build step, nothing fetched from elsewhere); `GET /dashboard/events` is its
 * Server-Sent Events feed: a `snapshot` event at connect, then one whenever something changed
 * (within 250 ms) and at least every second — circuit breakers per provider and model, key
 * health per pool, requests/s, success and failover rates per 5 s over the last 10 minutes,
 * the ledger's newest entries with their attempt trails (no prompt previews), the response
 * cache's hit rate, and the Idempotency-Keys held in flight.
 *
 * One feed per gateway, whatever the number of viewers: a background fiber counts the
 * resilience events and a ticker serialises each snapshot once for everyone. A viewer's stream
 * ends when it disconnects, when the gateway starts draining, and when the routes' scope closes.
 *
 * With gateway keys configured, both routes need one: `Authorization: Bearer <key>`, or
 * `?key=<key>` (a browser cannot set headers on a page load; the page forwards it to its feed).
 * An `admin` key's feed shows every workspace; a `workspace` key's feed shows the shared health
 * (breakers, key status) and only its own workspace's rates, ledger rows and Idempotency-Keys
 * in flight — not the response cache's counters, which are every workspace's traffic.
 *
 * @example
 * ```ts
 * import { dashboardRoutes, makeAuth } from "@am/gateway"
 * const routes = dashboardRoutes({ auth: makeAuth([]) }) // merged into the app by Gateway.layer
 * ```
 * @since 0.1.0
 */
import { Effect, Layer } from "effect"
import { HttpRouter, type HttpServerRequest, HttpServerResponse } from "effect/http"
import { renderErrors } from "./ErrorResponse.ts"
import { type Auth, authenticate, type Principal } from "./GatewayAuth.ts"
import { GatewayError, Unauthorized } from "./GatewayError.ts"
import { type DashboardFeed, makeFeed } from "./internal/DashboardFeed.ts"
import { DASHBOARD_CSP, DASHBOARD_HTML } from "./internal/DashboardPage.ts"

export type { CacheView, DashboardSnapshot, HeldKey, LedgerRow, TrailStep } from "./internal/DashboardFeed.ts"

const queryKey = (url: string): string | undefined => {
  const q = url.indexOf("?")
  if (q < 0) return undefined
  const key = new URLSearchParams(url.slice(q + 1)).get("key")
  return key === null || key.length === 0 ? undefined : key
}

/** The caller, when it may see the dashboard, else `Unauthorized`. */
const admit = (auth: Auth, request: HttpServerRequest.HttpServerRequest): Effect.Effect<Principal, GatewayError> => {
  if (!auth.required) return authenticate(auth, undefined)
  const header = request.headers.authorization
  const key = header === undefined ? queryKey(request.url) : undefined
  if (header === undefined && key === undefined) {
    return Effect.fail(
      new GatewayError({
        reason: new Unauthorized({
          detail: "the dashboard needs a gateway key: send Authorization: Bearer <key> or open /dashboard?key=<key>"
        })
      })
    )
  }
  return authenticate(auth, header ?? `Bearer ${key}`)
}

const page = (auth: Auth) => (request: HttpServerRequest.HttpServerRequest) =>
  renderErrors(
    Effect.as(
      admit(auth, request),
      HttpServerResponse.text(DASHBOARD_HTML, {
        contentType: "text/html; charset=utf-8",
        headers: {
          "cache-control": "no-store",
          "content-security-policy": DASHBOARD_CSP,
          "referrer-policy": "no-referrer",
          "x-content-type-options": "nosniff"
        }
      })
    )
  )

const events = (auth: Auth, feed: DashboardFeed) => (request: HttpServerRequest.HttpServerRequest) =>
  renderErrors(
    Effect.map(admit(auth, request), (principal) =>
      HttpServerResponse.stream(
        feed.frames(
          principal.role === "admin" ? { role: "admin" } : { role: "workspace", workspace: principal.workspaceId }
        ),
        {
          contentType: "text/event-stream",
          headers: { "cache-control": "no-store", "x-accel-buffering": "no" }
        }
      )
    )
  )

/**
 * The dashboard's routes, and its feed (started when the layer builds, stopped when it is
 * released). Needs `Engine` and `EventBus`; reads `LedgerStore`, `Lifecycle`, `ResponseCache` and
 * `Idempotency` when present.
 */
export const dashboardRoutes = (options: { readonly auth: Auth }) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const feed = yield* makeFeed()
      return HttpRouter.addAll([
        HttpRouter.route("GET", "/dashboard", page(options.auth)),
        HttpRouter.route("GET", "/dashboard/events", events(options.auth, feed))
      ])
    })
  )
