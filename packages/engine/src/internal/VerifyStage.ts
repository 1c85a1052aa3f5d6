/**
 * The verify stage (self-verification; off by default, per route): after the plan answered a
 * `complete` request, a verifier model judges the answer against the request and its sources. A
 * verdict below the route's threshold retries once on the next candidate of the plan (counted
 * against the attempt budget and the deadline); the retry's answer is judged too, and the better
 * of the two is returned. What the verifier, its prompt and its parser are is the
 * `RequestGuard`'s (`verifierFor`); this file decides when and what the trail says.
 *
 * - The verifier is a call like any other — a leased key, the candidate's breakers, settled into
 *   the keyring and the retry budget, one attempt record (`verifier: true`) whose usage is billed
 *   in the ledger entry and the `llm_runs` row — but it never fails the request: down, refused,
 *   cut by the deadline or answering without a verdict, the answer passes through flagged
 *   (`guard.verify: "unavailable"`). No retry is made on a missing verdict.
 * - It reads the request as sent (redacted: placeholders, never the values) and the answer as the
 *   provider gave it, before restoration.
 * - An answer without text (tool calls only) is a step of a tool loop, not judged.
 * - A rejected answer with no next candidate, attempt or time left — or whose retry failed or
 *   scored lower — is returned flagged (`guard.verify: "fail"`); a verifier is advisory.
 * - Streams are not verified: a streamed answer reaches the client before it could be judged, so
 *   `Engine.stream` on a verified route fails at start (`refuseStream`, field `stream`) rather
 *   than accepting the route's verification and skipping it.
 *
 * When no route is verified the engine never enters this stage (`verifierOf` is a property read).
 */
import {
  type AnswerVerifier,
  type Completion,
  type CompletionRequest,
  contentText,
  RequestContext,
  type VerifierJudgement
} from "@am/core"
import type { ResolvedModel } from "@am/router"
import { Clock, Duration, Effect, Exit, Option } from "effect"
import { DEFAULT_CONTEXT_WINDOW } from "../EngineConfig.ts"
import { EngineError, type Resilience } from "../EngineError.ts"
import { succeed } from "./Answer.ts"
import { attemptComplete } from "./Attempt.ts"
import { type EngineDeps, publish } from "./Deps.ts"
import { drive } from "./Drive.ts"
import { setVerdict, verdictOf } from "./GuardStage.ts"
import type { Candidate } from "./Plan.ts"
import { finishRequest } from "./Record.ts"
import { RequestState, Target } from "./RequestState.ts"

/** The verifier of this request's route, or `undefined` when the route is not verified. */
export const verifierOf = (deps: EngineDeps, state: RequestState): AnswerVerifier | undefined =>
  deps.guard?.verifierFor?.(state.route)

// The verifier's candidate, built once per (verifier, engine config). Index -1: never a plan step.
const built = new WeakMap<AnswerVerifier, Candidate>()
const verifierCandidate = (deps: EngineDeps, v: AnswerVerifier): Candidate | undefined => {
  const cached = built.get(v)
  if (cached !== undefined && deps.config.providers.get(v.provider) === cached.provider) return cached
  const provider = deps.config.providers.get(v.provider)
  if (provider === undefined) return undefined
  const spec = provider.models.get(v.model)
  const model: ResolvedModel = {
    name: v.model,
    contextWindow: spec?.contextWindow ?? DEFAULT_CONTEXT_WINDOW,
    capabilities: spec?.capabilities ?? new Set(),
    known: false
  }
  const c: Candidate = { index: -1, provider, model }
  built.set(v, c)
  return c
}

// The verifier's answer is one short JSON object; the cap bounds what a judgement can cost.
const VERIFIER_MAX_TOKENS = 512

const contextOf = (state: RequestState) => {
  const meta = state.request.metadata
  return {
    requestId: state.requestId,
    route: state.route,
    startedAt: state.startedAt,
    deadlineAt: state.deadlineAt,
    ...(meta?.workspaceId !== undefined ? { workspaceId: meta.workspaceId } : {}),
    ...(meta?.pipelineRunId !== undefined ? { pipelineRunId: meta.pipelineRunId } : {}),
    ...(meta?.stage !== undefined ? { stage: meta.stage } : {})
  }
}

/**
 * One judgement: the verifier called on its own bookkeeping (so the request's last candidate, key
 * and plan decisions stay the answer's), its attempts then joined to the request's trail.
 */
const judge = (
  deps: EngineDeps,
  state: RequestState,
  v: AnswerVerifier,
  answer: string
): Effect.Effect<VerifierJudgement | undefined> => {
  const c = verifierCandidate(deps, v)
  if (c === undefined) return Effect.succeed(undefined)
  const request: CompletionRequest = {
    messages: v.messages(state.request.messages, answer) as CompletionRequest["messages"],
    maxTokens: VERIFIER_MAX_TOKENS
  }
  const own = new RequestState(state.requestId, state.startedAt, state.deadlineAt, request, state.route)
  own.calls = state.calls
  return attemptComplete(deps, own, request).pipe(
    Effect.provideService(Target, c),
    Effect.option,
    Effect.map((reply) => {
      state.calls = own.calls
      for (const a of own.attempts) state.attempts.push({ ...a, verifier: true })
      return Option.isSome(reply) ? v.judge(contentText(reply.value.message.content)) : undefined
    })
  )
}

const judged = (
  deps: EngineDeps,
  state: RequestState,
  v: AnswerVerifier,
  j: VerifierJudgement | undefined,
  action: "accept" | "retry"
) =>
  publish(deps, {
    topic: "guard.verify.judged",
    requestId: state.requestId,
    verdict: j === undefined ? "none" : j.verdict,
    ...(j !== undefined ? { score: j.score } : {}),
    threshold: v.threshold,
    action
  })

const rejects = (j: VerifierJudgement, threshold: number) => j.verdict === "fail" || j.score < threshold

/** The verdict fields of the answer returned. */
const verdict = (j: VerifierJudgement | undefined, threshold: number, retried: boolean) => ({
  verify: j === undefined ? ("unavailable" as const) : rejects(j, threshold) ? ("fail" as const) : ("pass" as const),
  ...(j !== undefined ? { verifyScore: j.score } : {}),
  ...(retried ? { verifyRetried: true } : {})
})

/** The answer's text, or `undefined` when it has none to judge (tool calls only). */
const textOf = (completion: Completion): string | undefined => {
  const text = contentText(completion.message.content)
  return text.trim() === "" ? undefined : text
}

/**
 * The verified answer and its trail (`resilience.guard` carries the verdict). Never fails: a
 * verifier or a retry that cannot serve leaves the first answer, flagged.
 */
export const verifiedAnswer = (
  deps: EngineDeps,
  state: RequestState,
  request: CompletionRequest,
  candidates: ReadonlyArray<Candidate>,
  v: AnswerVerifier,
  first: Completion
): Effect.Effect<readonly [Completion, Resilience]> =>
  Effect.gen(function* () {
    const answered = () => Effect.map(succeed(state), (r) => ({ ...r, guard: verdictOf(state) }))
    const text = textOf(first)
    if (text === undefined) return [first, yield* succeed(state)] as const
    const j1 = yield* judge(deps, state, v, text)
    const after = state.last!.candidate
    const next = candidates.filter((c) => c.index > after.index)
    const now = yield* Clock.currentTimeMillis
    const retry =
      j1 !== undefined &&
      rejects(j1, v.threshold) &&
      next.length > 0 &&
      state.calls < deps.config.retry.maxAttempts &&
      now < state.deadlineAt
    yield* judged(deps, state, v, j1, retry ? "retry" : "accept")
    if (!retry || j1 === undefined) {
      setVerdict(state, verdict(j1, v.threshold, false))
      return [first, yield* answered()] as const
    }
    // The retry sends what the first answer was given (the rewritten prompt after a mitigation).
    const sent =
      state.mitigated && state.finalMessages !== undefined
        ? { ...request, messages: state.finalMessages as CompletionRequest["messages"] }
        : request
    const kept = { last: state.last, lastKey: state.lastKey }
    const second = yield* drive(deps, state, sent, next, attemptComplete).pipe(
      Effect.timeoutOrElse({
        duration: Duration.millis(Math.max(0, state.deadlineAt - now)),
        orElse: () => Effect.fail("deadline" as const)
      }),
      Effect.exit
    )
    const keepFirst = () => {
      state.last = kept.last
      state.lastKey = kept.lastKey
      setVerdict(state, verdict(j1, v.threshold, false))
      return Effect.map(answered(), (r) => [first, r] as const)
    }
    if (Exit.isFailure(second)) return yield* keepFirst()
    const text2 = textOf(second.value)
    const j2 = text2 === undefined ? undefined : yield* judge(deps, state, v, text2)
    if (text2 !== undefined) yield* judged(deps, state, v, j2, "accept")
    // The retry's answer unless the verifier scored it below the first.
    if (j2 !== undefined && j2.score < j1.score) return yield* keepFirst()
    setVerdict(state, verdict(j2, v.threshold, true))
    return [second.value, yield* answered()] as const
  }).pipe(Effect.provideService(RequestContext, contextOf(state)))

/**
 * `Engine.stream` on a verified route: refused before any call, naming the field — a streamed
 * answer reaches the client before a verifier could judge it.
 */
export const refuseStream: (deps: EngineDeps, state: RequestState) => Effect.Effect<never, EngineError> =
  Effect.fnUntraced(function* (deps: EngineDeps, state: RequestState) {
    const error = new EngineError({
      code: "invalid_request",
      message: `route "${state.route}" verifies its answers (guards.verify): a streamed answer is sent before it could be judged — request it without stream`,
      requestId: state.requestId,
      attempts: [],
      field: "stream"
    })
    yield* publish(deps, {
      topic: "request.failed",
      requestId: state.requestId,
      code: error.code,
      attempts: 0,
      latencyMs: (yield* Clock.currentTimeMillis) - state.startedAt
    })
    yield* finishRequest(deps, state, { outcome: "FAILURE", failureCode: error.code })
    return yield* Effect.fail(error)
  })
