/** How a request ended, from its `Exit`, and the record the `RequestRecorder` writes from its state. */
import { type ChatMessage, type CompletionRequest, contentText } from "@am/core"
import { Cause, Exit, Option } from "effect"
import type { EngineError } from "../EngineError.ts"
import type { EngineCompletion } from "../EngineTypes.ts"
import type { RequestEnd, RunRecord } from "../RequestRecorder.ts"
import type { EngineDeps } from "./Deps.ts"
import { outputVerdictOf } from "./GuardStage.ts"
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
export const runRecord = (deps: EngineDeps, state: RequestState): RunRecord => {
  const audit = state.audit
  return audit === undefined ? plainRecord(deps, state) : guardedRecord(deps, state, audit)
}

// A guarded request's record: the audit's masked messages, provider messages masked (no value,
// no placeholder reaches the ledger), and the guards' verdicts.
const guardedRecord = (deps: EngineDeps, state: RequestState, audit: NonNullable<RequestState["audit"]>): RunRecord => {
  const plain = plainRecord(deps, state)
  const maskMessages = (ms: ReadonlyArray<ChatMessage>) =>
    ms.map((m) => (typeof m.content === "string" ? ({ ...m, content: audit.mask(m.content) } as ChatMessage) : m))
  return {
    ...plain,
    request: { ...state.request, messages: audit.messages as CompletionRequest["messages"] },
    attempts: state.attempts.map((a) => (a.message === undefined ? a : { ...a, message: audit.mask(a.message) })),
    finalMessages: state.finalMessages === undefined ? undefined : maskMessages(state.finalMessages),
    guard: audit.guard
  }
}

const plainRecord = (deps: EngineDeps, state: RequestState): RunRecord => ({
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
  ...(state.cacheHitOf !== undefined ? { cacheHit: { originalRequestId: state.cacheHitOf } } : {}),
  // Output verdicts (contract, verification) of a request without an input guard.
  guard: outputVerdictOf(state),
  kindOf: (id) => deps.config.providers.get(id)?.kind ?? id
})
