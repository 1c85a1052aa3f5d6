/**
 * `Engine.embed`: an embeddings request through the same stages as a chat request — admit (id,
 * deadline, workspace, `llm_runs` start), plan (the router, as an embeddings request), drive
 * (the decision table over key rotation, backoff, model and provider failover, breakers, retry
 * budget), answer and record (one ledger entry and one `llm_runs` row, with usage and cost) — with no mitigation:
 * there is no prompt to rewrite. The texts travel in the trail as user messages, so the ledger
 * shows what was embedded and `llm_runs` hashes it like a prompt.
 */
import {
  type CompletionRequest,
  type EmbeddingRequest,
  EmbeddingRequest as EmbeddingRequestSchema,
  RequestContext,
  RequestId,
  schemaIssuePath
} from "@am/core"
import { Duration, Effect, Exit, Schema } from "effect"
import { EngineError } from "../EngineError.ts"
import type { EngineEmbeddings } from "../EngineTypes.ts"
import type { RequestEnd } from "../RequestRecorder.ts"
import { admit } from "./Admit.ts"
import { fail, publishSucceeded, succeed } from "./Answer.ts"
import { type EngineDeps, publish } from "./Deps.ts"
import { drive } from "./Drive.ts"
import { attemptEmbed } from "./EmbedAttempt.ts"
import { embeddingCandidates } from "./EmbedPlan.ts"
import { finishRequest } from "./Record.ts"
import { endOfFailure } from "./Recording.ts"
import type { RequestState } from "./RequestState.ts"

/** The request as the shared stages and the trail see it: its texts as user messages. */
const chatShaped = (request: EmbeddingRequest): CompletionRequest => ({
  ...(request.route !== undefined ? { route: request.route } : {}),
  ...(request.model !== undefined ? { model: request.model } : {}),
  messages: request.input.map((text) => ({ role: "user" as const, content: text })) as [
    CompletionRequest["messages"][0],
    ...Array<CompletionRequest["messages"][0]>
  ],
  ...(request.metadata !== undefined ? { metadata: request.metadata } : {}),
  ...(request.idempotencyKey !== undefined ? { idempotencyKey: request.idempotencyKey } : {}),
  ...(request.deadlineMs !== undefined ? { deadlineMs: request.deadlineMs } : {})
})

const endOfEmbeddings = (exit: Exit.Exit<EngineEmbeddings, EngineError>): RequestEnd =>
  Exit.isSuccess(exit)
    ? {
        outcome: exit.value.resilience.outcome,
        provider: exit.value.resilience.provider,
        model: exit.value.resilience.model
      }
    : endOfFailure(exit.cause)

const runEmbed: (
  deps: EngineDeps,
  state: RequestState,
  request: EmbeddingRequest,
  deadlineMs: number
) => Effect.Effect<EngineEmbeddings, EngineError> = Effect.fnUntraced(function* (
  deps: EngineDeps,
  state: RequestState,
  request: EmbeddingRequest,
  deadlineMs: number
) {
  const { requestId, startedAt, route } = state
  const meta = request.metadata
  yield* publish(deps, {
    topic: "request.started",
    requestId,
    route,
    ...(meta?.workspaceId !== undefined ? { workspaceId: meta.workspaceId } : {})
  })
  const candidates = yield* embeddingCandidates(deps, state, request)
  const answer = yield* drive(deps, state, state.request, candidates, attemptEmbed(request)).pipe(
    Effect.mapError((e) => ({ e })),
    Effect.timeoutOrElse({
      duration: Duration.millis(Math.max(0, state.deadlineAt - startedAt)),
      orElse: () => Effect.fail({ e: "deadline" as const })
    }),
    Effect.provideService(RequestContext, {
      requestId,
      route,
      startedAt,
      deadlineAt: state.deadlineAt,
      ...(meta?.workspaceId !== undefined ? { workspaceId: meta.workspaceId } : {}),
      ...(meta?.pipelineRunId !== undefined ? { pipelineRunId: meta.pipelineRunId } : {}),
      ...(meta?.stage !== undefined ? { stage: meta.stage } : {})
    }),
    Effect.catch(({ e }) => fail(deps, state, deadlineMs, e))
  )
  const resilience = yield* succeed(state)
  yield* publishSucceeded(deps, state, resilience)
  yield* Effect.annotateCurrentSpan("am.outcome", resilience.outcome)
  return { ...answer, resilience } satisfies EngineEmbeddings
})

/** `Engine.embed` over the engine's services. */
export const makeEmbed = (deps: EngineDeps) =>
  Effect.fn("Engine.embed", { attributes: { "gen_ai.operation.name": "embeddings" } })(function* (
    request: EmbeddingRequest
  ) {
    const { state, deadlineMs } = yield* admit(deps, chatShaped(request))
    yield* Effect.annotateCurrentSpan("am.request_id", state.requestId)
    const answered = runEmbed(deps, state, request, deadlineMs)
    if (!deps.recorder.enabled) return yield* answered
    return yield* answered.pipe(Effect.onExit((exit) => finishRequest(deps, state, endOfEmbeddings(exit))))
  })

/** Decodes untrusted input into an `EmbeddingRequest`, failing with `invalid_request` that names the field. */
export const decodeEmbeddingRequest = (input: unknown): Effect.Effect<EmbeddingRequest, EngineError> =>
  Schema.decodeUnknownEffect(EmbeddingRequestSchema)(input, { errors: "first" }).pipe(
    Effect.mapError((e) => {
      const field = schemaIssuePath(e)
      return new EngineError({
        code: "invalid_request",
        message: `invalid embeddings request: ${e.message}`,
        requestId: RequestId.make(),
        attempts: [],
        ...(field !== undefined ? { field } : {})
      })
    })
  )
