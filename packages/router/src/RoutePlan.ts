/**
 * What a plan is: the input (the request, how it is sent, the overrides, the health snapshot)
 * and the output (the ordered candidates, what was excluded or skipped and why, and an
 * explanation for the ledger).
 *
 * @example
 * ```ts
 * import type { RoutePlan } from "@am/router"
 * const first = (plan: RoutePlan) => `${plan.candidates[0]?.provider}/${plan.candidates[0]?.model.name} (${plan.profile})`
 * ```
 * @since 0.1.0
 */
import type { ProviderKind } from "@am/core"
import type { Capability, RequirementsInput } from "./Capability.ts"
import type { Price } from "./Catalogue.ts"
import type { Exclusion } from "./Exclusion.ts"
import type { HealthSnapshot, Profile } from "./RoutingTable.ts"

/** A model with every field settled (config, then catalogue, then the unknown-model defaults). */
export interface ResolvedModel {
  readonly name: string
  readonly contextWindow: number
  readonly maxOutput?: number
  readonly capabilities: ReadonlySet<Capability>
  readonly dimensions?: number
  readonly price?: Price
  /** Whether the catalogue knows the model. */
  readonly known: boolean
}

/** Why a candidate sits at the end of the plan: its circuit is open, or none of its keys can serve it now. */
export type Demotion = "circuit_open" | "no_available_key"

export interface PlannedCandidate {
  /** Position in the plan (0 = tried first). */
  readonly index: number
  /** Position in the route as written. */
  readonly routeIndex: number
  readonly provider: string
  readonly kind: ProviderKind
  readonly model: ResolvedModel
  /** The route's balancing weight, when it gives one. */
  readonly weight?: number
  /** The provider's usable key ids, in a weighted order seeded by the request id (empty when it lists none). */
  readonly keys: ReadonlyArray<string>
  /** This request's estimated cost in USD (prompt estimate × input price + expected output × output price). */
  readonly estimatedCostUsd?: number
  /** Observed latency from the snapshot, in ms. */
  readonly latencyMs?: number
  readonly demoted?: Demotion
}

/** A candidate left out because its model is quarantined (the engine records it as a skipped attempt). */
export interface SkippedCandidate {
  readonly provider: string
  readonly model: string
  readonly reason: "model_unavailable"
}

/** Where the plan's profile came from. */
export type ProfileSource = "route" | "x-am-route" | "metadata.profile"

/** The plan in a JSON-ready form for the ledger: what was decided, and why each candidate is where it is. */
export interface PlanExplanation {
  readonly route: string
  readonly profile: Profile
  readonly profileSource: ProfileSource
  readonly pinned?: { readonly provider?: string; readonly model?: string }
  /** The tie-break seed (the request id). */
  readonly seed: string
  readonly needs: ReadonlyArray<Capability>
  readonly estimatedInputTokens: number
  readonly order: ReadonlyArray<{ readonly provider: string; readonly model: string; readonly why: string }>
  readonly excluded: ReadonlyArray<string>
  readonly skipped: ReadonlyArray<string>
}

export interface RoutePlan {
  readonly route: string
  readonly profile: Profile
  readonly candidates: ReadonlyArray<PlannedCandidate>
  /** Candidates filtered out before any call, and why. */
  readonly excluded: ReadonlyArray<Exclusion>
  readonly skipped: ReadonlyArray<SkippedCandidate>
  readonly estimatedInputTokens: number
  readonly explanation: PlanExplanation
}

/** One request to plan. */
export interface PlanInput extends RequirementsInput {
  /** Seeds every tie-break: the same id and state give the same order. */
  readonly requestId: string
  /** An `x-am-route` header value: `profile=cheapest`, `provider=backup`, `model=gpt-4o`, `backup/gpt-4o` or a bare profile/provider/model, comma-separated. */
  readonly override?: string
  /** A requested profile (`metadata.profile`); default: `request.metadata.profile`. */
  readonly profile?: string
  readonly health?: HealthSnapshot
}

/** Output tokens assumed by the cost estimate when the request sets no `maxTokens`. */
export const EXPECTED_OUTPUT_TOKENS = 500
