/**
 * Orders a plan's candidates under its profile: candidates that tie under the profile form a
 * tier, and a tier of several is drawn in proportion to the weights, seeded by the request id;
 * demoted candidates (open circuit, no usable key) go last, in the same order among themselves.
 *
 * - `priority`: route order; consecutive weighted candidates form one tier.
 * - `cheapest`: ascending estimated cost; equal costs tie; unpriced candidates follow, in route order.
 * - `fastest`: ascending observed latency; equal latencies tie; unobserved follow, in route order.
 *
 * @internal
 */
import type { PlannedCandidate } from "../RoutePlan.ts"
import type { Profile } from "../RoutingTable.ts"
import { weightedOrder } from "./Seeded.ts"

export type Draft = Omit<PlannedCandidate, "index">

const idOf = (d: Draft) => `${d.provider}/${d.model.name}#${d.routeIndex}`

const metricOf = (profile: Profile, d: Draft): number | undefined =>
  profile === "cheapest" ? d.estimatedCostUsd : profile === "fastest" ? d.latencyMs : undefined

/** Tiers in plan order. */
const tiersOf = (profile: Profile, drafts: ReadonlyArray<Draft>): ReadonlyArray<ReadonlyArray<Draft>> => {
  if (profile === "priority") {
    const tiers: Array<Array<Draft>> = []
    let open = false
    for (const d of drafts) {
      if (d.weight !== undefined && open) tiers[tiers.length - 1]!.push(d)
      else tiers.push([d])
      open = d.weight !== undefined
    }
    return tiers
  }
  const measured = drafts.filter((d) => metricOf(profile, d) !== undefined)
  const unmeasured = drafts.filter((d) => metricOf(profile, d) === undefined)
  const byValue = new Map<number, Array<Draft>>()
  for (const d of measured) {
    // Rounded so that costs equal up to float noise tie.
    const v = Math.round(metricOf(profile, d)! * 1e9) / 1e9
    byValue.set(v, [...(byValue.get(v) ?? []), d])
  }
  return [...[...byValue].sort(([a], [b]) => a - b).map(([, tier]) => tier), ...unmeasured.map((d) => [d])]
}

const whyOf = (profile: Profile, d: Draft, tier: ReadonlyArray<Draft>): string => {
  const base =
    profile === "priority"
      ? `route position ${d.routeIndex + 1}`
      : profile === "cheapest"
        ? d.estimatedCostUsd === undefined
          ? "no price known: after the priced candidates"
          : `estimated $${d.estimatedCostUsd.toPrecision(3)}`
        : d.latencyMs === undefined
          ? "no latency observed: after the observed candidates"
          : `observed ${Math.round(d.latencyMs)} ms`
  const total = tier.reduce((n, x) => n + (x.weight ?? 1), 0)
  const balanced = tier.length > 1 ? `; tie of ${tier.length}, drawn with weight ${d.weight ?? 1}/${total}` : ""
  const demoted =
    d.demoted === "circuit_open"
      ? "; demoted: circuit open"
      : d.demoted === "no_available_key"
        ? "; demoted: no key available now"
        : ""
  return base + balanced + demoted
}

/** The ordered candidates with their positions, and (on demand) why each is where it is. */
export const orderCandidates = (
  profile: Profile,
  seed: string,
  drafts: ReadonlyArray<Draft>
): { readonly candidates: ReadonlyArray<PlannedCandidate>; readonly why: () => ReadonlyArray<string> } => {
  // The common case — priority, nothing weighted, nothing demoted — is the route order as it is.
  if (profile === "priority" && drafts.every((d) => d.weight === undefined && d.demoted === undefined)) {
    return {
      candidates: drafts.map((d, index) => ({ index, ...d })),
      why: () => drafts.map((d) => `route position ${d.routeIndex + 1}`)
    }
  }
  const ordered = tiersOf(profile, drafts).flatMap((tier) =>
    (tier.length > 1 ? weightedOrder(seed, tier, idOf, (d) => d.weight ?? 1) : tier).map((d) => ({ d, tier }))
  )
  const final = [
    ...ordered.filter((x) => x.d.demoted === undefined),
    ...ordered.filter((x) => x.d.demoted !== undefined)
  ]
  return {
    candidates: final.map(({ d }, index) => ({ index, ...d })),
    why: () => final.map(({ d, tier }) => whyOf(profile, d, tier))
  }
}
