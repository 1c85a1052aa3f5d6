/** How a request ended, from its `Exit`, and the record the `RequestRecorder` writes from its state. */
import { contentText } from "@am/core"
import { Cause, Exit, Option } from "effect"
import type { EngineError } from "../EngineError.ts"
import type { EngineCompletion } from "../EngineTypes.ts"
import type { RequestEnd, RunRecord } from "../RequestRecorder.ts"
import type { EngineDeps } from "./Deps.ts"
import type { RequestState } from "./RequestState.ts"

/** A request that failed before any answer: its error's code, `interrupted` when there is none. */
export const endOfFailure = (cause: Cause.Cause<EngineError>): RequestEnd => ({
  outcome: "FAILURE",
  failureCode: Option.getOrUndefined(Cause.findErrorOption(cause))?.code ?? "interrupted"
})

/** How a `complete()` request ended. */
export const endOfCompletion = (exit: Exit.Exit<EngineCompletion, EngineError>): RequestEnd =>
  Exit.isSuccess(exit)
    ? {
        outcome: exit.value.resilience.outcome,
        provider: exit.value.resilience.provider,
        model: exit.value.resilience.model,
        responseText: contentText(exit.value.message.content)
      }
    : endOfFailure(exit.cause)

/** The record of a started request, as it stands. */
export const runRecord = (deps: EngineDeps, state: RequestState): RunRecord => ({
  requestId: state.requestId,
  request: state.request,
  route: state.route,
  startedAt: state.startedAt,
  attempts: state.attempts,
  events: state.events,
  calls: state.calls,
  finalMessages: state.finalMessages,
  mitigation: state.mitigation,
  mitigated: state.mitigated,
  keyFingerprint: state.lastKey?.fingerprint,
  kindOf: (id) => deps.config.providers.get(id)?.kind ?? id
})
