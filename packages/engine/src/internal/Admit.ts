/**
 * The admit stage: a request gets its id, its deadline (from now, covering everything after),
 * its route's plan, and — when requests are recorded — its `llm_runs` start and a place among the
 * active requests whose events join their trail.
 */
import { type CompletionRequest, RequestId } from "@am/core"
import { Clock, Effect } from "effect"
import { EngineError } from "../EngineError.ts"
import type { EngineDeps } from "./Deps.ts"
import { type PlannedRoute, planRoute } from "./Plan.ts"
import { RequestState } from "./RequestState.ts"

export interface Admitted {
  readonly state: RequestState
  readonly planned: PlannedRoute | undefined
  readonly deadlineMs: number
}

export const admit = (deps: EngineDeps, request: CompletionRequest): Effect.Effect<Admitted, EngineError> =>
  Effect.gen(function* () {
    const startedAt = yield* Clock.currentTimeMillis
    const requestId = RequestId.make()
    const retry = deps.config.retry
    const deadlineMs = Math.min(request.deadlineMs ?? retry.deadlineMs, retry.deadlineMs)
    const planned = planRoute(deps.config, request)
    const route = planned?.route ?? request.route ?? request.model ?? "default"
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
