/**
 * The rules of `guards.verify` that span sections: with verification on, every verified route
 * has a verifier; a verifier names a configured provider with keys (the engine calls it like any
 * candidate) and, when that provider lists models, one of them; `routes` names routes (or listed
 * models) that exist — a misspelt one would be accepted and never verified.
 *
 * @internal
 */
import type { GuardConfig } from "@am/guard"
import { Schema } from "effect"

interface Checked {
  readonly guards?: GuardConfig | undefined
  readonly routes: ReadonlyMap<string, unknown>
  readonly providers: ReadonlyMap<
    string,
    { readonly keys: ReadonlyArray<unknown>; readonly models: ReadonlyMap<string, unknown> }
  >
}

const targetProblem = (
  config: Checked,
  target: { readonly provider: string; readonly model: string },
  at: ReadonlyArray<string>
) => {
  const provider = config.providers.get(target.provider)
  if (provider === undefined) return { path: [...at, "provider"], issue: `unknown provider "${target.provider}"` }
  if (provider.keys.length === 0) {
    return { path: [...at, "provider"], issue: `provider "${target.provider}" has no keys for the verifier` }
  }
  if (provider.models.size > 0 && !provider.models.has(target.model)) {
    return {
      path: [...at, "model"],
      issue: `model "${target.model}" is not listed under providers.${target.provider}.models`
    }
  }
  return undefined
}

/** `guards.verify` is servable: see the module comment. */
export const verifyIsServed = Schema.makeFilter((config: Checked) => {
  const verify = config.guards?.verify
  if (verify === undefined || verify.enabled !== true) return undefined
  const base = ["guards", "verify"]
  if (verify.verifier !== undefined) {
    const problem = targetProblem(config, verify.verifier, [...base, "verifier"])
    if (problem !== undefined) return problem
  }
  const routes = verify.routes
  if (routes === undefined) {
    return verify.verifier === undefined
      ? { path: [...base, "verifier"], issue: "self-verification needs a verifier: { provider, model }" }
      : undefined
  }
  for (const [name, route] of Object.entries(routes)) {
    const at = [...base, "routes", name]
    const known = config.routes.has(name) || [...config.providers.values()].some((p) => p.models.has(name))
    if (!known) return { path: at, issue: `unknown route "${name}" (not a route nor a listed model)` }
    if (route.verifier !== undefined) {
      const problem = targetProblem(config, route.verifier, [...at, "verifier"])
      if (problem !== undefined) return problem
    } else if (verify.verifier === undefined) {
      return { path: [...at, "verifier"], issue: "no verifier for this route (set guards.verify.verifier or its own)" }
    }
  }
  return undefined
})
