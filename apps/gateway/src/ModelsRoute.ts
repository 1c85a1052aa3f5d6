/**
 * `GET /v1/models` and `GET /v1/models/{id}`, as OpenAI's: the config's route names
 * (`owned_by: "am-route"`) and every concrete model of every provider, each addressable as a
 * request's `model`. An id the gateway does not serve is OpenAI's 404 `model_not_found`.
 *
 * @example
 * ```ts
 * import { model, models } from "@am/gateway"
 * // HttpRouter.route("GET", "/v1/models", models); HttpRouter.route("GET", "/v1/models/:id", model)
 * ```
 * @since 0.1.0
 */
import { Engine, type EngineConfig } from "@am/engine"
import { Effect } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { requestIdHeaders } from "./AmHeaders.ts"
import { GatewayError, ModelNotFound } from "./GatewayError.ts"

/** OpenAI's model object. */
export interface ModelObject {
  readonly id: string
  readonly object: "model"
  readonly created: number
  readonly owned_by: string
}

/** Every id the gateway serves, routes first; a route and a model may share a name, and the route wins. */
export const modelObjects = (config: EngineConfig): ReadonlyArray<ModelObject> => {
  const byId = new Map<string, ModelObject>()
  for (const id of config.routes.keys()) byId.set(id, { id, object: "model", created: 0, owned_by: "am-route" })
  for (const p of config.providers.values()) {
    for (const m of p.models.values()) {
      if (!byId.has(m.name)) byId.set(m.name, { id: m.name, object: "model", created: 0, owned_by: p.id })
    }
  }
  return [...byId.values()]
}

/** `GET /v1/models`. */
export const models = Effect.gen(function* () {
  const engine = yield* Engine
  return HttpServerResponse.jsonUnsafe(
    { object: "list", data: modelObjects(engine.config) },
    { headers: requestIdHeaders() }
  )
})

// A malformed escape is an id nobody serves, not a defect.
const decoded = (raw: string): string => {
  try {
    return decodeURIComponent(raw)
  } catch {
    return raw
  }
}

/** `GET /v1/models/:id`: one model object, or 404 `model_not_found`. */
export const model = Effect.gen(function* () {
  const engine = yield* Engine
  const id = decoded((yield* HttpRouter.params).id ?? "")
  const found = modelObjects(engine.config).find((m) => m.id === id)
  if (found === undefined) return yield* new GatewayError({ reason: new ModelNotFound({ model: id }) })
  return HttpServerResponse.jsonUnsafe(found, { headers: requestIdHeaders() })
})
