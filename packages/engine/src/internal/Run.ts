/**
 * A started request's run, from `request.started` to its answer or typed error: the router's
 * candidates (streamed or not), the drive through them, mitigation of a refusal, and the one
 * deadline over all of it, with the request's `RequestContext` provided to everything inside.
 */
import { RequestContext } from "@am/core"
import { Duration, Effect } from "effect"
import type { EngineError, Resilience } from "../EngineError.ts"
import { fail, succeed } from "./Answer.ts"
import type { Attempt } from "./Attempt.ts"
import { cachedCompletion } from "./Cached.ts"
import { type EngineDeps, publish } from "./Deps.ts"
import { drive } from "./Drive.ts"
import { isMitigable, mitigate } from "./Mitigate.ts"
import { candidatesFor, type PlannedRoute } from "./Plan.ts"
import type { RequestState } from "./RequestState.ts"
import { verifiedAnswer, verifierOf } from "./VerifyStage.ts"

const CHAT = {} as const
const STREAM = { stream: true } as const

export const run = <B>(
  deps: EngineDeps,
  state: RequestState,
  _planned: PlannedRoute,
  deadlineMs: number,
  attemptOnce: Attempt<B>,
  /** `Engine.stream`: the plan then needs `streaming`. */
  stream = false
): Effect.Effect<readonly [B, Resilience], EngineError> =>
  runStarted(deps, state, deadlineMs, attemptOnce as Attempt<unknown>, stream) as Effect.Effect<
    readonly [B, Resilience],
    EngineError
  >

// Module-level generator functions, not `Effect.gen(function* () {…})` per request: V8 gives
// every new generator closure its own initial map in old space, which keeps the closure and all
// it captured alive through the next scavenge (docs/performance.md, "Generators per request").
const runStarted = Effect.fnUntraced(function* (
  deps: EngineDeps,
  state: RequestState,
  deadlineMs: number,
  attemptOnce: Attempt<unknown>,
  stream: boolean
) {
  const { requestId, route, request } = state
  const meta = request.metadata
  yield* publish(deps, {
    topic: "request.started",
    requestId,
    route,
    ...(meta?.workspaceId !== undefined ? { workspaceId: meta.workspaceId } : {})
  })
  // After the input guard, before the plan: a cached answer needs neither (`complete` only).
  const planned = plannedRun(deps, state, request, deadlineMs, attemptOnce, stream)
  return yield* stream ? planned : (cachedCompletion(deps, state, planned as never) as unknown as typeof planned)
})

/** After the input guard, before the plan: the router's candidates, the drive, mitigation, the deadline. */
const plannedRun = Effect.fnUntraced(function* (
  deps: EngineDeps,
  state: RequestState,
  request: RequestState["request"],
  deadlineMs: number,
  attemptOnce: Attempt<unknown>,
  stream: boolean
) {
  const { requestId, startedAt, route } = state
  const meta = request.metadata
  const candidates = yield* candidatesFor(deps, state, request, stream ? STREAM : CHAT)
  const answer = yield* drive(deps, state, request, candidates, attemptOnce).pipe(
    Effect.catchIf(
      (e) => isMitigable(deps, state, e),
      (e) => mitigate(deps, state, request, candidates, attemptOnce, e)
    ),
    Effect.mapError((e) => ({ e })),
    Effect.timeoutOrElse({
      duration: Duration.millis(Math.max(0, state.deadlineAt - startedAt)),
      orElse: () => Effect.fail({ e: "deadline" as const })
    }),
    Effect.provideService(RequestContext, {
      requestId,
      route,
      startedAt,
      deadlineAt: state.deadlineAt,
      ...(meta?.workspaceId !== undefined ? { workspaceId: meta.workspaceId } : {}),
      ...(meta?.pipelineRunId !== undefined ? { pipelineRunId: meta.pipelineRunId } : {}),
      ...(meta?.stage !== undefined ? { stage: meta.stage } : {})
    }),
    Effect.catch(({ e }) => fail(deps, state, deadlineMs, e))
  )
  // Self-verification (`complete` on a verified route only; streams are refused at start).
  const verifier = stream ? undefined : verifierOf(deps, state)
  if (verifier !== undefined) {
    return (yield* verifiedAnswer(deps, state, request, candidates, verifier, answer as never)) as never
  }
  return [answer, yield* succeed(state)] as const
})
