/**
 * The capability matrix applied to one candidate: its model resolved field by field (config,
 * then catalogue, then the unknown-model defaults) and checked against what the request needs.
 *
 * @internal
 */
import type { ProviderKind } from "@am/core"
import type { Capability, Requirements } from "../Capability.ts"
import { capabilityField } from "../Capability.ts"
import * as Catalogue from "../Catalogue.ts"
import type { Exclusion } from "../Exclusion.ts"
import type { ResolvedModel } from "../RoutePlan.ts"
import type { RouterModel } from "../RoutingTable.ts"

/** `name` as `kind` serves it: every field the config gives, the catalogue's for the rest. */
export const resolveModel = (
  catalogue: Catalogue.Catalogue,
  kind: ProviderKind,
  name: string,
  configured: RouterModel | undefined
): ResolvedModel => {
  const entry = Catalogue.lookup(catalogue, kind, name)
  const maxOutput = configured?.maxOutput ?? entry?.maxOutput
  const dimensions = configured?.dimensions ?? entry?.dimensions
  const price = configured?.price ?? entry?.price
  return {
    name,
    contextWindow: configured?.contextWindow ?? entry?.contextWindow ?? Catalogue.UNKNOWN_MODEL.contextWindow,
    capabilities: new Set<Capability>(
      configured?.capabilities ?? entry?.capabilities ?? Catalogue.UNKNOWN_MODEL.capabilities
    ),
    ...(maxOutput !== undefined ? { maxOutput } : {}),
    ...(dimensions !== undefined ? { dimensions } : {}),
    ...(price !== undefined ? { price } : {}),
    known: entry !== undefined
  }
}

const NEED: Record<Capability, string> = {
  tools: "the request has tools",
  json: "the request asks for a JSON response format",
  vision: "the request has image parts",
  audio: "the request has audio parts",
  files: "the request has file parts",
  streaming: "the request is streamed",
  reasoning: "the request asks for reasoning",
  embeddings: "the request is an embeddings request",
  prefill: "the request continues an assistant message (prefill)"
}

const field = (provider: string, model: string, name: string) =>
  `providers.${provider}.models[name=${JSON.stringify(model)}].${name}`

/**
 * Why `model` cannot serve the request, or `undefined` if it can. One reason per candidate, in
 * this order: the first missing capability (in `CAPABILITIES` order), the context window
 * (estimate + requested output > window — the engine's rule), the max output, the dimensions.
 */
export const exclusionOf = (
  provider: string,
  kind: ProviderKind,
  model: ResolvedModel,
  needs: Requirements,
  estimatedInputTokens: number
): Exclusion | undefined => {
  if (kind === "anthropic" && needs.capabilities.includes("embeddings")) {
    return {
      provider,
      model: model.name,
      reason: "capability",
      capability: "embeddings",
      detail: "the request is an embeddings request and Anthropic has no embeddings API",
      field: `providers.${provider}.kind`
    }
  }
  // Reasoning is a preference, not a requirement: a model without it still answers (without
  // thinking, and the adapter sends no reasoning field), so a thinking request keeps its
  // fallbacks in the route's own order.
  const missing = needs.capabilities.find((c) => c !== "reasoning" && !model.capabilities.has(c))
  if (missing !== undefined) {
    return {
      provider,
      model: model.name,
      reason: "capability",
      capability: missing,
      detail: NEED[missing],
      field: capabilityField(provider, model.name)
    }
  }
  const wanted = estimatedInputTokens + (needs.maxOutput ?? 0)
  if (wanted > model.contextWindow) {
    return {
      provider,
      model: model.name,
      reason: "context_window",
      detail: `~${wanted} tokens (prompt estimate + max output) > contextWindow ${model.contextWindow}`,
      field: field(provider, model.name, "contextWindow")
    }
  }
  if (needs.maxOutput !== undefined && model.maxOutput !== undefined && needs.maxOutput > model.maxOutput) {
    return {
      provider,
      model: model.name,
      reason: "max_output",
      detail: `maxTokens ${needs.maxOutput} > maxOutput ${model.maxOutput}`,
      field: field(provider, model.name, "maxOutput")
    }
  }
  if (needs.dimensions !== undefined && model.dimensions !== undefined && needs.dimensions > model.dimensions) {
    return {
      provider,
      model: model.name,
      reason: "dimensions",
      detail: `dimensions ${needs.dimensions} > the model's ${model.dimensions}`,
      field: field(provider, model.name, "dimensions")
    }
  }
  return undefined
}
