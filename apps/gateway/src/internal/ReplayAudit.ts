/**
 * How every route records a replay (a request answered from its `Idempotency-Key`'s stored
 * result): `@am/cache`'s `recordReplay` — its own ledger entry (`replayed: true` pointing at the
 * original, no call, cost 0) and, when the host persists runs (the `RequestRecorder` keeps
 * `llm_runs` rows, i.e. a durable `ledger.store`), its own `llm_runs` row (`replay_of` the
 * original, cost 0) — so every accepted request, replays included, has exactly one row. Also the
 * headers a replay answers with: the original's request id, `x-am-attempts: 0`,
 * `x-am-idempotent-replay: true`.
 *
 * @internal
 */
import { type ReplayRecorders, recordReplay, type StoredResult } from "@am/cache"
import type { ChatMessage } from "@am/core"
import { replayRecorders as runtimeReplayRecorders } from "@am/runtime"
import { Effect, Schema } from "effect"
import { type AmHeadersInput, amHeaders, IDEMPOTENT_REPLAY_HEADER } from "../AmHeaders.ts"

/** What a stored answer remembers of the call that produced it (its `x-am-*` headers). */
export const StoredHeaders = Schema.Struct({
  provider: Schema.optionalKey(Schema.String),
  model: Schema.optionalKey(Schema.String),
  outcome: Schema.String
})
export type StoredHeaders = typeof StoredHeaders.Type

/** Where this host records replays (read once, when a route is built): see `@am/runtime`. */
export const replayRecorders = runtimeReplayRecorders

/** What a route knows of the request a stored result is replayed to. */
export interface ReplayRequest {
  readonly recorders: ReplayRecorders
  readonly route: string
  readonly messages: ReadonlyArray<ChatMessage>
  readonly pipelineRunId?: string | undefined
  readonly stage?: string | undefined
}

/** Records the replay of `result` (never fails). */
export const auditReplay = (
  result: StoredResult,
  request: ReplayRequest,
  headers: StoredHeaders,
  responseText?: string
): Effect.Effect<void> =>
  Effect.asVoid(
    recordReplay(
      {
        workspaceId: result.workspace,
        idempotencyKey: result.key,
        pipelineRunId: request.pipelineRunId,
        stage: request.stage,
        route: request.route,
        messages: request.messages,
        originalRequestId: result.requestId,
        outcome: headers.outcome === "MITIGATED_SUCCESS" ? "MITIGATED_SUCCESS" : "SUCCESS",
        provider: headers.provider,
        model: headers.model,
        responseText
      },
      request.recorders
    )
  )

/** A replay's headers, through the route's own header function (Messages adds `request-id`). */
export const replayHeaders = (
  result: StoredResult,
  headers: StoredHeaders,
  headersOf: (h: AmHeadersInput) => Record<string, string> = amHeaders
): Record<string, string> => ({
  ...headersOf({
    requestId: result.requestId,
    provider: headers.provider,
    model: headers.model,
    attempts: 0,
    outcome: headers.outcome
  }),
  [IDEMPOTENT_REPLAY_HEADER]: "true"
})
