/**
 * The per-request routing hints a host read from the wire — the `x-am-route` header and
 * `metadata.profile` — carried beside the request rather than in it: core's request schema
 * decodes `metadata` to the workspace contract and drops unknown keys, and a header is not part
 * of the request at all. A host provides them around the engine call; the engine's plan stage
 * reads them into `PlanInput.override` and `PlanInput.profile`. Absent means no override.
 *
 * @example
 * ```ts
 * import { RouteHints } from "@am/router"
 * import { Effect } from "effect"
 * declare const call: Effect.Effect<string>
 * const pinned = call.pipe(Effect.provideService(RouteHints, { override: "profile=cheapest" }))
 * ```
 * @since 0.1.0
 */
import { Context } from "effect"

export interface RouteHintsShape {
  /** An `x-am-route` header value (see `PlanInput.override`). */
  readonly override?: string | undefined
  /** A requested profile (`metadata.profile` of the wire body). */
  readonly profile?: string | undefined
}

const NONE: RouteHintsShape = {}

/** The hints of the current request; none by default. */
export const RouteHints: Context.Reference<RouteHintsShape> = Context.Reference<RouteHintsShape>(
  "@am/router/RouteHints",
  { defaultValue: () => NONE }
)
