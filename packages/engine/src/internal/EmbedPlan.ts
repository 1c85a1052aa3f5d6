/**
 * The plan stage of `Engine.embed`: a request's route (or concrete model) becomes its ordered
 * (provider, model) candidates, minus those that cannot embed — a model without the `embeddings`
 * capability, a provider whose adapter has no `embed` (Anthropic), a model smaller than the
 * `dimensions` asked for — each recorded as a `capability` exclusion, as chat's plan does.
 */
import type { EmbeddingRequest, Provider } from "@am/core"
import type { EngineConfig, ModelSpec } from "../EngineConfig.ts"
import type { Candidate, PlannedRoute } from "./Plan.ts"

/** Why a (provider, model) cannot embed, or `undefined` when it can. */
export const embeddingGap = (
  provider: Provider | undefined,
  model: ModelSpec | undefined,
  dimensions: number | undefined
): string | undefined => {
  if (provider?.embed === undefined) return "provider kind without embeddings"
  if (model === undefined || !model.capabilities.has("embeddings")) return "model without the embeddings capability"
  if (dimensions !== undefined && model.dimensions !== undefined && dimensions > model.dimensions) {
    return `model has ${model.dimensions} dimensions`
  }
  return undefined
}

/** Resolves the request's route (or concrete model) to embedding candidates; unknown name → `undefined`. */
export const planEmbeddings = (
  config: EngineConfig,
  providers: ReadonlyMap<string, Provider>,
  request: EmbeddingRequest
): PlannedRoute | undefined => {
  const name = request.route ?? request.model ?? "default"
  const steps =
    config.routes.get(name) ??
    [...config.providers.values()].filter((p) => p.models.has(name)).map((p) => ({ provider: p.id, models: [name] }))
  if (steps.length === 0) return undefined
  const excluded: Array<PlannedRoute["excluded"][number]> = []
  const candidates: Array<Candidate> = []
  for (const step of steps) {
    const provider = config.providers.get(step.provider)!
    for (const modelName of step.models) {
      const model = provider.models.get(modelName)
      if (model === undefined || embeddingGap(providers.get(provider.id), model, request.dimensions) !== undefined) {
        excluded.push({ provider: provider.id, model: modelName, reason: "capability" })
      } else {
        candidates.push({ index: candidates.length, provider, model })
      }
    }
  }
  const chars = request.input.reduce((n, text) => n + text.length, 0)
  return { route: name, candidates, excluded, estimatedInputTokens: Math.ceil(chars / 4) }
}

/** Why no candidate of the planned route can embed, for the `no_route` answer: each candidate and its gap. */
export const noEmbeddingCandidate = (
  config: EngineConfig,
  providers: ReadonlyMap<string, Provider>,
  planned: PlannedRoute,
  request: EmbeddingRequest
): string => {
  const gaps = planned.excluded.map((x) => {
    const model = config.providers.get(x.provider)?.models.get(x.model)
    return `${x.provider}/${x.model}: ${embeddingGap(providers.get(x.provider), model, request.dimensions) ?? "not listed"}`
  })
  return `no candidate of route "${planned.route}" can serve embeddings (${gaps.join("; ")}); an embeddings model needs "embeddings" in providers.<id>.models[].capabilities and its dimensions, on a provider of kind openai, openai-compatible or gemini`
}
