/**
 * The plan stage: a request's route (or concrete model) becomes an ordered list of (provider,
 * model) candidates, minus those that cannot serve it (capability, context window) or whose
 * model the provider reported missing.
 */
import type { CompletionRequest } from "@am/core"
import { Effect } from "effect"
import type { EngineConfig, ModelSpec, ProviderSpec } from "../EngineConfig.ts"
import { EngineError } from "../EngineError.ts"
import { type EngineDeps, publish } from "./Deps.ts"
import type { RequestState } from "./RequestState.ts"

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

/**
 * The candidates a started request will try: its route's, minus those the plan excluded and the
 * models quarantined as unavailable (each skip recorded and published). Fails with `no_route`
 * when none is left.
 */
export const candidatesFor = (
  deps: EngineDeps,
  state: RequestState,
  planned: PlannedRoute | undefined
): Effect.Effect<ReadonlyArray<Candidate>, EngineError> =>
  // The common case — nothing excluded, nothing quarantined — is one read and no generator.
  planned !== undefined && planned.candidates.length > 0 && planned.excluded.length === 0
    ? Effect.flatMap(deps.modelHealth.unavailable, (unavailable) =>
        unavailable.size === 0 ? Effect.succeed(planned.candidates) : filtered(deps, state, planned)
      )
    : filtered(deps, state, planned)

const filtered = (
  deps: EngineDeps,
  state: RequestState,
  planned: PlannedRoute | undefined
): Effect.Effect<ReadonlyArray<Candidate>, EngineError> =>
  Effect.gen(function* () {
    const { requestId, route } = state
    const noRoute = (message: string) =>
      Effect.andThen(
        publish(deps, { topic: "request.failed", requestId, code: "no_route", attempts: 0, latencyMs: 0 }),
        Effect.fail(new EngineError({ code: "no_route", message, requestId, attempts: state.attempts.slice() }))
      )
    if (planned === undefined) return yield* noRoute(`no route or model named "${route}"`)
    if (planned.candidates.length === 0) {
      return yield* noRoute(
        `no candidate of route "${route}" can serve this request (${planned.excluded.map((x) => `${x.provider}/${x.model}: ${x.reason}`).join(", ")})`
      )
    }
    yield* Effect.forEach(planned.excluded, (x) =>
      publish(deps, { topic: "provider.skipped", requestId, provider: x.provider, model: x.model, reason: x.reason })
    )
    const unavailable = yield* deps.modelHealth.unavailable
    if (unavailable.size === 0) return planned.candidates
    const keep: Array<Candidate> = []
    yield* Effect.forEach(planned.candidates, (c) => {
      if (!unavailable.has(`${c.provider.id}/${c.model.name}`)) {
        keep.push({ ...c, index: keep.length })
        return Effect.void
      }
      state.attempts.push({
        provider: c.provider.id,
        model: c.model.name,
        outcome: "skipped",
        skipped: "model_unavailable",
        latencyMs: 0
      })
      return publish(deps, {
        topic: "provider.skipped",
        requestId,
        provider: c.provider.id,
        model: c.model.name,
        reason: "model_unavailable"
      })
    })
    if (keep.length === 0) {
      return yield* noRoute(`every model of route "${route}" is unavailable (${[...unavailable.keys()].join(", ")})`)
    }
    return keep
  })
