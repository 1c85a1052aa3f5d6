/**
 * The one error the router fails with; `reason` says why, as a tagged union: no route or model
 * of that name, no candidate can serve the request (with every exclusion), every candidate's
 * model is quarantined, or a per-request override the route does not allow. `code` is the
 * gateway's stable code for it (`no_route`, or `invalid_request` for an override).
 *
 * @example
 * ```ts
 * import { Router, RouterError } from "@am/router"
 * import { Effect } from "effect"
 * declare const request: Parameters<Router["Service"]["plan"]>[0]
 * const order = Router.use((r) => r.plan(request)).pipe(
 *   Effect.catchTag("RouterError", (e) => Effect.succeed(e.reason._tag === "NoCapableCandidate" ? e.reason.exclusions : []))
 * )
 * ```
 * @since 0.1.0
 */
import { Schema } from "effect"
import { describeExclusion, Exclusion } from "./Exclusion.ts"

/** No configured route, and no provider lists a model, of this name. */
export class UnknownRoute extends Schema.TaggedClass<UnknownRoute>()("UnknownRoute", {
  route: Schema.String
}) {
  get message(): string {
    return `no route or model named "${this.route}"`
  }
}

/** Every candidate of the route was excluded; `exclusions` says why each, and which field enables it. */
export class NoCapableCandidate extends Schema.TaggedClass<NoCapableCandidate>()("NoCapableCandidate", {
  route: Schema.String,
  exclusions: Schema.Array(Exclusion)
}) {
  get message(): string {
    return `no candidate of route "${this.route}" can serve this request: ${this.exclusions.map(describeExclusion).join("; ")}`
  }
}

/** Every candidate left after the capability filter is a model quarantined as unavailable. */
export class AllUnavailable extends Schema.TaggedClass<AllUnavailable>()("AllUnavailable", {
  route: Schema.String,
  models: Schema.Array(Schema.String)
}) {
  get message(): string {
    return `every model of route "${this.route}" is unavailable (${this.models.join(", ")})`
  }
}

/** A per-request override (`field`: `x-am-route` or `metadata.profile`) that is malformed or outside what the route allows. */
export class InvalidOverride extends Schema.TaggedClass<InvalidOverride>()("InvalidOverride", {
  field: Schema.String,
  detail: Schema.String
}) {
  get message(): string {
    return `${this.field}: ${this.detail}`
  }
}

export const RouterErrorReason = Schema.Union([UnknownRoute, NoCapableCandidate, AllUnavailable, InvalidOverride])
export type RouterErrorReason = typeof RouterErrorReason.Type

export class RouterError extends Schema.TaggedError<RouterError>()("RouterError", {
  reason: RouterErrorReason
}) {
  override get message(): string {
    return this.reason.message
  }

  /** The gateway's code: `invalid_request` for an override, `no_route` otherwise. */
  get code(): "no_route" | "invalid_request" {
    return this.reason._tag === "InvalidOverride" ? "invalid_request" : "no_route"
  }
}
