/**
 * The mitigate stage: a content-policy refusal gets the prompt rewritten once and the plan run
 * again — never twice, never recursively through the engine.
 */
import type { CompletionRequest } from "@am/core"
import { Effect } from "effect"
import type { Attempt } from "./Attempt.ts"
import { type EngineDeps, publish } from "./Deps.ts"
import { drive } from "./Drive.ts"
import type { Candidate } from "./Plan.ts"
import type { AttemptError, CallFailed, RequestState } from "./RequestState.ts"

/** Whether `e` ends the plan in a way mitigation may answer. */
export const isMitigable = (deps: EngineDeps, state: RequestState, e: AttemptError): e is CallFailed =>
  e._tag === "CallFailed" &&
  e.classification.scope === "content" &&
  deps.config.mitigation.contentPolicy === "rewrite" &&
  !state.mitigated

export const mitigate = <B>(
  deps: EngineDeps,
  state: RequestState,
  request: CompletionRequest,
  candidates: ReadonlyArray<Candidate>,
  attemptOnce: Attempt<B>,
  e: CallFailed
): Effect.Effect<B, AttemptError> =>
  Effect.gen(function* () {
    state.mitigated = true
    yield* publish(deps, {
      topic: "prompt.humanization.attempt",
      requestId: state.requestId,
      rewriter: "configured",
      reason: e.classification.errorType
    })
    const rewritten = yield* deps.rewriter
      .rewrite({ messages: request.messages, reason: e.classification.errorType, requestId: state.requestId })
      .pipe(
        Effect.catchTag("RewriteFailed", (rf) =>
          Effect.gen(function* () {
            state.mitigation = {
              attempted: true,
              succeeded: false,
              rewriter: rf.rewriter,
              failure: `${rf.reason}: ${rf.message}`,
              latencyMs: rf.latencyMs
            }
            yield* publish(deps, {
              topic: "prompt.humanization.failure",
              requestId: state.requestId,
              rewriter: rf.rewriter,
              latencyMs: rf.latencyMs,
              reason: rf.reason
            })
            return yield* Effect.fail(e)
          })
        )
      )
    state.mitigation = {
      attempted: true,
      succeeded: false,
      rewriter: rewritten.rewriter,
      latencyMs: rewritten.latencyMs
    }
    yield* publish(deps, {
      topic: "prompt.humanization.success",
      requestId: state.requestId,
      rewriter: rewritten.rewriter,
      latencyMs: rewritten.latencyMs
    })
    const messages = rewritten.messages as CompletionRequest["messages"]
    state.finalMessages = messages
    return yield* drive(deps, state, { ...request, messages }, candidates, attemptOnce)
  })
