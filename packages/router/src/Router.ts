/**
 * The `Router` service: turns a request into an ordered plan of (provider, model) candidates.
 * Inject it like any layer — `Router.layer(table)` is the route-table router (today's route
 * order under `priority`, plus the capability matrix, the catalogue, profiles, balancing and
 * overrides); a custom router is any `Layer` of `Router`.
 *
 * @example
 * ```ts
 * import { Router } from "@am/router"
 * import { Effect } from "effect"
 *
 * const RouterLive = Router.layer({
 *   providers: new Map([["primary", { id: "primary", kind: "openai", models: new Map([["gpt-4o", { name: "gpt-4o" }]]) }]]),
 *   routes: new Map([["default", { profile: "cheapest", steps: [{ provider: "primary", models: ["gpt-4o"] }] }]])
 * })
 * const first = Router.use((router) =>
 *   router.plan({ requestId: "req-1", request: { messages: [{ role: "user", content: "hi" }] }, stream: true })
 * ).pipe(Effect.map((plan) => plan.candidates[0]?.model.name), Effect.provide(RouterLive))
 * ```
 * @since 0.1.0
 */
import { Context, Effect, Layer, Result } from "effect"
import { planRequest, validateTable } from "./Plan.ts"
import type { RouterError } from "./RouterError.ts"
import type { PlanInput, RoutePlan } from "./RoutePlan.ts"
import type { RoutingTable } from "./RoutingTable.ts"

export interface RouterShape {
  /**
   * The plan for one request, given the health the caller read just before. Fails with
   * `RouterError` when no route or model has the name, no candidate can serve the request, every
   * candidate's model is quarantined, or an override is not allowed.
   */
  readonly plan: (input: PlanInput) => Effect.Effect<RoutePlan, RouterError>
}

export class Router extends Context.Service<Router, RouterShape>()("@am/router/Router") {
  /**
   * The route-table router over `table`. An invalid table (a step naming an unknown provider, a
   * weight ≤ 0) is a defect at construction, with every path named — the config schema reports
   * the same at start.
   */
  static layer(table: RoutingTable): Layer.Layer<Router> {
    return Layer.sync(Router, () => Router.make(table))
  }

  /** The route-table router's implementation, for wrapping in a custom one. */
  static make(table: RoutingTable): RouterShape {
    const issues = validateTable(table)
    if (issues.length > 0) {
      throw new Error(`invalid routing table: ${issues.map((i) => `${i.path}: ${i.issue}`).join("; ")}`)
    }
    // No span per plan: the engine's request span covers it, and `Effect.fn`'s span and stack
    // capture cost more than the plan itself on the engine's happy path.
    return Router.of({
      plan: (input: PlanInput) => {
        const planned = planRequest(table, input)
        return Result.isSuccess(planned) ? Effect.succeed(planned.success) : Effect.fail(planned.failure)
      }
    })
  }
}
