/**
 * Drives a request through its plan: an `ExecutionPlan` with one step per candidate, each step's
 * `Schedule` asking the pure decision table (`Decision.ts`) what follows a failure — retry the
 * same target (after a backoff, or with another key), or let a later step run — and performing
 * the side effects around the answer (events, the retry budget, the retry count). When every
 * candidate's keys are cooling, a second schedule waits for the earliest key and runs the plan
 * again. No hand-written retry or failover loop.
 */
import type { CompletionRequest } from "@am/core"
import { Cause, Clock, Context, Duration, Effect, ExecutionPlan, type Pull, Random, Schedule } from "effect"
import { backoffDelay } from "../Backoff.ts"
import * as Decision from "../Decision.ts"
import type { Attempt } from "./Attempt.ts"
import { type EngineDeps, publish } from "./Deps.ts"
import type { Candidate } from "./Plan.ts"
import { type AttemptError, type RequestState, Target } from "./RequestState.ts"

const targetOf = (c: Candidate): Decision.Target => ({
  index: c.index,
  provider: c.provider.id,
  contextWindow: c.model.contextWindow
})

const failureOf = (e: AttemptError): Decision.Failure =>
  e._tag === "CallFailed"
    ? {
        _tag: "CallFailed",
        scope: e.classification.scope,
        class: e.classification.class,
        retryAfterMs: e.failure.retryAfterMs ?? e.classification.retryAfterMs
      }
    : { _tag: e._tag }

/** Reads the shared retry budget; publishes when it says no. */
const budgetAllows = (deps: EngineDeps, state: RequestState, provider: string) =>
  Effect.flatMap(deps.budget.canRetry(provider), (ok) =>
    ok
      ? Effect.succeed(true)
      : Effect.flatMap(deps.budget.tokens(provider), (tokens) =>
          Effect.as(
            publish(deps, { topic: "retry.budget.exhausted", requestId: state.requestId, provider, tokens }),
            false
          )
        )
  )

/** The table's answer for the target that just failed, with the inputs only effects can read. */
const decideFor = Effect.fnUntraced(function* (
  deps: EngineDeps,
  state: RequestState,
  c: Candidate,
  e: AttemptError,
  now: number
) {
  const retry = deps.config.retry
  const failure = failureOf(e)
  const providerScoped = failure._tag === "CallFailed" && failure.scope === "provider"
  const retriesMade = state.providerRetries.get(c.index) ?? 0
  // The backoff sample and the budget are only read when the table can use them.
  const u = providerScoped && retry.jitter ? yield* Random.next : 1
  const delayMs = providerScoped ? backoffDelay(retry, retriesMade, u, failure.retryAfterMs) : 0
  const policy = {
    maxAttempts: retry.maxAttempts,
    providerRetries: retry.providerRetries,
    maxBackoffMs: retry.maxMs,
    contentPolicy: deps.config.mitigation.contentPolicy
  }
  const input = {
    failure,
    failed: targetOf(c),
    calls: state.calls,
    now,
    deadlineAt: state.deadlineAt,
    retriesMade,
    delayMs,
    revisiting: state.revisiting
  }
  const hopeful = Decision.decide(policy, { ...input, budgetAllows: true })
  // The shared budget is read only when it decides: a retry the table would otherwise make.
  const decision =
    hopeful._tag === "RetrySame" && !(yield* budgetAllows(deps, state, c.provider.id))
      ? Decision.decide(policy, { ...input, budgetAllows: false })
      : hopeful
  if (decision._tag === "NextProvider" && decision.reason === "silent") {
    // Counted as one of its retries, so the revisit after the others stays within them.
    state.providerRetries.set(c.index, retriesMade + 1)
    state.silent.add(c.index)
  }
  if (decision._tag === "RetrySame") {
    state.providerRetries.set(c.index, retriesMade + 1)
    yield* publish(deps, {
      topic: "retry.scheduled",
      requestId: state.requestId,
      provider: c.provider.id,
      model: c.model.name,
      attempt: state.calls + 1,
      delayMs: decision.delayMs,
      reason: failure._tag === "CallFailed" ? failure.class : "unknown"
    })
  }
  state.decision = decision
  return decision
})

/** Whether a later step's candidate may run after the failure `e` (decided at its own step). */
const admitsLater = Effect.fnUntraced(function* (
  deps: EngineDeps,
  state: RequestState,
  c: Candidate,
  e: AttemptError,
  now: number
) {
  const decision = state.decision
  if (decision === undefined) return false
  const failed = targetOf(e.candidate)
  const candidate = targetOf(c)
  const retry = deps.config.retry
  const context = { calls: state.calls, maxAttempts: retry.maxAttempts, now, deadlineAt: state.deadlineAt }
  const open = Decision.admits(decision, failed, candidate, { ...context, budgetAllows: true })
  if (!open || !Decision.needsBudget(decision, failed, candidate)) return open
  return Decision.admits(decision, failed, candidate, {
    ...context,
    budgetAllows: yield* budgetAllows(deps, state, c.provider.id)
  })
})

/** The schedule of the plan step serving `c`: runs it (again) while the decision table says so. */
const stepSchedule = (deps: EngineDeps, state: RequestState, c: Candidate) =>
  Schedule.fromStep(
    Effect.succeed(
      (now: number, e: AttemptError): Pull.Pull<[Decision.Decision | undefined, Duration.Duration], never, unknown> =>
        e.candidate.index === c.index
          ? Effect.flatMap(decideFor(deps, state, c, e, now), (d) =>
              Decision.staysOnTarget(d)
                ? Effect.succeed([d, Duration.millis(d._tag === "RetrySame" ? d.delayMs : 0)])
                : Cause.done(d)
            )
          : Effect.flatMap(admitsLater(deps, state, c, e, now), (ok) =>
              ok ? Effect.succeed([state.decision, Duration.zero]) : Cause.done(state.decision)
            )
    )
  )

/**
 * `effect`, except that its first run fails with `error` at once: lets a plan that is only built
 * after a first failure start from that failure instead of repeating the call.
 */
const resumeFrom = <A, E, R>(error: E, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
  let pending = true
  return Effect.suspend(() => {
    if (!pending) return effect
    pending = false
    return Effect.fail(error)
  })
}

const runPlan = <B>(
  deps: EngineDeps,
  state: RequestState,
  request: CompletionRequest,
  candidates: ReadonlyArray<Candidate>,
  attemptOnce: Attempt<B>
): Effect.Effect<B, AttemptError> =>
  Effect.suspend(() => {
    state.earliestKeyAt = undefined
    state.decision = undefined
    // The happy path skips the plan machinery: the first attempt runs on its own, and only a
    // failure builds the ExecutionPlan, whose first step resumes from that failure.
    return attemptOnce(deps, state, request).pipe(
      Effect.provideService(Target, candidates[0]!),
      Effect.catch((first) => {
        const steps = candidates.map((c) => ({
          provide: Context.make(Target, c),
          schedule: stepSchedule(deps, state, c)
        }))
        const plan = ExecutionPlan.make(...(steps as [(typeof steps)[number], ...Array<(typeof steps)[number]>]))
        return Effect.withExecutionPlan(resumeFrom(first, attemptOnce(deps, state, request)), plan)
      })
    )
  })

/**
 * When every candidate's keys are cooling (rate limits) and the deadline allows, wait until
 * the earliest key frees up and run the plan again — after, never instead of, failing over.
 */
const waitForKeys = (deps: EngineDeps, state: RequestState) =>
  Schedule.forever.pipe(
    Schedule.setInputType<AttemptError>(),
    Schedule.modifyDelay(() =>
      Effect.map(Clock.currentTimeMillis, (now) => Duration.millis(Math.max(0, (state.earliestKeyAt ?? now) - now)))
    ),
    Schedule.while(({ input, duration }) =>
      Effect.map(
        Clock.currentTimeMillis,
        (now) =>
          deps.config.retry.waitForKeys &&
          input._tag === "KeysExhausted" &&
          state.earliestKeyAt !== undefined &&
          state.calls < deps.config.retry.maxAttempts &&
          now + Duration.toMillis(duration) < state.deadlineAt
      )
    )
  )

/** Runs the plan, waiting for a cooling key when nothing else is left. */
export const drive = <B>(
  deps: EngineDeps,
  state: RequestState,
  request: CompletionRequest,
  candidates: ReadonlyArray<Candidate>,
  attemptOnce: Attempt<B>
): Effect.Effect<B, AttemptError> => {
  if (state.candidates === undefined) state.candidates = candidates
  const run = runPlan(deps, state, request, candidates, attemptOnce).pipe(
    Effect.catch((e) => revisitSilent(deps, state, request, candidates, attemptOnce, e))
  )
  return run.pipe(Effect.catch((e) => Effect.retry(resumeFrom(e, run), waitForKeys(deps, state))))
}

/**
 * After the plan failed: the candidates it left on silence (timeouts) run once more, in plan
 * order, if attempts and the deadline allow — the same provider is retried only after the others.
 */
const revisitSilent = <B>(
  deps: EngineDeps,
  state: RequestState,
  request: CompletionRequest,
  candidates: ReadonlyArray<Candidate>,
  attemptOnce: Attempt<B>,
  error: AttemptError
): Effect.Effect<B, AttemptError> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => {
    const silent = candidates.filter((c) => state.silent.has(c.index))
    state.silent.clear()
    if (
      state.revisiting ||
      silent.length === 0 ||
      state.calls >= deps.config.retry.maxAttempts ||
      now >= state.deadlineAt ||
      // A stop (request-scoped failure, content, attempts, deadline) ends the request as before.
      state.decision?._tag === "Stop"
    ) {
      return Effect.fail(error)
    }
    state.revisiting = true
    return runPlan(deps, state, request, silent, attemptOnce).pipe(
      Effect.ensuring(Effect.sync(() => (state.revisiting = false)))
    )
  })
