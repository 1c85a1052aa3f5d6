/**
 * The operator routes: `GET /v1/am/state` (breakers, key pools by id and fingerprint — never a
 * secret —, routes, the gateway's in-flight count) and `POST /v1/am/keys/:provider/:key/disable`
 * / `enable` (take a key out of, or back into, rotation; on every replica when state is on
 * Redis). Both need a gateway key when keys are configured.
 *
 * @example
 * ```ts
 * import { keyAction, stateView } from "@am/gateway"
 * ```
 * @since 0.1.0
 */
import { Engine, stepsOf } from "@am/engine"
import { Keyring } from "@am/keyring"
import { Effect } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { GatewayError, NotFound } from "./GatewayError.ts"
import { Lifecycle } from "./Lifecycle.ts"

/** `GET /v1/am/state`. */
export const stateView = Effect.gen(function* () {
  const engine = yield* Engine
  const lifecycle = yield* Lifecycle
  const s = yield* engine.state
  return HttpServerResponse.jsonUnsafe({
    ...s,
    providers: [...engine.config.providers.values()].map((p) => ({
      id: p.id,
      kind: p.kind,
      models: [...p.models.keys()],
      keys: p.keys.map((k) => ({ id: k.id, fingerprint: k.fingerprint }))
    })),
    routes: Object.fromEntries(
      [...engine.config.routes.entries()].map(([name, route]) => [name, stepsOf(route).map((s) => ({ ...s }))])
    ),
    gateway: { inFlight: lifecycle.inFlight, draining: lifecycle.draining, startedAt: lifecycle.startedAt }
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
