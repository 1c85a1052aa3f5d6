/**
 * The admit stage: a request gets its id, its deadline (from now, covering everything after),
 * the name of the route it will be planned on (the plan itself is the router's, in the run),
 * and — when requests are recorded — its `llm_runs` start and a place among the active requests
 * whose events join their trail.
 */
import { type CompletionRequest, RequestId } from "@am/core"
import { Clock, Effect } from "effect"
import { EngineError } from "../EngineError.ts"
import type { EngineDeps } from "./Deps.ts"
import type { PlannedRoute } from "./Plan.ts"
import { RequestState } from "./RequestState.ts"

export interface Admitted {
  readonly state: RequestState
  readonly planned: PlannedRoute
  readonly deadlineMs: number
}

// A module-level generator, not `Effect.gen` per request (docs/performance.md, "Generators per request").
export const admit: (deps: EngineDeps, request: CompletionRequest) => Effect.Effect<Admitted, EngineError> =
  Effect.fnUntraced(function* (deps: EngineDeps, request: CompletionRequest) {
    const startedAt = yield* Clock.currentTimeMillis
    const requestId = RequestId.make()
    const retry = deps.config.retry
    const deadlineMs = Math.min(request.deadlineMs ?? retry.deadlineMs, retry.deadlineMs)
    // The router's rule (`routeNameOf`): the route, else the model, else `default`.
    const route = request.route ?? request.model ?? "default"
    const planned: PlannedRoute = { route }
    const state = new RequestState(requestId, startedAt, startedAt + deadlineMs, request, route)
    const { recorder } = deps
    if (recorder.requiresWorkspace && request.metadata?.workspaceId === undefined) {
      // With persistence on, every run belongs to a workspace (seed 001 §2.3): fail fast, call nothing.
      return yield* new EngineError({
        code: "invalid_request",
        message: "persistence is on: metadata.workspaceId is required (the workspace contract)",
        requestId,
        attempts: [],
        field: "metadata.workspaceId"
      })
    }
    if (recorder.enabled) {
      yield* recorder.start({ requestId, request, startedAt })
      deps.active.set(requestId, state)
    }
    return { state, planned, deadlineMs }
  })
