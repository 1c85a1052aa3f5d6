import {
  addUsage,
  contentText,
  type EventBusShape,
  type LedgerInput,
  type LedgerShape,
  type LedgerStream,
  type PricingShape,
  type RequestOutcome,
  type RunStoreShape,
  type CompletionRequest,
  type Usage
} from "@am/core"
import { Cause, Clock, Effect, Exit, Option } from "effect"
import type { EngineConfig } from "../EngineConfig.ts"
import type { EngineCompletion } from "../Engine.ts"
import type { EngineError } from "../EngineError.ts"
import type { RequestState } from "./Attempt.ts"

/** The optional audit services a request is recorded through. */
export interface RecordingDeps {
  readonly config: EngineConfig
  readonly bus: EventBusShape
  readonly ledger: LedgerShape | undefined
  readonly runs: RunStoreShape | undefined
  readonly pricing: PricingShape | undefined
}

/** How a request ended, as its ledger entry and `llm_runs` row tell it. */
export interface RequestEnd {
  readonly outcome: RequestOutcome
  readonly failureCode?: string
  /** The candidate that answered (for a stream: the one it committed to, cut or not). */
  readonly provider?: string
  readonly model?: string
  readonly responseText?: string
  readonly stream?: LedgerStream
}

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

/** The ledger entry and the `llm_runs` row of a finished request, whatever its end. */
export const record = (
  deps: RecordingDeps,
  state: RequestState,
  request: CompletionRequest,
  route: string,
  end: RequestEnd
) =>
  Effect.gen(function* () {
    const { config, ledger, pricing, runs } = deps
    const finishedAt = yield* Clock.currentTimeMillis
    const answered = end.outcome !== "FAILURE"
    const failureCode = answered ? undefined : (end.failureCode ?? "interrupted")
    const usage = state.attempts.reduce<Usage | undefined>(
      (sum, a) => (a.usage === undefined ? sum : sum === undefined ? a.usage : addUsage(sum, a.usage)),
      undefined
    )
    // Cost of every billed attempt (an attempt that reported usage), priced by its provider kind.
    const costUsd =
      pricing === undefined
        ? undefined
        : state.attempts.reduce<number | undefined>((sum, a) => {
            if (a.usage === undefined) return sum
            const kind = config.providers.get(a.provider)?.kind ?? a.provider
            const c = pricing.cost(kind, a.model, a.usage)
            return c === undefined ? sum : (sum ?? 0) + c
          }, undefined)
    const meta = request.metadata
    const input: LedgerInput = {
      requestId: state.requestId,
      startedAt: state.startedAt,
      finishedAt,
      ...(meta?.workspaceId !== undefined ? { workspaceId: meta.workspaceId } : {}),
      ...(meta?.pipelineRunId !== undefined ? { pipelineRunId: meta.pipelineRunId } : {}),
      ...(meta?.stage !== undefined ? { stage: meta.stage } : {}),
      route,
      initialMessages: request.messages,
      ...(state.finalMessages !== undefined ? { finalMessages: state.finalMessages } : {}),
      ...(end.responseText !== undefined ? { responseText: end.responseText } : {}),
      outcome: end.outcome,
      ...(failureCode !== undefined ? { failureCode } : {}),
      attempts: state.attempts,
      events: state.events,
      ...(end.provider !== undefined && end.model !== undefined ? { provider: end.provider, model: end.model } : {}),
      ...(state.lastKey !== undefined && end.provider !== undefined
        ? { keyFingerprint: state.lastKey.fingerprint }
        : {}),
      latencyMs: finishedAt - state.startedAt,
      apiCalls: state.calls,
      ...(usage !== undefined ? { usage } : {}),
      ...(costUsd !== undefined ? { costUsd } : {}),
      mitigationAttempted: state.mitigation?.attempted ?? false,
      mitigationSucceeded: answered && state.mitigated,
      ...(end.stream !== undefined ? { stream: end.stream } : {})
    }
    // The ledger publishes bias.ledger.entry.created itself when an EventBus is present.
    if (ledger !== undefined) yield* ledger.record(input)
    if (runs !== undefined && meta?.workspaceId !== undefined) {
      yield* runs
        .finish(state.requestId, {
          status: answered ? "SUCCEEDED" : "FAILED",
          ...(end.provider !== undefined && end.model !== undefined
            ? { provider: end.provider, model: end.model }
            : {}),
          ...(usage !== undefined
            ? { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, totalTokens: usage.totalTokens }
            : {}),
          ...(costUsd !== undefined ? { costUsd } : {}),
          latencyMs: finishedAt - state.startedAt,
          ...(failureCode !== undefined ? { errorCode: failureCode } : {}),
          finishedAt
        })
        .pipe(
          Effect.catch((e) =>
            Effect.logError("llm_runs finish failed").pipe(Effect.annotateLogs({ store: e.store, message: e.message }))
          )
        )
    }
  })
