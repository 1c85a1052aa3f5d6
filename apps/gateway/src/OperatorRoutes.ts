/**
 * The operator routes. `GET /v1/am/state`: breakers, key pools by id and fingerprint — never a
 * secret —, routes; an `admin` key also sees the traffic counters (key leases and failures,
 * retry budget, the gateway's in-flight count), a `workspace` key sees the shared health
 * (breaker and key status) without other workspaces' traffic. `admin` only:
 * `POST /v1/am/keys/:provider/:key/{disable,enable}` (take a key out of, or back into, rotation;
 * on every replica when state is on Redis) and `POST /v1/am/breakers/:provider/{open,close,reset}`
 * (`?model=` for a provider+model circuit; held on this replica until reset). All need a
 * gateway key when keys are configured.
 *
 * @example
 * ```ts
 * import { breakerAction, keyAction, stateView } from "@am/gateway"
 * ```
 * @since 0.1.0
 */
import { Breakers, modelBreakerName, providerBreakerName } from "@am/breaker"
import { Idempotency, ResponseCache } from "@am/cache"
import { Engine, stepsOf } from "@am/engine"
import { Keyring } from "@am/keyring"
import { Effect, Option } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import type { Principal } from "./GatewayAuth.ts"
import { GatewayError, NotFound } from "./GatewayError.ts"
import { Lifecycle } from "./Lifecycle.ts"

/** `GET /v1/am/state`, as the principal may see it. */
export const stateView = (principal: Principal) =>
  Effect.gen(function* () {
    const engine = yield* Engine
    const lifecycle = yield* Lifecycle
    const s = yield* engine.state
    const admin = principal.role === "admin"
    // The response cache's counters (this replica, every workspace: admin only) and the
    // Idempotency-Keys this replica holds in flight (a workspace key sees its own).
    const cache = yield* Effect.serviceOption(ResponseCache)
    const idempotency = yield* Effect.serviceOption(Idempotency)
    const stats = Option.isSome(cache) && admin ? yield* cache.value.stats : undefined
    const held = Option.isSome(idempotency) ? yield* idempotency.value.inFlight : []
    return HttpServerResponse.jsonUnsafe({
      breakers: s.breakers,
      // Listed field by field for a workspace key: status is shared health, leases and failures
      // are every workspace's traffic.
      keys: admin
        ? s.keys
        : s.keys.map((k) => ({
            provider: k.provider,
            id: k.id,
            fingerprint: k.fingerprint,
            status: k.status,
            ...(k.availableAt !== undefined ? { availableAt: k.availableAt } : {}),
            ...(k.disabledReason !== undefined ? { disabledReason: k.disabledReason } : {})
          })),
      ...(admin ? { budget: s.budget } : {}),
      providers: [...engine.config.providers.values()].map((p) => ({
        id: p.id,
        kind: p.kind,
        models: [...p.models.keys()],
        keys: p.keys.map((k) => ({ id: k.id, fingerprint: k.fingerprint }))
      })),
      routes: Object.fromEntries(
        [...engine.config.routes.entries()].map(([name, route]) => [name, stepsOf(route).map((s) => ({ ...s }))])
      ),
      gateway: admin
        ? { inFlight: lifecycle.inFlight, draining: lifecycle.draining, startedAt: lifecycle.startedAt }
        : { draining: lifecycle.draining, startedAt: lifecycle.startedAt },
      ...(stats !== undefined
        ? {
            cache: {
              ...stats,
              hitRate: stats.hits + stats.misses === 0 ? 0 : stats.hits / (stats.hits + stats.misses)
            }
          }
        : {}),
      idempotency: {
        inFlight: held.filter((h) => admin || h.workspace === principal.workspaceId)
      },
      // Last, so the body still opens with `breakers` as before roles.
      scope: admin ? { role: "admin" } : { role: "workspace", workspace: principal.workspaceId }
    })
  })

/** `POST /v1/am/keys/:provider/:key/{disable,enable}`; an unknown provider or key is `NotFound`. */
export const keyAction = (action: "disable" | "enable") =>
  Effect.gen(function* () {
    const keyring = yield* Keyring
    const engine = yield* Engine
    const params = yield* HttpRouter.params
    const provider = params.provider ?? ""
    const keyId = params.key ?? ""
    const key = engine.config.providers.get(provider)?.keys.find((k) => k.id === keyId)
    if (key === undefined) {
      return yield* new GatewayError({ reason: new NotFound({ what: `key "${keyId}" in provider "${provider}"` }) })
    }
    if (action === "disable") yield* keyring.disable(provider, keyId, "disabled by an operator")
    else yield* keyring.enable(provider, keyId)
    return HttpServerResponse.jsonUnsafe({
      provider,
      id: keyId,
      fingerprint: key.fingerprint,
      status: action === "disable" ? "disabled" : "enabled"
    })
  })

const modelParam = (url: string): string | undefined => {
  const q = url.indexOf("?")
  const model = q < 0 ? null : new URLSearchParams(url.slice(q + 1)).get("model")
  return model === null || model.length === 0 ? undefined : model
}

/**
 * `POST /v1/am/breakers/:provider/{open,close,reset}[?model=…]`: hold the circuit open or
 * closed, or hand it back to its policy. An unknown provider or model is `NotFound`.
 */
export const breakerAction = (action: "open" | "close" | "reset") =>
  Effect.gen(function* () {
    const breakers = yield* Breakers
    const engine = yield* Engine
    const request = yield* HttpServerRequest.HttpServerRequest
    const params = yield* HttpRouter.params
    const provider = params.provider ?? ""
    const model = modelParam(request.url)
    const spec = engine.config.providers.get(provider)
    if (spec === undefined) {
      return yield* new GatewayError({ reason: new NotFound({ what: `provider "${provider}"` }) })
    }
    if (model !== undefined && !spec.models.has(model)) {
      return yield* new GatewayError({ reason: new NotFound({ what: `model "${model}" in provider "${provider}"` }) })
    }
    const target = model === undefined ? { provider } : { provider, model }
    yield* breakers.override(target, action === "open" ? "open" : action === "close" ? "closed" : undefined)
    const status = yield* breakers.status(target)
    return HttpServerResponse.jsonUnsafe({
      breaker: model === undefined ? providerBreakerName(provider) : modelBreakerName(provider, model),
      provider,
      ...(model !== undefined ? { model } : {}),
      override: action === "reset" ? null : action === "open" ? "open" : "closed",
      status
    })
  })
