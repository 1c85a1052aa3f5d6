import { EngineError, type ErrorCode } from "../EngineError.ts"
import type { AttemptError, RequestState } from "./Attempt.ts"

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
