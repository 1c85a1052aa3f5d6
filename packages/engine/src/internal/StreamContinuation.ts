/**
 * Continuation after the first token: a stream cut, stalled or failed after content reached the
 * client goes on from another candidate. The candidates are the plan's, after the one that was
 * cut, whose model has `prefill` (the API continues a trailing assistant message); each is asked
 * for the original request plus the text already sent as an assistant prefill, and driven like
 * any plan step (retries, keys, breakers) until one of them sends its first token. A candidate
 * without `prefill` is never asked; a request-scoped failure of one (a prefill it rejects after
 * all) moves to the next. None left, or the deadline or the attempts spent: `Option.none()`, and
 * the relay ends the stream with the original cut.
 */
import { type ChatMessage, type CompletionRequest, RequestContext, type Usage } from "@am/core"
import { estimatePromptTokens } from "@am/router"
import { Clock, Duration, Effect, Option, type Scope } from "effect"
import { type StreamSpec, streamRouteOf } from "../EngineConfig.ts"
import type { EngineDeps } from "./Deps.ts"
import { drive } from "./Drive.ts"
import type { Candidate } from "./Plan.ts"
import type { AttemptError, RequestState } from "./RequestState.ts"
import { attemptStream } from "./StreamAttempt.ts"
import type { Committed } from "./StreamRelay.ts"

/** Whether the request's route continues cut streams (`stream.routes.<route>.continuation`, on by default). */
export const continues = (deps: EngineDeps, state: RequestState): boolean =>
  streamRouteOf(deps.config.stream, state.route).continuation

/** The candidates that may continue a stream cut on `cut`: later in the plan, with `prefill`. */
export const continuationCandidates = (state: RequestState, cut: Candidate): ReadonlyArray<Candidate> =>
  (state.candidates ?? []).filter((c) => c.index > cut.index && c.model.capabilities.has("prefill"))

/**
 * The prefill sent to a continuing candidate: the text sent so far without its trailing
 * whitespace (providers refuse a final assistant turn ending in whitespace), and that whitespace,
 * which the continuation's own leading copy of is dropped against.
 */
export const prefillOf = (sent: string): { readonly prefill: string; readonly trimmed: string } => {
  const prefill = sent.trimEnd()
  return { prefill, trimmed: sent.slice(prefill.length) }
}

/** The original request with `prefill` as its last, assistant, turn; a same-wire body is not re-sent. */
export const continuationRequest = (state: RequestState, prefill: string): CompletionRequest => {
  const { passthrough: _, ...request } = state.request
  const messages: ReadonlyArray<ChatMessage> = state.finalMessages ?? request.messages
  return {
    ...request,
    messages: [...messages, { role: "assistant", content: prefill }] as unknown as CompletionRequest["messages"]
  }
}

/**
 * What a cut attempt that reported no usage is billed, estimated: the prompt at ~4 characters
 * per token (the router's estimate) and ~4 characters per output token.
 */
export const estimatedCutUsage = (request: CompletionRequest, outputChars: number): Usage => {
  const inputTokens = estimatePromptTokens(request)
  const outputTokens = Math.ceil(outputChars / 4)
  return { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens }
}

/**
 * Asks the continuation candidates, in plan order, for the rest of the answer after `sent`:
 * the first to send content is the stream's new commit. Bounded by the request's deadline.
 */
export const continueStream: (
  deps: EngineDeps,
  state: RequestState,
  scope: Scope.Scope,
  limits: StreamSpec,
  cut: Candidate,
  sent: string
) => Effect.Effect<Option.Option<Committed>> = Effect.fnUntraced(function* (
  deps: EngineDeps,
  state: RequestState,
  scope: Scope.Scope,
  limits: StreamSpec,
  cut: Candidate,
  sent: string
) {
  const candidates = continuationCandidates(state, cut)
  const now = yield* Clock.currentTimeMillis
  if (candidates.length === 0 || now >= state.deadlineAt || state.calls >= deps.config.retry.maxAttempts) {
    return Option.none()
  }
  const request = continuationRequest(state, prefillOf(sent).prefill)
  // A hedge of a continuation starts the next continuation candidate, never one without prefill.
  const attempt = attemptStream(scope, limits, candidates)
  // One drive per candidate, so a request-scoped failure of one (a rejected prefill) is not the
  // end of the continuation: the next candidate is asked.
  const first = drive(deps, state, request, [candidates[0]!], attempt)
  const tried = candidates
    .slice(1)
    .reduce<Effect.Effect<Committed, AttemptError>>(
      (acc, c) => Effect.catch(acc, () => drive(deps, state, request, [c], attempt)),
      first
    )
  const meta = state.request.metadata
  return yield* tried.pipe(
    Effect.map(Option.some),
    Effect.catch(() => Effect.succeed(Option.none<Committed>())),
    Effect.timeoutOrElse({
      duration: Duration.millis(Math.max(0, state.deadlineAt - now)),
      orElse: () => Effect.succeed(Option.none<Committed>())
    }),
    Effect.provideService(RequestContext, {
      requestId: state.requestId,
      route: state.route,
      startedAt: state.startedAt,
      deadlineAt: state.deadlineAt,
      ...(meta?.workspaceId !== undefined ? { workspaceId: meta.workspaceId } : {}),
      ...(meta?.pipelineRunId !== undefined ? { pipelineRunId: meta.pipelineRunId } : {}),
      ...(meta?.stage !== undefined ? { stage: meta.stage } : {})
    })
  )
})
