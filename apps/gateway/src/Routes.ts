/**
 * The gateway's HTTP surface as one layer (DESIGN.md "Gateway HTTP"): `POST /v1/chat/completions`
 * (JSON and SSE), `GET /v1/models`, `GET /healthz`, `GET /readyz`, `GET /metrics`,
 * `GET /v1/am/state`, the `admin` operator actions `POST /v1/am/keys/:provider/:key/{disable,enable}`
 * and `POST /v1/am/breakers/:provider/{open,close,reset}`, `HEAD` on the probes,
 * and `405` / `404` for everything else. Every route fails with `GatewayError` only; `RouteGuard`
 * renders it as OpenAI's error body with a stable code.
 *
 * @example
 * ```ts
 * import { makeAuth, routes } from "@am/gateway"
 * const layer = routes({ auth: makeAuth([]) }) // merged into the app by Gateway.layer
 * ```
 * @since 0.1.0
 */
import { Effect, Layer } from "effect"
import { HttpRouter, HttpServerRequest } from "effect/http"
import { chatCompletions } from "./ChatCompletionsRoute.ts"
import { embeddings } from "./EmbeddingsRoute.ts"
import type { Auth } from "./GatewayAuth.ts"
import { GatewayError, MethodNotAllowed, NotFound } from "./GatewayError.ts"
import { anthropicErrors } from "./internal/messages/Errors.ts"
import { Lifecycle } from "./Lifecycle.ts"
import { countTokens, messages } from "./MessagesRoute.ts"
import { model, models } from "./ModelsRoute.ts"
import { breakerAction, keyAction, stateView } from "./OperatorRoutes.ts"
import { healthz, metrics } from "./ProbeRoutes.ts"
import { readiness } from "./Readiness.ts"
import { responsesRoutes } from "./ResponsesRoute.ts"
import { adminOnly, authenticated, guardWith } from "./RouteGuard.ts"

/** Options of the HTTP surface. */
export interface RoutesOptions {
  readonly auth: Auth
  /** Largest accepted request body in bytes (default 4 MiB). */
  readonly maxBodyBytes?: number | undefined
  /** What to do with a field a cross-wire provider cannot honour (`server.unsupportedFields`; default `reject`). */
  readonly unsupportedFields?: "reject" | "drop-and-report" | undefined
  /** Input guards read every request (`guards.pii` / `guards.injection` on): unreadable content is refused. */
  readonly inspectsInput?: boolean | undefined
}

const notFound = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
  Effect.fail(
    new GatewayError({
      reason: new NotFound({ what: `route ${request.method} ${request.url.split("?")[0]!.slice(0, 200)}` })
    })
  )
)

const methodNotAllowed = (allowed: string) =>
  Effect.fail(new GatewayError({ reason: new MethodNotAllowed({ allowed }) }))

/** All routes as one layer (needs `Engine`, `Keyring`, `Breakers`, `Lifecycle`; `LedgerStore` optional). */
export const routes = (options: RoutesOptions) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const chat = yield* chatCompletions(options)
      const anthropicMessages = yield* messages(options)
      const anthropicCount = yield* countTokens(options)
      const embed = yield* embeddings(options)
      const responses = yield* responsesRoutes(options)
      const guarded = guardWith(yield* Lifecycle)
      const { auth } = options
      return HttpRouter.addAll([
        HttpRouter.route("POST", "/v1/chat/completions", guarded("chat", chat)),
        ...(["GET", "PUT", "DELETE", "PATCH"] as const).map((method) =>
          HttpRouter.route(method, "/v1/chat/completions", guarded("chat", methodNotAllowed("POST")))
        ),
        HttpRouter.route("POST", "/v1/responses", guarded("responses", responses.create)),
        HttpRouter.route("GET", "/v1/responses/:id", guarded("responses", responses.retrieve)),
        HttpRouter.route("DELETE", "/v1/responses/:id", guarded("responses", responses.remove)),
        HttpRouter.route("POST", "/v1/embeddings", guarded("embeddings", embed)),
        HttpRouter.route("POST", "/v1/messages", guarded("messages", anthropicMessages)),
        HttpRouter.route("POST", "/v1/messages/count_tokens", guarded("count_tokens", anthropicCount)),
        ...(["GET", "PUT", "DELETE", "PATCH"] as const).flatMap((method) =>
          (["/v1/messages", "/v1/messages/count_tokens"] as const).map((path) =>
            HttpRouter.route(method, path, guarded("messages", anthropicErrors(methodNotAllowed("POST"))))
          )
        ),
        HttpRouter.route("GET", "/v1/models", guarded("models", authenticated(auth, models))),
        HttpRouter.route("GET", "/v1/models/:id", guarded("models", authenticated(auth, model))),
        HttpRouter.route("GET", "/healthz", guarded("healthz", healthz)),
        HttpRouter.route("GET", "/readyz", guarded("readyz", readiness)),
        // Probes that send HEAD get the GET's status and headers (Node drops the body).
        HttpRouter.route("HEAD", "/healthz", guarded("healthz", healthz)),
        HttpRouter.route("HEAD", "/readyz", guarded("readyz", readiness)),
        HttpRouter.route("GET", "/metrics", guarded("metrics", metrics)),
        HttpRouter.route("GET", "/v1/am/state", guarded("state", authenticated(auth, stateView))),
        HttpRouter.route(
          "POST",
          "/v1/am/keys/:provider/:key/disable",
          guarded("keys", adminOnly(auth, "disabling a provider key", keyAction("disable")))
        ),
        HttpRouter.route(
          "POST",
          "/v1/am/keys/:provider/:key/enable",
          guarded("keys", adminOnly(auth, "enabling a provider key", keyAction("enable")))
        ),
        ...(["open", "close", "reset"] as const).map((action) =>
          HttpRouter.route(
            "POST",
            `/v1/am/breakers/:provider/${action}`,
            guarded(
              "breakers",
              adminOnly(
                auth,
                `${{ open: "opening", close: "closing", reset: "resetting" }[action]} a breaker`,
                breakerAction(action)
              )
            )
          )
        ),
        HttpRouter.route("*", "*", guarded("not_found", notFound))
      ])
    })
  )
