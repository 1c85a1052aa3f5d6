/**
 * The answer stage: a request's success becomes its `resilience` trail; its last attempt error
 * (or the deadline) becomes its typed `EngineError`, with the events that say how it ended.
 */
import { Clock, Effect } from "effect"
import { EngineError, type ErrorCode, type Resilience } from "../EngineError.ts"
import { type EngineDeps, publish } from "./Deps.ts"
import type { AttemptError, RequestState } from "./RequestState.ts"

/** The typed error a request ends with, from the last attempt error and the request's trail. */
export const toEngineError = (state: RequestState, e: AttemptError, now: number): EngineError => {
  const common = {
    requestId: state.requestId,
    attempts: state.attempts.slice(),
    ...(state.mitigation !== undefined ? { mitigation: state.mitigation } : {})
  }
  const where = `${e.candidate.provider.id}/${e.candidate.model.name}`
  if (e._tag === "CallFailed") {
    const { scope, class: cls } = e.classification
    const code: ErrorCode =
      scope === "request"
        ? cls === "request_too_large"
          ? "request_too_large"
          : "invalid_request"
        : scope === "content"
          ? "content_policy"
          : "all_providers_failed"
    const retryAfter = e.classification.retryAfterMs
    return new EngineError({
      code,
      message:
        code === "all_providers_failed"
          ? `all providers failed after ${state.calls} call(s); last: ${where} ${cls}${e.failure.status !== undefined ? ` (${e.failure.status})` : ""}`
          : code === "content_policy"
            ? `${where} refused the request on content policy (${e.classification.errorType})${state.mitigation?.attempted ? "; the rewritten prompt did not pass either" : ""}`
            : `${where} rejected the request: ${e.failure.message}`,
      ...common,
      ...(retryAfter !== undefined && code === "all_providers_failed" ? { retryAfterMs: retryAfter } : {})
    })
  }
  const freeAt = e._tag === "KeysExhausted" ? (state.earliestKeyAt ?? e.availableAt) : undefined
  const retryAfterMs =
    e._tag === "BreakerRejected" ? e.retryAfterMs : freeAt !== undefined ? Math.max(0, freeAt - now) : undefined
  return new EngineError({
    code: "all_providers_failed",
    message: `all providers failed after ${state.calls} call(s); last: ${where} ${e._tag === "KeysExhausted" ? "has no healthy key" : "circuit open"}`,
    ...common,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {})
  })
}

/** A failed request: its error (the deadline's when time ran out), announced. */
export const fail = (
  deps: EngineDeps,
  state: RequestState,
  deadlineMs: number,
  e: AttemptError | "deadline"
): Effect.Effect<never, EngineError> =>
  Effect.gen(function* () {
    const { requestId, startedAt } = state
    const now = yield* Clock.currentTimeMillis
    // An attempt's timeout is clipped to the deadline, so the last call can fail (as a
    // timeout) at the very moment the deadline passes: that request ran out of time.
    const failed = e === "deadline" ? undefined : toEngineError(state, e, now)
    const expired = failed === undefined || (now >= state.deadlineAt && failed.code === "all_providers_failed")
    const error: EngineError = expired
      ? new EngineError({
          code: "deadline_exceeded",
          message: `the request's deadline of ${deadlineMs} ms passed after ${state.calls} call(s)`,
          requestId,
          attempts: state.attempts.slice(),
          ...(state.mitigation !== undefined ? { mitigation: state.mitigation } : {})
        })
      : failed
    if (expired) yield* publish(deps, { topic: "deadline.exceeded", requestId, elapsedMs: now - startedAt })
    else if (error.code === "all_providers_failed") {
      yield* publish(deps, { topic: "all.providers.failed", requestId, attempts: state.calls })
    }
    yield* publish(deps, {
      topic: "request.failed",
      requestId,
      code: error.code,
      attempts: state.calls,
      latencyMs: now - startedAt
    })
    return yield* Effect.fail(error)
  })

/** A request that got its answer: the trail of how. */
export const succeed = (state: RequestState): Effect.Effect<Resilience> =>
  Effect.map(Clock.currentTimeMillis, (now) => {
    const last = state.last!.candidate
    if (state.mitigation !== undefined) state.mitigation = { ...state.mitigation, succeeded: true }
    return {
      requestId: state.requestId,
      outcome: state.mitigated ? "MITIGATED_SUCCESS" : "SUCCESS",
      attempts: state.attempts.slice(),
      provider: last.provider.id,
      model: last.model.name,
      ...(state.lastKey !== undefined ? { keyFingerprint: state.lastKey.fingerprint } : {}),
      latencyMs: now - state.startedAt,
      ...(state.mitigation !== undefined ? { mitigation: state.mitigation } : {})
    }
  })

export const publishSucceeded = (deps: EngineDeps, state: RequestState, resilience: Resilience) =>
  Effect.flatMap(Clock.currentTimeMillis, (now) =>
    publish(deps, {
      topic: "request.succeeded",
      requestId: state.requestId,
      outcome: resilience.outcome,
      provider: resilience.provider,
      model: resilience.model,
      attempts: state.calls,
      latencyMs: now - state.startedAt
    })
  )
