/**
 * The plan stage: the request goes to the `Router` service (`@am/router`), which turns its route
 * (or concrete model) into ordered (provider, model) candidates — minus those that cannot serve
 * it (the capability matrix, context window, max output) and the models quarantined as
 * unavailable. This stage reads the health the router plans from, turns the plan into the
 * engine's candidates, records what was left out (`provider.skipped`; a quarantined model is also
 * a skipped attempt), and maps a `RouterError` to the `EngineError` of the same code.
 */
import { type PlanInput, type ResolvedModel, RouteHints, type RoutePlan, type RouterError } from "@am/router"
import { Effect } from "effect"
import type { ProviderSpec } from "../EngineConfig.ts"
import { EngineError } from "../EngineError.ts"
import { type EngineDeps, publish } from "./Deps.ts"
import type { RequestState } from "./RequestState.ts"

/** One (provider, model) the plan may try, in plan order; the model with every field settled. */
export interface Candidate {
  readonly index: number
  readonly provider: ProviderSpec
  readonly model: ResolvedModel
}

/** What admission decided about the plan: the route (or concrete model) name it will be planned on. */
export interface PlannedRoute {
  readonly route: string
}

/** How a request is sent, besides what its shape shows. */
export interface PlanOptions {
  /** A streamed answer (`Engine.stream`): needs `streaming`. */
  readonly stream?: boolean
  /** `embedding` for `Engine.embed`: needs `embeddings`. */
  readonly kind?: "chat" | "embedding"
  /** Appended to a `no_route` message (e.g. how to declare an embeddings model). */
  readonly noRouteHint?: string
}

const SKIP_REASON = {
  capability: "capability",
  context_window: "context_window",
  // The event's reason list predates these limits: an output cap is a window-like limit, a
  // vector size a capability.
  max_output: "context_window",
  dimensions: "capability"
} as const

// Engine candidates per router model object: a table's resolved models are cached by the router,
// so the common plan maps to the same candidate objects every time (no allocation per request).
const built = new WeakMap<ResolvedModel, Map<ProviderSpec, Array<Candidate>>>()
const candidateOf = (provider: ProviderSpec, model: ResolvedModel, index: number): Candidate => {
  let byProvider = built.get(model)
  if (byProvider === undefined) {
    byProvider = new Map()
    built.set(model, byProvider)
  }
  let byIndex = byProvider.get(provider)
  if (byIndex === undefined) {
    byIndex = []
    byProvider.set(provider, byIndex)
  }
  let candidate = byIndex[index]
  if (candidate === undefined) {
    candidate = { index, provider, model }
    byIndex[index] = candidate
  }
  return candidate
}

const failWith = (deps: EngineDeps, state: RequestState, code: EngineError["code"], message: string, field?: string) =>
  Effect.andThen(
    publish(deps, { topic: "request.failed", requestId: state.requestId, code, attempts: 0, latencyMs: 0 }),
    Effect.fail(
      new EngineError({
        code,
        message,
        requestId: state.requestId,
        attempts: state.attempts.slice(),
        ...(field !== undefined ? { field } : {})
      })
    )
  )

const routerFailure = (deps: EngineDeps, state: RequestState, e: RouterError, hint: string | undefined) =>
  Effect.andThen(
    quarantinedSkips(deps, state, e),
    // Suspended: the error copies the attempts, which must include the skips just recorded.
    Effect.suspend(() =>
      failWith(
        deps,
        state,
        e.code,
        hint !== undefined && e.reason._tag === "NoCapableCandidate" ? `${e.message}; ${hint}` : e.message,
        e.reason._tag === "InvalidOverride" ? e.reason.field : undefined
      )
    )
  )

/**
 * Every model of the route is quarantined (retired, not found): each is a skipped attempt, as
 * when only some are, so the failure reads as `model_not_found` rather than an unexplained
 * `no_route`.
 */
const quarantinedSkips = (deps: EngineDeps, state: RequestState, e: RouterError) => {
  if (e.reason._tag !== "AllUnavailable") return Effect.void
  return Effect.forEach(
    e.reason.models,
    (id) => {
      const slash = id.indexOf("/")
      const provider = id.slice(0, slash)
      const model = id.slice(slash + 1)
      state.attempts.push({ provider, model, outcome: "skipped", skipped: "model_unavailable", latencyMs: 0 })
      return publish(deps, {
        topic: "provider.skipped",
        requestId: state.requestId,
        provider,
        model,
        reason: "model_unavailable"
      })
    },
    { discard: true }
  )
}

/** The engine's candidates of a router plan, recording every exclusion and skip. */
const toCandidates = (
  deps: EngineDeps,
  state: RequestState,
  plan: RoutePlan
): Effect.Effect<ReadonlyArray<Candidate>, EngineError> => {
  const providers = deps.config.providers
  const candidates: Array<Candidate> = []
  for (const c of plan.candidates) {
    const provider = providers.get(c.provider)
    // A custom router may plan a provider the engine has no config for: nothing to call it with.
    if (provider !== undefined) candidates.push(candidateOf(provider, c.model, candidates.length))
  }
  const recorded =
    plan.excluded.length === 0 && plan.skipped.length === 0
      ? Effect.void
      : Effect.forEach(
          [
            ...plan.excluded.map((x) => ({ provider: x.provider, model: x.model, reason: SKIP_REASON[x.reason] })),
            ...plan.skipped.map((s) => {
              state.attempts.push({
                provider: s.provider,
                model: s.model,
                outcome: "skipped",
                skipped: "model_unavailable",
                latencyMs: 0
              })
              return { provider: s.provider, model: s.model, reason: "model_unavailable" as const }
            })
          ],
          (x) => publish(deps, { topic: "provider.skipped", requestId: state.requestId, ...x }),
          { discard: true }
        )
  if (candidates.length > 0) return Effect.as(recorded, candidates)
  return Effect.andThen(
    recorded,
    failWith(deps, state, "no_route", `the router planned no configured provider for route "${plan.route}"`)
  )
}

/**
 * The candidates a started request will try: the router's plan for it, given the model health
 * read just now and the request's routing hints (`RouteHints`). Fails with `no_route` when none
 * is left, or `invalid_request` for an override the route does not allow.
 */
export const candidatesFor = (
  deps: EngineDeps,
  state: RequestState,
  request: PlanInput["request"],
  options: PlanOptions
): Effect.Effect<ReadonlyArray<Candidate>, EngineError> =>
  Effect.flatMap(deps.modelHealth.unavailable, (unavailable) =>
    Effect.flatMap(Effect.service(RouteHints), (hints) =>
      deps.router
        .plan({
          requestId: state.requestId,
          request,
          ...(options.stream === true ? { stream: true } : {}),
          ...(options.kind !== undefined ? { kind: options.kind } : {}),
          ...(hints.override !== undefined ? { override: hints.override } : {}),
          ...(hints.profile !== undefined ? { profile: hints.profile } : {}),
          health: { unavailableModels: unavailable }
        })
        .pipe(
          Effect.matchEffect({
            onFailure: (e) => routerFailure(deps, state, e, options.noRouteHint),
            onSuccess: (plan) => toCandidates(deps, state, plan)
          })
        )
    )
  )
