import {
  addUsage,
  contentText,
  type EventBusShape,
  type LedgerInput,
  type LedgerShape,
  type PricingShape,
  type RunStoreShape,
  type CompletionRequest,
  type Usage
} from "@am/core"
import { Cause, Clock, Effect, Exit, Option } from "effect"
import type { EngineConfig } from "../Config.ts"
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

/** The ledger entry and the `llm_runs` row of a finished request, whatever its exit. */
export const record = (
  deps: RecordingDeps,
  state: RequestState,
  request: CompletionRequest,
  route: string,
  exit: Exit.Exit<EngineCompletion, EngineError>
) =>
  Effect.gen(function* () {
    const { config, ledger, pricing, runs } = deps
    const finishedAt = yield* Clock.currentTimeMillis
    const answer = Exit.isSuccess(exit) ? exit.value : undefined
    const error = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.findErrorOption(exit.cause)) : undefined
    const failureCode = answer !== undefined ? undefined : (error?.code ?? "interrupted")
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
      ...(answer !== undefined ? { responseText: contentText(answer.message.content) } : {}),
      outcome: answer?.resilience.outcome ?? "FAILURE",
      ...(failureCode !== undefined ? { failureCode } : {}),
      attempts: state.attempts,
      events: state.events,
      ...(answer !== undefined ? { provider: answer.resilience.provider, model: answer.resilience.model } : {}),
      ...(state.lastKey !== undefined && answer !== undefined ? { keyFingerprint: state.lastKey.fingerprint } : {}),
      latencyMs: finishedAt - state.startedAt,
      apiCalls: state.calls,
      ...(usage !== undefined ? { usage } : {}),
      ...(costUsd !== undefined ? { costUsd } : {}),
      mitigationAttempted: state.mitigation?.attempted ?? false,
      mitigationSucceeded: answer !== undefined && state.mitigated
    }
    // The ledger publishes bias.ledger.entry.created itself when an EventBus is present.
    if (ledger !== undefined) yield* ledger.record(input)
    if (runs !== undefined && meta?.workspaceId !== undefined) {
      yield* runs
        .finish(state.requestId, {
          status: answer !== undefined ? "SUCCEEDED" : "FAILED",
          ...(answer !== undefined ? { provider: answer.resilience.provider, model: answer.resilience.model } : {}),
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
