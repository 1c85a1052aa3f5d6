/**
 * The audit record of a replayed request — a request whose idempotency key already had a finished
 * answer, answered from it without a call. A replay is an accepted request like any other, so it
 * gets its own ledger entry (`replayed: true`, `originalRequestId`, no attempts, no API call, cost
 * 0) and, where runs are persisted, its own `llm_runs` row (`replayOf` the original, the key kept,
 * tokens and cost 0) — so a usage report counts every request, and counts a replay at no cost.
 * Both under a request id of the replay's own (`RequestId.make()`); the answer itself still carries
 * the original's.
 *
 * Never fails: a store that refuses is logged (the `Ledger` and a durable `RunStore` spool on
 * their own account).
 *
 * @example
 * ```ts
 * import { recordReplay } from "@am/cache"
 * import { Ledger } from "@am/core"
 * import { Effect } from "effect"
 * const program = Effect.flatMap(Effect.service(Ledger), (ledger) =>
 *   recordReplay(
 *     {
 *       workspaceId: "team-a",
 *       idempotencyKey: "order-42",
 *       route: "default",
 *       messages: [{ role: "user", content: "hi" }],
 *       originalRequestId: "req_0123456789abcdef",
 *       outcome: "SUCCESS"
 *     },
 *     { ledger }
 *   )
 * )
 * ```
 * @since 0.1.0
 */
import { type ChatMessage, type LedgerShape, promptSha256, RequestId, type RunStoreShape, Tracing } from "@am/core"
import { Clock, Effect } from "effect"

/** What a replay's record says. */
export interface ReplayRecordInput {
  readonly workspaceId: string
  readonly idempotencyKey: string
  readonly pipelineRunId?: string | undefined
  readonly stage?: string | undefined
  /** The route (or model) the request named. */
  readonly route: string
  /** The request's messages (after redaction, as the engine would have recorded them). */
  readonly messages: ReadonlyArray<ChatMessage>
  /** The request id of the call whose answer is replayed. */
  readonly originalRequestId: string
  readonly outcome: "SUCCESS" | "MITIGATED_SUCCESS"
  /** The candidate that produced the original answer. */
  readonly provider?: string | undefined
  readonly model?: string | undefined
  /** The answer's text, for the ledger's preview. */
  readonly responseText?: string | undefined
  /** When the replay was admitted (epoch ms); default now. */
  readonly startedAt?: number | undefined
}

/** Where a replay is recorded: the ledger, and the run store when runs are persisted. */
export interface ReplayRecorders {
  readonly ledger?: LedgerShape | undefined
  readonly runs?: RunStoreShape | undefined
}

/** Records a replay (see the module doc); returns the replay's own request id. */
export const recordReplay = Tracing.fn("Idempotency.recordReplay")(function* (
  input: ReplayRecordInput,
  to: ReplayRecorders
) {
  const id = RequestId.make()
  const now = yield* Clock.currentTimeMillis
  const startedAt = input.startedAt ?? now
  const optional = {
    ...(input.pipelineRunId !== undefined ? { pipelineRunId: input.pipelineRunId } : {}),
    ...(input.stage !== undefined ? { stage: input.stage } : {})
  }
  const candidate = {
    ...(input.provider !== undefined ? { provider: input.provider } : {}),
    ...(input.model !== undefined ? { model: input.model } : {})
  }
  if (to.ledger !== undefined) {
    yield* to.ledger.record({
      requestId: id,
      startedAt,
      finishedAt: now,
      workspaceId: input.workspaceId,
      ...optional,
      route: input.route,
      initialMessages: input.messages,
      ...(input.responseText !== undefined ? { responseText: input.responseText } : {}),
      outcome: input.outcome,
      attempts: [],
      events: [],
      ...candidate,
      latencyMs: now - startedAt,
      apiCalls: 0,
      costUsd: 0,
      mitigationAttempted: false,
      mitigationSucceeded: false,
      replayed: true,
      originalRequestId: input.originalRequestId
    })
  }
  const runs = to.runs
  if (runs !== undefined) {
    yield* runs
      .start({
        id,
        workspaceId: input.workspaceId,
        ...optional,
        idempotencyKey: input.idempotencyKey,
        promptSha256: promptSha256(input.messages),
        status: "STARTED",
        createdAt: startedAt,
        replayOf: input.originalRequestId
      })
      .pipe(
        Effect.andThen(
          runs.finish(id, {
            status: "SUCCEEDED",
            ...candidate,
            inputTokens: 0,
            outputTokens: 0,
            totalTokens: 0,
            costUsd: 0,
            latencyMs: now - startedAt,
            finishedAt: now
          })
        ),
        Effect.catch((e) =>
          Effect.logError("llm_runs: a replay's row could not be recorded").pipe(
            Effect.annotateLogs({ store: e.store, message: e.message, replayOf: input.originalRequestId })
          )
        )
      )
  }
  return id
})
