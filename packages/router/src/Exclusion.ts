/**
 * Why a candidate was left out of a plan before any call: the capability it lacks (or the limit
 * the request passes) and the config field that would let it serve — the text the gateway's
 * 404 `no_route` shows.
 *
 * @example
 * ```ts
 * import { describeExclusion } from "@am/router"
 * describeExclusion({
 *   provider: "primary", model: "gpt-4o-mini", reason: "capability", capability: "vision",
 *   detail: "the request has image parts", field: 'providers.primary.models[name="gpt-4o-mini"].capabilities'
 * })
 * // primary/gpt-4o-mini lacks "vision" (the request has image parts; add "vision" to providers.primary.models[name="gpt-4o-mini"].capabilities)
 * ```
 * @since 0.1.0
 */
import { Schema } from "effect"
import { CAPABILITIES } from "./Capability.ts"

/** `capability`: a capability is missing; the others: the request passes one of the model's limits. */
export const ExclusionReason = Schema.Literals(["capability", "context_window", "max_output", "dimensions"])
export type ExclusionReason = typeof ExclusionReason.Type

export const Exclusion = Schema.Struct({
  provider: Schema.String,
  model: Schema.String,
  reason: ExclusionReason,
  /** The missing capability (`reason: "capability"`). */
  capability: Schema.optionalKey(Schema.Literals(CAPABILITIES)),
  /** What in the request needs it, or the figures (`~9,000 tokens > contextWindow 8,192`). */
  detail: Schema.String,
  /** The config field that would enable the candidate. */
  field: Schema.String
})
export type Exclusion = typeof Exclusion.Type

/** One line for a person: which candidate, what it lacks, which field enables it. */
export const describeExclusion = (x: Exclusion): string =>
  x.reason === "capability"
    ? `${x.provider}/${x.model} lacks "${x.capability}" (${x.detail}; add "${x.capability}" to ${x.field})`
    : `${x.provider}/${x.model}: ${x.detail} (raise ${x.field} if the model allows more)`
