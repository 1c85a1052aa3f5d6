import type { CompletionRequest } from "@am/core"
import type { EngineConfig, ModelSpec, ProviderSpec } from "../EngineConfig.ts"

/** One (provider, model) the plan may try, in route order. */
export interface Candidate {
  readonly index: number
  readonly provider: ProviderSpec
  readonly model: ModelSpec
}

export type Exclusion = "capability" | "context_window"

export interface PlannedRoute {
  readonly route: string
  readonly candidates: ReadonlyArray<Candidate>
  /** Candidates filtered out before any call, and why. */
  readonly excluded: ReadonlyArray<{ readonly provider: string; readonly model: string; readonly reason: Exclusion }>
  readonly estimatedInputTokens: number
}

/**
 * A cheap, provider-neutral token estimate: ~4 characters per token plus a few tokens of
 * framing per message. Only used to filter models whose context window cannot fit the
 * request; a provider's own `context_length_exceeded` remains the authority.
 */
export const estimateTokens = (request: CompletionRequest): number => {
  const text = request.messages.reduce((n, m) => {
    const content =
      m.content === null
        ? 0
        : typeof m.content === "string"
          ? m.content.length
          : m.content.reduce((k, p) => k + (p.type === "text" ? p.text.length : 1000), 0)
    const calls =
      m.role === "assistant" && m.toolCalls
        ? m.toolCalls.reduce((k, c) => k + c.arguments.length + c.name.length, 0)
        : 0
    return n + content + calls
  }, 0)
  const tools = request.tools ? JSON.stringify(request.tools).length : 0
  return Math.ceil((text + tools) / 4) + 4 * request.messages.length
}

const needs = (request: CompletionRequest) => ({
  tools: request.tools !== undefined && request.tools.length > 0,
  json: request.responseFormat !== undefined && request.responseFormat.type !== "text",
  vision: request.messages.some((m) => Array.isArray(m.content) && m.content.some((p) => p.type === "image"))
})

/**
 * Resolves the request's route (or concrete model) to an ordered list of candidates and drops
 * those that cannot serve it. Unknown route/model → `undefined`.
 */
export const planRoute = (config: EngineConfig, request: CompletionRequest): PlannedRoute | undefined => {
  const name = request.route ?? request.model ?? "default"
  const route = config.routes.get(name)
  const steps =
    route ??
    // A concrete model name: every provider that lists it, in provider order.
    [...config.providers.values()].filter((p) => p.models.has(name)).map((p) => ({ provider: p.id, models: [name] }))
  if (steps.length === 0) return undefined
  const estimate = estimateTokens(request)
  const want = needs(request)
  const excluded: Array<PlannedRoute["excluded"][number]> = []
  const candidates: Array<Candidate> = []
  steps.forEach((step) => {
    const provider = config.providers.get(step.provider)!
    step.models.forEach((modelName) => {
      const model: ModelSpec = provider.models.get(modelName) ?? {
        name: modelName,
        contextWindow: Number.MAX_SAFE_INTEGER,
        capabilities: new Set(["tools", "json", "vision", "streaming"])
      }
      if (
        (want.tools && !model.capabilities.has("tools")) ||
        (want.json && !model.capabilities.has("json")) ||
        (want.vision && !model.capabilities.has("vision"))
      ) {
        excluded.push({ provider: provider.id, model: model.name, reason: "capability" })
      } else if (estimate + (request.maxTokens ?? 0) > model.contextWindow) {
        excluded.push({ provider: provider.id, model: model.name, reason: "context_window" })
      } else {
        candidates.push({ index: candidates.length, provider, model })
      }
    })
  })
  return { route: name, candidates, excluded, estimatedInputTokens: estimate }
}
