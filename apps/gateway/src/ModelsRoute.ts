/**
 * `GET /v1/models`, as OpenAI's: the config's route names (`owned_by: "am-route"`) and every
 * concrete model of every provider, each addressable as a request's `model`.
 *
 * @example
 * ```ts
 * import { models } from "@am/gateway"
 * ```
 * @since 0.1.0
 */
import { Engine } from "@am/engine"
import { Effect } from "effect"
import { HttpServerResponse } from "effect/http"

export const models = Effect.gen(function* () {
  const engine = yield* Engine
  const config = engine.config
  const data = [
    ...[...config.routes.keys()].map((id) => ({ id, object: "model", created: 0, owned_by: "am-route" })),
    ...[...config.providers.values()].flatMap((p) =>
      [...p.models.values()].map((m) => ({ id: m.name, object: "model", created: 0, owned_by: p.id }))
    )
  ]
  // A route and a model may share a name; the route (listed first) wins.
  const unique = [...new Map(data.reverse().map((d) => [d.id, d] as const)).values()].reverse()
  return HttpServerResponse.jsonUnsafe({ object: "list", data: unique })
})
