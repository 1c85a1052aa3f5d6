/**
 * The answer stage: a request's success becomes its `resilience` trail; its last attempt error
 * (or the deadline) becomes its typed `EngineError`, with the events that say how it ended.
 */
import { Clock, Effect } from "effect"
import { DroppedFields } from "../DroppedFields.ts"
import { type AttemptRecord, EngineError, type Resilience } from "../EngineError.ts"
import { type EngineDeps, publish } from "./Deps.ts"
import type { AttemptError, CallFailed, RequestState } from "./RequestState.ts"

// What fails the same way on every retry of the same model: context too long, model retired, a
// feature the model lacks (the classifier's `unsupported_by_model`). A request no model took.
const deterministic = (a: AttemptRecord): boolean =>
  a.class === "context_length_exceeded" ||
  a.class === "model_not_found" ||
  (a.class === "invalid_request" && a.scope === "model" && a.errorType === "unsupported_by_model")

const failures = (attempts: ReadonlyArray<AttemptRecord>) => attempts.filter((a) => a.outcome === "failure")
const skips = (attempts: ReadonlyArray<AttemptRecord>) => attempts.filter((a) => a.outcome === "skipped")

/** The longest delay an upstream announced during the request (failure records carry the provider's). */
const upstreamRetryAfter = (attempts: ReadonlyArray<AttemptRecord>): number | undefined => {
  let most: number | undefined
  for (const a of failures(attempts)) {
    if (a.retryAfterMs !== undefined) most = Math.max(most ?? 0, a.retryAfterMs)
  }
  return most
}

/**
 * When every call failed on a key and every skipped candidate had no free key — no breaker,
 * model or provider trouble — and a rate limit is why (a 429 in this request, or, when nothing
 * was sent, a key of a skipped candidate cooling down from one: `coolingUntil`), the request was
 * rate-limited: the answer is when the first key frees up (the keyring's earliest, else the
 * shortest delay an upstream announced). `undefined` otherwise: dead keys are not a rate limit.
 */
const rateLimitedFor = (
  state: RequestState,
  now: number,
  coolingUntil: number | undefined
): { readonly retryAfterMs?: number } | undefined => {
  const failed = failures(state.attempts)
  const skipped = skips(state.attempts)
  if (!failed.every((a) => a.scope === "key")) return undefined
  if (!skipped.every((a) => a.skipped === "no_healthy_key" || a.skipped === "model_unavailable")) return undefined
  const limited = failed.filter((a) => a.class === "rate_limit")
  if (limited.length === 0 && (failed.length > 0 || coolingUntil === undefined)) return undefined
  const freeAt = state.earliestKeyAt ?? coolingUntil
  if (freeAt !== undefined) return { retryAfterMs: Math.max(0, freeAt - now) }
  let soonest: number | undefined
  for (const a of limited) {
    if (a.retryAfterMs !== undefined) soonest = Math.min(soonest ?? a.retryAfterMs, a.retryAfterMs)
  }
  return soonest === undefined ? {} : { retryAfterMs: soonest }
}

/**
 * For a request that sent nothing because no key was free: the earliest end of a rate-limit
 * cool-down among the skipped candidates' keys (a disabled or quota-exhausted key is not one).
 * Read from the keyring only on that path.
 */
const coolingUntilOf = (deps: EngineDeps, state: RequestState): Effect.Effect<number | undefined> => {
  const skippedForKeys = state.attempts.filter((a) => a.outcome === "skipped" && a.skipped === "no_healthy_key")
  if (skippedForKeys.length === 0 || state.attempts.some((a) => a.outcome !== "skipped")) {
    return Effect.succeed(undefined)
  }
  return Effect.map(deps.keyring.snapshot, (keys) => {
    let soonest: number | undefined
    for (const a of skippedForKeys) {
      for (const k of keys) {
        const until = k.provider === a.provider ? k.coolingModels?.[a.model] : undefined
        if (until !== undefined && k.status !== "disabled") soonest = Math.min(soonest ?? until, until)
      }
    }
    return soonest
  })
}

/**
 * A request every tried model rejected deterministically (context too long, model retired) with
 * nothing else going wrong: the upstream's answer, not a provider outage. `undefined` otherwise.
 */
const rejectedByEveryModel = (state: RequestState, e: CallFailed): EngineError | undefined => {
  const failed = failures(state.attempts)
  if (failed.length === 0 || !failed.every(deterministic)) return undefined
  if (!skips(state.attempts).every((a) => a.skipped === "model_unavailable")) return undefined
  const common = {
    requestId: state.requestId,
    attempts: state.attempts.slice(),
    ...(state.mitigation !== undefined ? { mitigation: state.mitigation } : {})
  }
  const tooLong = failed.find((a) => a.class === "context_length_exceeded")
  if (tooLong !== undefined) {
    const last = e.classification.class === "context_length_exceeded"
    return new EngineError({
      code: "invalid_request",
      message: `${tooLong.provider}/${tooLong.model} rejected the request: ${last ? e.failure.message : (tooLong.message ?? "context length exceeded")}`,
      ...common,
      upstream: {
        provider: tooLong.provider,
        model: tooLong.model,
        class: "context_length_exceeded",
        ...(tooLong.status !== undefined ? { status: tooLong.status } : {}),
        ...(last && e.failure.errorCode !== undefined ? { errorCode: e.failure.errorCode } : {}),
        ...(tooLong.errorType !== undefined ? { errorType: tooLong.errorType } : {})
      }
    })
  }
  const lacking = failed.find((a) => a.class === "invalid_request")
  if (lacking !== undefined) {
    const last = e.classification.class === "invalid_request"
    return new EngineError({
      code: "invalid_request",
      message: `${lacking.provider}/${lacking.model} rejected the request: ${last ? e.failure.message : (lacking.message ?? "not supported by the model")}`,
      ...common,
      upstream: {
        provider: lacking.provider,
        model: lacking.model,
        class: "invalid_request",
        ...(lacking.status !== undefined ? { status: lacking.status } : {}),
        ...(last && e.failure.errorCode !== undefined ? { errorCode: e.failure.errorCode } : {}),
        ...(lacking.errorType !== undefined ? { errorType: lacking.errorType } : {})
      }
    })
  }
  const models = [...new Set(failed.map((a) => `${a.provider}/${a.model}`))]
  return new EngineError({
    code: "no_route",
    message: `the model does not exist or is no longer served: ${models.join(", ")} (${e.failure.message})`,
    ...common,
    upstream: {
      provider: e.candidate.provider.id,
      model: e.candidate.model.name,
      class: "model_not_found",
      ...(e.failure.status !== undefined ? { status: e.failure.status } : {}),
      ...(e.failure.errorCode !== undefined ? { errorCode: e.failure.errorCode } : {}),
      errorType: e.classification.errorType
    }
  })
}

/** The typed error a request ends with, from the last attempt error and the request's trail. */
export const toEngineError = (
  state: RequestState,
  e: AttemptError,
  now: number,
  coolingUntil?: number | undefined
): EngineError => {
  const common = {
    requestId: state.requestId,
    attempts: state.attempts.slice(),
    ...(state.mitigation !== undefined ? { mitigation: state.mitigation } : {})
  }
  const where = `${e.candidate.provider.id}/${e.candidate.model.name}`
  const upstreamMs = upstreamRetryAfter(state.attempts)
  const rateLimited = rateLimitedFor(state, now, coolingUntil)
  // Every provider failed: rate-limited (when the first key frees up), or an outage with the
  // longest delay an upstream announced beside the gateway's own hint.
  const outage = (message: string, retryAfterMs: number | undefined) =>
    rateLimited !== undefined
      ? new EngineError({
          code: "all_providers_failed",
          message: `every key of every candidate is rate-limited after ${state.calls} call(s); last: ${where}`,
          ...common,
          rateLimited: true,
          ...(rateLimited.retryAfterMs !== undefined ? { retryAfterMs: rateLimited.retryAfterMs } : {}),
          ...(upstreamMs !== undefined ? { upstreamRetryAfterMs: upstreamMs } : {})
        })
      : new EngineError({
          code: "all_providers_failed",
          message,
          ...common,
          ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
          ...(upstreamMs !== undefined ? { upstreamRetryAfterMs: upstreamMs } : {})
        })
  if (e._tag === "CallFailed") {
    const { scope, class: cls } = e.classification
    if (scope === "request") {
      const tooLarge = cls === "request_too_large"
      return new EngineError({
        code: tooLarge ? "request_too_large" : "invalid_request",
        message: `${where} rejected the request: ${e.failure.message}`,
        ...common,
        ...(tooLarge
          ? {}
          : {
              upstream: {
                provider: e.candidate.provider.id,
                model: e.candidate.model.name,
                class: cls,
                ...(e.failure.status !== undefined ? { status: e.failure.status } : {}),
                ...(e.failure.errorCode !== undefined ? { errorCode: e.failure.errorCode } : {}),
                errorType: e.classification.errorType
              }
            })
      })
    }
    if (scope === "content") {
      return new EngineError({
        code: "content_policy",
        message: `${where} refused the request on content policy (${e.classification.errorType})${state.mitigation?.attempted ? "; the rewritten prompt did not pass either" : ""}`,
        ...common
      })
    }
    const rejected = rejectedByEveryModel(state, e)
    if (rejected !== undefined) return rejected
    return outage(
      `all providers failed after ${state.calls} call(s); last: ${where} ${cls}${e.failure.status !== undefined ? ` (${e.failure.status})` : ""}`,
      e.classification.retryAfterMs
    )
  }
  const freeAt = e._tag === "KeysExhausted" ? (state.earliestKeyAt ?? e.availableAt) : undefined
  const retryAfterMs =
    e._tag === "BreakerRejected" ? e.retryAfterMs : freeAt !== undefined ? Math.max(0, freeAt - now) : undefined
  return outage(
    `all providers failed after ${state.calls} call(s); last: ${where} ${e._tag === "KeysExhausted" ? "has no healthy key" : "circuit open"}`,
    retryAfterMs
  )
}

/** A failed request: its error (the deadline's when time ran out), announced. */
export const fail: (
  deps: EngineDeps,
  state: RequestState,
  deadlineMs: number,
  e: AttemptError | "deadline"
) => Effect.Effect<never, EngineError> = Effect.fnUntraced(function* (
  deps: EngineDeps,
  state: RequestState,
  deadlineMs: number,
  e: AttemptError | "deadline"
) {
  const { requestId, startedAt } = state
  const now = yield* Clock.currentTimeMillis
  // An attempt's timeout is clipped to the deadline, so the last call can fail (as a
  // timeout) at the very moment the deadline passes: that request ran out of time.
  const coolingUntil = e !== "deadline" && e._tag === "KeysExhausted" ? yield* coolingUntilOf(deps, state) : undefined
  const failed = e === "deadline" ? undefined : toEngineError(state, e, now, coolingUntil)
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
export const succeed: (state: RequestState) => Effect.Effect<Resilience> = Effect.fnUntraced(function* (
  state: RequestState
) {
  const now = yield* Clock.currentTimeMillis
  const last = state.last!.candidate
  if (state.mitigation !== undefined) state.mitigation = { ...state.mitigation, succeeded: true }
  const dropped = (yield* DroppedFields)(state.request, last.provider.id)
  return {
    requestId: state.requestId,
    outcome: state.mitigated ? "MITIGATED_SUCCESS" : "SUCCESS",
    attempts: state.attempts.slice(),
    provider: last.provider.id,
    model: last.model.name,
    ...(state.lastKey !== undefined ? { keyFingerprint: state.lastKey.fingerprint } : {}),
    latencyMs: now - state.startedAt,
    ...(state.mitigation !== undefined ? { mitigation: state.mitigation } : {}),
    ...(dropped.length > 0 ? { droppedFields: [...dropped] } : {})
  } satisfies Resilience
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
