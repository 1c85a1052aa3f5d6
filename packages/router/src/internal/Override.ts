/**
 * Per-request overrides, read and checked against what the route allows: a profile (from
 * `x-am-route` or `metadata.profile`) and a pin to one provider and/or model of the route.
 *
 * @internal
 */
import { InvalidOverride } from "../RouterError.ts"
import type { ProfileSource } from "../RoutePlan.ts"
import { PROFILES, type Profile, type RouteOverrides, type RouteStep } from "../RoutingTable.ts"

export interface Overrides {
  readonly profile: Profile
  readonly profileSource: ProfileSource
  readonly pin?: { readonly provider?: string; readonly model?: string }
}

const isProfile = (s: string): s is Profile => (PROFILES as ReadonlyArray<string>).includes(s)

/** The effective profile and pin, or why the override cannot apply. */
export const readOverrides = (
  routeProfile: Profile,
  allowed: RouteOverrides | false,
  steps: ReadonlyArray<RouteStep>,
  header: string | undefined,
  metadataProfile: string | undefined
): Overrides | InvalidOverride => {
  if (header === undefined && metadataProfile === undefined) return { profile: routeProfile, profileSource: "route" }
  const providers = new Set(steps.map((s) => s.provider))
  const models = new Set(steps.flatMap((s) => s.models))
  let profile: { value: string; source: ProfileSource } | undefined
  let provider: string | undefined
  let model: string | undefined
  const bad = (field: string, detail: string) => new InvalidOverride({ field, detail })

  for (const raw of (header ?? "").split(/[,;]/)) {
    const token = raw.trim()
    if (token === "") continue
    const eq = token.indexOf("=")
    const key = eq < 0 ? undefined : token.slice(0, eq).trim().toLowerCase()
    const value = eq < 0 ? token : token.slice(eq + 1).trim()
    if (key === "profile" || (key === undefined && isProfile(value))) profile = { value, source: "x-am-route" }
    else if (key === "provider") provider = value
    else if (key === "model") model = value
    else if (key === undefined && value.includes("/")) {
      const slash = value.indexOf("/")
      provider = value.slice(0, slash)
      model = value.slice(slash + 1)
    } else if (key === undefined && providers.has(value)) provider = value
    else if (key === undefined && models.has(value)) model = value
    else if (key === undefined) return bad("x-am-route", `"${value}" is no profile, provider or model of this route`)
    else return bad("x-am-route", `unknown key "${key}" (profile, provider, model)`)
  }
  if (profile === undefined && metadataProfile !== undefined)
    profile = { value: metadataProfile, source: "metadata.profile" }

  if (profile !== undefined) {
    const field = profile.source
    if (!isProfile(profile.value)) return bad(field, `unknown profile "${profile.value}" (${PROFILES.join(", ")})`)
    const profiles = allowed === false ? [] : (allowed.profiles ?? PROFILES)
    if (profile.value !== routeProfile && !profiles.includes(profile.value)) {
      return bad(
        field,
        `this route does not allow profile "${profile.value}" (allowed: ${[routeProfile, ...profiles.filter((p) => p !== routeProfile)].join(", ")})`
      )
    }
  }
  if (provider !== undefined || model !== undefined) {
    if (allowed === false || allowed.pin === false)
      return bad("x-am-route", "this route does not allow pinning a provider or model")
    if (provider !== undefined && !providers.has(provider))
      return bad("x-am-route", `provider "${provider}" is not in this route`)
    const inRoute = steps.some(
      (s) => (provider === undefined || s.provider === provider) && (model === undefined || s.models.includes(model))
    )
    if (!inRoute)
      return bad(
        "x-am-route",
        `model "${model}"${provider === undefined ? "" : ` of provider "${provider}"`} is not in this route`
      )
  }
  return {
    profile: profile === undefined ? routeProfile : (profile.value as Profile),
    profileSource: profile === undefined ? "route" : profile.source,
    ...(provider !== undefined || model !== undefined
      ? { pin: { ...(provider !== undefined ? { provider } : {}), ...(model !== undefined ? { model } : {}) } }
      : {})
  }
}
