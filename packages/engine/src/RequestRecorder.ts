/**
 * How a request is recorded: its `llm_runs` row when it starts, and — however it ends (answer,
 * failure, interruption) — its ledger entry and the row's finish, with usage and cost. One
 * service with explicit layers, so the engine's layer type says whether requests are audited:
 *
 * - `RequestRecorder.layerNoop` — nothing is recorded;
 * - `RequestRecorder.layer` — ledger entries (needs `Ledger` and `Pricing`);
 * - `RequestRecorder.layerWithRuns` — ledger entries and `llm_runs` rows (needs `Ledger`,
 *   `RunStore`, `Pricing`); every request must then name its workspace.
 *
 * @example
 * ```ts
 * import { Engine, RequestRecorder } from "@am/engine"
 * import { Layer } from "effect"
 * declare const config: import("@am/engine").EngineConfig
 * const unaudited = Engine.layer(config).pipe(Layer.provide(RequestRecorder.layerNoop))
 * ```
 * @since 0.1.0
 */
import {
  addUsage,
  type AttemptRecord,
  type ChatMessage,
  type CompletionRequest,
  type GuardVerdict,
  Ledger,
  type LedgerEvent,
  type LedgerInput,
  type LedgerShape,
  type LedgerStream,
  Pricing,
  type PricingShape,
  promptSha256,
  type RequestOutcome,
  RunStore,
  type RunStoreShape,
  Tracing,
  type Usage
} from "@am/core"
import { Clock, Context, Effect, Layer } from "effect"
import { DroppedFields } from "./DroppedFields.ts"
import type { Mitigation } from "./EngineError.ts"

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

/** A request at its start. */
export interface RunStart {
  readonly requestId: string
  readonly request: CompletionRequest
  readonly startedAt: number
}

/** Everything a finished request's record is made of. */
export interface RunRecord {
  readonly requestId: string
  readonly request: CompletionRequest
  readonly route: string
  readonly startedAt: number
  readonly attempts: ReadonlyArray<AttemptRecord>
  readonly events: ReadonlyArray<LedgerEvent>
  readonly calls: number
  /** The messages sent after a rewrite. */
  readonly finalMessages?: ReadonlyArray<ChatMessage> | undefined
  readonly mitigation?: Mitigation | undefined
  readonly mitigated: boolean
  readonly keyFingerprint?: string | undefined
  /** The guards' verdicts, when guards ran. */
  readonly guard?: GuardVerdict | undefined
  /** The provider kind of a configured provider id (prices are per kind). */
  readonly kindOf: (providerId: string) => string
  /** Answered from the response cache (no call, cost 0), with the call that produced the entry. */
  readonly cacheHit?: { readonly originalRequestId: string } | undefined
}

export interface RequestRecorderShape {
  /** Whether requests are recorded at all (the engine keeps each request's event trail only then). */
  readonly enabled: boolean
  /** Whether every request must name its workspace (`llm_runs` rows belong to one). */
  readonly requiresWorkspace: boolean
  readonly start: (run: RunStart) => Effect.Effect<void>
  readonly finish: (run: RunRecord, end: RequestEnd) => Effect.Effect<void>
}

const sumUsage = (attempts: ReadonlyArray<AttemptRecord>) =>
  attempts.reduce<Usage | undefined>(
    (sum, a) => (a.usage === undefined ? sum : sum === undefined ? a.usage : addUsage(sum, a.usage)),
    undefined
  )

// Cost of every billed attempt (an attempt that reported usage), priced by its provider kind.
const sumCost = (pricing: PricingShape, run: RunRecord) =>
  run.attempts.reduce<number | undefined>((sum, a) => {
    if (a.usage === undefined) return sum
    const c = pricing.cost(run.kindOf(a.provider), a.model, a.usage)
    return c === undefined ? sum : (sum ?? 0) + c
  }, undefined)

const ledgerInput = (
  run: RunRecord,
  end: RequestEnd,
  finishedAt: number,
  usage: Usage | undefined,
  costUsd: number | undefined,
  droppedFields: ReadonlyArray<string>
): LedgerInput => {
  const answered = end.outcome !== "FAILURE"
  const failureCode = answered ? undefined : (end.failureCode ?? "interrupted")
  const meta = run.request.metadata
  return {
    requestId: run.requestId,
    startedAt: run.startedAt,
    finishedAt,
    ...(meta?.workspaceId !== undefined ? { workspaceId: meta.workspaceId } : {}),
    ...(meta?.pipelineRunId !== undefined ? { pipelineRunId: meta.pipelineRunId } : {}),
    ...(meta?.stage !== undefined ? { stage: meta.stage } : {}),
    route: run.route,
    initialMessages: run.request.messages,
    ...(run.finalMessages !== undefined ? { finalMessages: run.finalMessages } : {}),
    ...(end.responseText !== undefined ? { responseText: end.responseText } : {}),
    outcome: end.outcome,
    ...(failureCode !== undefined ? { failureCode } : {}),
    attempts: run.attempts,
    events: run.events,
    ...(end.provider !== undefined && end.model !== undefined ? { provider: end.provider, model: end.model } : {}),
    ...(run.keyFingerprint !== undefined && end.provider !== undefined ? { keyFingerprint: run.keyFingerprint } : {}),
    latencyMs: finishedAt - run.startedAt,
    apiCalls: run.calls,
    ...(usage !== undefined ? { usage } : {}),
    ...(costUsd !== undefined ? { costUsd } : {}),
    mitigationAttempted: run.mitigation?.attempted ?? false,
    mitigationSucceeded: answered && run.mitigated,
    ...(end.stream !== undefined ? { stream: end.stream } : {}),
    ...(run.guard !== undefined ? { guard: run.guard } : {}),
    ...(droppedFields.length > 0 ? { droppedFields } : {}),
    ...(run.cacheHit !== undefined
      ? { cacheHit: true, originalRequestId: run.cacheHit.originalRequestId, costUsd: 0 }
      : {})
  }
}

const make = (ledger: LedgerShape, pricing: PricingShape, runs: RunStoreShape | undefined): RequestRecorderShape => ({
  enabled: true,
  requiresWorkspace: runs !== undefined,
  start: Tracing.fn("RequestRecorder.start")(function* ({ request, requestId, startedAt }: RunStart) {
    const meta = request.metadata
    if (runs === undefined || meta?.workspaceId === undefined) return
    yield* runs
      .start({
        id: requestId,
        workspaceId: meta.workspaceId,
        ...(meta.pipelineRunId !== undefined ? { pipelineRunId: meta.pipelineRunId } : {}),
        ...(meta.stage !== undefined ? { stage: meta.stage } : {}),
        ...(request.idempotencyKey !== undefined ? { idempotencyKey: request.idempotencyKey } : {}),
        promptSha256: promptSha256(request.messages),
        status: "STARTED",
        createdAt: startedAt
      })
      .pipe(
        Effect.catch((e) =>
          Effect.logError("llm_runs start failed").pipe(Effect.annotateLogs({ store: e.store, message: e.message }))
        )
      )
  }),
  finish: Tracing.fn("RequestRecorder.finish")(function* (run: RunRecord, end: RequestEnd) {
    const finishedAt = yield* Clock.currentTimeMillis
    const usage = sumUsage(run.attempts)
    const costUsd = sumCost(pricing, run)
    // The ledger publishes bias.ledger.entry.created itself when an EventBus is present.
    // What the answering provider could not honour (the host's table: `DroppedFields`).
    const dropped =
      end.outcome !== "FAILURE" && end.provider !== undefined && run.cacheHit === undefined
        ? (yield* DroppedFields)(run.request, end.provider)
        : []
    yield* ledger.record(ledgerInput(run, end, finishedAt, usage, costUsd, dropped))
    const workspaceId = run.request.metadata?.workspaceId
    if (runs === undefined || workspaceId === undefined) return
    const answered = end.outcome !== "FAILURE"
    const failureCode = answered ? undefined : (end.failureCode ?? "interrupted")
    yield* runs
      .finish(run.requestId, {
        status: answered ? "SUCCEEDED" : "FAILED",
        ...(end.provider !== undefined && end.model !== undefined ? { provider: end.provider, model: end.model } : {}),
        ...(usage !== undefined
          ? { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, totalTokens: usage.totalTokens }
          : {}),
        ...(costUsd !== undefined ? { costUsd } : {}),
        latencyMs: finishedAt - run.startedAt,
        ...(failureCode !== undefined ? { errorCode: failureCode } : {}),
        finishedAt
      })
      .pipe(
        Effect.catch((e) =>
          Effect.logError("llm_runs finish failed").pipe(Effect.annotateLogs({ store: e.store, message: e.message }))
        )
      )
  })
})

const noop: RequestRecorderShape = {
  enabled: false,
  requiresWorkspace: false,
  start: () => Effect.void,
  finish: () => Effect.void
}

export class RequestRecorder extends Context.Service<RequestRecorder, RequestRecorderShape>()(
  "@am/engine/RequestRecorder"
) {
  /** Records nothing. */
  static readonly layerNoop: Layer.Layer<RequestRecorder> = Layer.succeed(RequestRecorder, noop)
  /** Ledger entries, priced. */
  static readonly layer: Layer.Layer<RequestRecorder, never, Ledger | Pricing> = Layer.effect(
    RequestRecorder,
    Effect.gen(function* () {
      return make(yield* Ledger, yield* Pricing, undefined)
    })
  )
  /** Ledger entries and `llm_runs` rows, priced; every request must name its workspace. */
  static readonly layerWithRuns: Layer.Layer<RequestRecorder, never, Ledger | RunStore | Pricing> = Layer.effect(
    RequestRecorder,
    Effect.gen(function* () {
      return make(yield* Ledger, yield* Pricing, yield* RunStore)
    })
  )
}
