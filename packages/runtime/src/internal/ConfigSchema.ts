/**
 * The whole config file as one Schema: the sections as written decode to the resolved config
 * hosts run on (`guards` decoded by `@am/guard`'s schema), and the rules that span sections — a route
 * step names a known provider and a model listed under it; an LLM rewriter names a provider with
 * keys; a verifier likewise (`VerifyChecks.ts`) — are checks on the decoded config that report
 * the written field's path.
 *
 * @internal
 */
import { stepsOf } from "@am/engine"
import { Schema } from "effect"
import { GatewayKeys, Guards, Ledger, Server, State, Telemetry } from "./HostSchema.ts"
import { Cache, cachedRoutesExist, Idempotency } from "./CacheSchema.ts"
import { routeEmbeddingDimensionsAgree } from "./EmbeddingsSchema.ts"
import { Mitigation, Retry, Routes, Stream } from "./PolicySchema.ts"
import { Providers } from "./ProvidersSchema.ts"
import { verifyIsServed } from "./VerifyChecks.ts"

const resolvedFields = {
  server: Server,
  providers: Providers,
  routes: Routes,
  retry: Retry,
  mitigation: Mitigation,
  stream: Stream,
  ledger: Ledger,
  telemetry: Telemetry,
  state: State,
  gatewayKeys: GatewayKeys,
  idempotency: Idempotency,
  cache: Cache,
  guards: Guards
}

const Resolved = Schema.toType(Schema.Struct(resolvedFields))
type Resolved = typeof Resolved.Type

/** Every route step names a configured provider, and a model listed under it (when it lists any). */
const routesAreServed = Schema.makeFilter((config: Resolved) => {
  for (const [name, route] of config.routes) {
    // A route object's steps are under `steps` in the file.
    const at = Array.isArray(route) ? ["routes", name] : ["routes", name, "steps"]
    for (const [i, step] of stepsOf(route).entries()) {
      const provider = config.providers.get(step.provider)
      if (provider === undefined) {
        return { path: [...at, i, "provider"], issue: `unknown provider "${step.provider}"` }
      }
      for (const [j, model] of step.models.entries()) {
        if (provider.models.size > 0 && !provider.models.has(model)) {
          return {
            path: [...at, i, "models", j],
            issue: `model "${model}" is not listed under providers.${step.provider}.models`
          }
        }
      }
    }
  }
  return undefined
})

/** An LLM rewriter names a configured provider that has keys to call it with. */
const rewriterIsServed = Schema.makeFilter((config: Resolved) => {
  const rewriter = config.mitigation.rewriter
  if (rewriter.kind !== "llm") return undefined
  const provider = config.providers.get(rewriter.provider)
  const path = ["mitigation", "rewriter", "provider"]
  if (provider === undefined) return { path, issue: `unknown provider "${rewriter.provider}"` }
  if (provider.keys.length === 0) return { path, issue: `provider "${rewriter.provider}" has no keys for the rewriter` }
  return undefined
})

/** `stream.routes` names routes (or listed models) that exist: a misspelt one would be ignored. */
const streamRoutesExist = Schema.makeFilter((config: Resolved) => {
  for (const name of config.stream.routes?.keys() ?? []) {
    if (config.routes.has(name)) continue
    if ([...config.providers.values()].some((p) => p.models.has(name))) continue
    return { path: ["stream", "routes", name], issue: `unknown route "${name}" (not a route nor a listed model)` }
  }
  return undefined
})

/**
 * The config file, decoded (`env:NAME` secrets need `ConfigEnv`) to the resolved config:
 * providers and routes as maps, capabilities as sets, durations in milliseconds, defaults filled.
 */
export const ConfigSchema = Schema.Struct(resolvedFields).pipe(
  Schema.check(
    routesAreServed,
    rewriterIsServed,
    routeEmbeddingDimensionsAgree,
    cachedRoutesExist,
    streamRoutesExist,
    verifyIsServed
  )
)
