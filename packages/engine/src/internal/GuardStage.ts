/**
 * The guard stage, around the plan: the input guard after admit (values redacted into the
 * request's vault, the firewall's verdict, a refusal before any provider call), and after the
 * answer its output contract (one repair attempt naming the issues, counted against the attempt
 * budget and the deadline and recorded as its own attempt), restoration, sanitisation and the
 * answer's size limit. What the guard does is the `RequestGuard`'s (an interface: the engine
 * never depends on the package that implements it); this file decides when, and what the
 * request's trail, events and errors say about it — never a value.
 */
import {
  type ChatMessage,
  type Completion,
  contentText,
  type GuardedInput,
  type GuardSession,
  type GuardVerdict,
  noopRequestGuard,
  type OutputCheck,
  type OutputContractCheck,
  type OutputSpec,
  type RequestGuardShape
} from "@am/core"
import { Clock, Duration, Effect } from "effect"
import { EngineError, type OutputIssue, type Resilience } from "../EngineError.ts"
import type { EngineCompletion } from "../EngineTypes.ts"
import { fail, succeed } from "./Answer.ts"
import { attemptComplete } from "./Attempt.ts"
import { type EngineDeps, publish } from "./Deps.ts"
import { drive } from "./Drive.ts"
import { candidatesFor } from "./Plan.ts"
import type { RequestState } from "./RequestState.ts"

/** The guard an engine runs (the no-op guard when none is provided). */
export const guardOf = (deps: EngineDeps): RequestGuardShape => deps.guard ?? noopRequestGuard

/** The output contract a request carries: the caller's schema, else its `responseFormat` (not `text`). */
export const outputSpecOf = (state: RequestState, schema: OutputSpec | undefined): OutputSpec | undefined => {
  if (schema !== undefined) return schema
  const format = state.request.responseFormat
  return format === undefined || format.type === "text" ? undefined : { _tag: "ResponseFormat", format }
}

/**
 * What the audit trail of a guarded request may keep: its messages are read (and masked) only
 * when a recorder reads them. A class, not an object literal with a getter: V8 gives each such
 * literal a map of its own in old space, which kept the guard's whole outcome alive through the
 * next scavenge.
 */
class GuardAudit {
  readonly mask: (text: string) => string
  guard: GuardVerdict
  readonly #input: GuardedInput
  constructor(input: GuardedInput) {
    this.#input = input
    this.mask = input.session.mask
    this.guard = input.verdict
  }
  get messages(): ReadonlyArray<ChatMessage> {
    return this.#input.audit
  }
}

/**
 * The input guard: redacts the request (the plan sends `state.request`), publishes the verdicts,
 * and refuses with `guard_blocked` before any provider call. `undefined` when no input guard runs.
 */
export const guardInput = (
  deps: EngineDeps,
  state: RequestState
): Effect.Effect<GuardSession | undefined, EngineError> => {
  const guard = guardOf(deps)
  if (!guard.enabled) return Effect.succeed(undefined)
  // One effect for the stage: the guard's pure work, then its events (one publish each, chained,
  // no iterator), then the refusal if any. The audit's messages are read only when recorded.
  return Effect.suspend(() => {
    const g = guard.protect(state.request)
    const { requestId } = state
    state.audit = new GuardAudit(g)
    if (g.messages !== state.request.messages) {
      state.request = { ...state.request, messages: g.messages as typeof state.request.messages }
    }
    let events: Effect.Effect<void> | undefined
    for (const e of g.events) {
      const one = publish(deps, { ...e, requestId } as never)
      events = events === undefined ? one : Effect.andThen(events, one)
    }
    const refusal = g.refusal
    if (refusal === undefined) return events === undefined ? Effect.succeed(g.session) : Effect.as(events, g.session)
    return Effect.andThen(
      events ?? Effect.void,
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.andThen(
          publish(deps, {
            topic: "request.failed",
            requestId,
            code: "guard_blocked",
            attempts: 0,
            latencyMs: now - state.startedAt
          }),
          Effect.fail(
            new EngineError({
              code: "guard_blocked",
              message: refusal.message,
              requestId,
              attempts: [],
              guard: {
                reason: refusal.reason,
                rule: refusal.rule,
                score: refusal.score,
                ...(refusal.entity !== undefined ? { entity: refusal.entity } : {})
              }
            })
          )
        )
      )
    )
  })
}

/** The error a caller, a log or the ledger may see: provider messages masked (keys, PII, held values). */
export const scrubError = (deps: EngineDeps, state: RequestState, e: EngineError): EngineError => {
  const guard = guardOf(deps)
  if (!guard.enabled) return e
  const mask = state.audit?.mask ?? guard.scrub
  return new EngineError({
    ...e,
    message: mask(e.message),
    attempts: e.attempts.map((a) => (a.message === undefined ? a : { ...a, message: mask(a.message) })),
    ...(e.issues !== undefined
      ? { issues: e.issues.map((i) => ({ path: mask(i.path), message: mask(i.message) })) }
      : {})
  })
}

// Output verdicts of requests without an input guard (no audit record to keep them in).
const outputVerdicts = new WeakMap<RequestState, GuardVerdict>()

/** The output verdicts of a request without an input guard, for its record (`undefined`: none). */
export const outputVerdictOf = (state: RequestState): GuardVerdict | undefined => outputVerdicts.get(state)

export const verdictOf = (state: RequestState): GuardVerdict => state.audit?.guard ?? outputVerdicts.get(state) ?? {}

export const setVerdict = (state: RequestState, patch: GuardVerdict) => {
  // In place: the audit's messages are a getter a spread would run.
  if (state.audit !== undefined) state.audit.guard = { ...state.audit.guard, ...patch }
  else outputVerdicts.set(state, { ...outputVerdicts.get(state), ...patch })
}

const issuesOf = (r: OutputCheck): ReadonlyArray<OutputIssue> => (r._tag === "Invalid" ? r.issues : [])

/** Publishes `guard.output.checked` for one check (paths only, masked). */
const checked = (
  deps: EngineDeps,
  state: RequestState,
  contract: OutputContractCheck,
  r: OutputCheck,
  repair: boolean,
  mask: (text: string, max?: number) => string
) =>
  publish(deps, {
    topic: "guard.output.checked",
    requestId: state.requestId,
    contract: contract.kind,
    result: r._tag === "Valid" ? (repair ? "repaired" : "valid") : repair ? "failed" : "invalid",
    attempt: state.calls,
    issues: issuesOf(r).length,
    paths: issuesOf(r)
      .slice(0, 10)
      .map((i) => mask(i.path, 100))
  })

const outputInvalid = (state: RequestState, issues: ReadonlyArray<OutputIssue>, mask: (t: string) => string) => {
  const clean = issues.slice(0, 20).map((i) => ({ path: mask(i.path), message: mask(i.message) }))
  const first = clean[0]
  return new EngineError({
    code: "output_invalid",
    message: `the answer does not satisfy the output contract${first === undefined ? "" : `: ${first.path === "" ? "" : `${first.path}: `}${first.message}`}${clean.length > 1 ? ` (+${clean.length - 1} more)` : ""}`,
    requestId: state.requestId,
    attempts: state.attempts.slice(),
    issues: clean
  })
}

/** The repair attempt: the plan once more with the repair instruction, within the deadline and the attempt budget. */
const repairOnce: (
  deps: EngineDeps,
  state: RequestState,
  deadlineMs: number,
  contract: OutputContractCheck,
  answer: string,
  issues: ReadonlyArray<OutputIssue>
) => Effect.Effect<readonly [Completion, Resilience], EngineError> = Effect.fnUntraced(function* (
  deps: EngineDeps,
  state: RequestState,
  deadlineMs: number,
  contract: OutputContractCheck,
  answer: string,
  issues: ReadonlyArray<OutputIssue>
) {
  const messages = guardOf(deps).repair(state.request.messages, answer, issues, contract)
  const request = { ...state.request, messages: messages as typeof state.request.messages }
  state.finalMessages = messages
  const candidates = yield* candidatesFor(deps, state, request, {})
  const now = yield* Clock.currentTimeMillis
  const completion = yield* drive(deps, state, request, candidates, attemptComplete).pipe(
    Effect.mapError((e) => ({ e })),
    Effect.timeoutOrElse({
      duration: Duration.millis(Math.max(0, state.deadlineAt - now)),
      orElse: () => Effect.fail({ e: "deadline" as const })
    }),
    Effect.catch(({ e }) => fail(deps, state, deadlineMs, e))
  )
  return [completion, yield* succeed(state)] as const
})

/**
 * The answer's guards: contract (with one repair), restoration, sanitisation and size limit.
 * `completion` is the provider's answer (placeholders, not values).
 */
export const guardAnswer = (
  deps: EngineDeps,
  state: RequestState,
  deadlineMs: number,
  session: GuardSession | undefined,
  spec: OutputSpec | undefined,
  answered: readonly [Completion, Resilience]
): Effect.Effect<EngineCompletion, EngineError> => {
  const guard = guardOf(deps)
  // No contract: the answer restored and limited (configured keys masked) in place, no effect of
  // its own — unless sanitisation removed something or the size limit applies (events, a cut).
  if (spec === undefined) {
    const [completion, resilience] = answered
    let message = session === undefined ? completion.message : session.restoreMessage(completion.message)
    if (guard.limitsOutput && typeof message.content === "string") {
      const l = guard.limit(message.content)
      if (l.removed > 0 || l.truncated || l.tooLarge !== undefined) {
        return guardChecked(deps, state, deadlineMs, session, spec, answered)
      }
      if (l.text !== message.content) message = { ...message, content: l.text }
    }
    return Effect.succeed({
      ...completion,
      message,
      resilience: session === undefined ? resilience : { ...resilience, guard: verdictOf(state) }
    } satisfies EngineCompletion)
  }
  return guardChecked(deps, state, deadlineMs, session, spec, answered)
}

const guardChecked: (
  deps: EngineDeps,
  state: RequestState,
  deadlineMs: number,
  session: GuardSession | undefined,
  spec: OutputSpec | undefined,
  answered: readonly [Completion, Resilience]
) => Effect.Effect<EngineCompletion, EngineError> = Effect.fnUntraced(function* (
  deps: EngineDeps,
  state: RequestState,
  deadlineMs: number,
  session: GuardSession | undefined,
  spec: OutputSpec | undefined,
  answered: readonly [Completion, Resilience]
) {
  const guard = guardOf(deps)
  const contract = spec === undefined ? undefined : guard.contract(spec)
  const mask = session?.mask ?? ((t: string, max?: number) => guard.scrub(max === undefined ? t : t.slice(0, max)))
  let [completion, resilience] = answered
  let message = session === undefined ? completion.message : session.restoreMessage(completion.message)
  let output: unknown
  let hasOutput = false
  if (contract !== undefined) {
    let r = yield* contract.check(contentText(message.content))
    yield* checked(deps, state, contract, r, false, mask)
    if (r._tag === "Invalid") {
      const retry = deps.config.retry
      const now = yield* Clock.currentTimeMillis
      if (state.calls >= retry.maxAttempts || now >= state.deadlineAt) {
        setVerdict(state, { output: "failed", outputIssues: r.issues.length })
        yield* publishFailed(deps, state, "output_invalid")
        return yield* outputInvalid(state, r.issues, mask)
      }
      ;[completion, resilience] = yield* repairOnce(
        deps,
        state,
        deadlineMs,
        contract,
        contentText(completion.message.content),
        r.issues
      )
      message = session === undefined ? completion.message : session.restoreMessage(completion.message)
      r = yield* contract.check(contentText(message.content))
      yield* checked(deps, state, contract, r, true, mask)
      if (r._tag === "Invalid") {
        setVerdict(state, { output: "failed", outputIssues: r.issues.length })
        yield* publishFailed(deps, state, "output_invalid")
        return yield* outputInvalid(state, r.issues, mask)
      }
      setVerdict(state, { output: "repaired", outputIssues: 0 })
    } else setVerdict(state, { output: "valid", outputIssues: 0 })
    output = r.value
    hasOutput = true
  }
  let finishReason = completion.finishReason
  if (guard.limitsOutput && typeof message.content === "string") {
    const l = guard.limit(message.content)
    if (l.removed > 0 || l.truncated || l.tooLarge !== undefined) {
      yield* publish(deps, {
        topic: "guard.output.limited",
        requestId: state.requestId,
        sanitized: l.removed > 0,
        removed: l.removed,
        truncated: l.truncated || l.tooLarge !== undefined,
        ...(l.tooLarge !== undefined ? { limit: l.tooLarge.limit } : {})
      })
      setVerdict(state, { sanitized: l.removed > 0, truncated: l.truncated })
    }
    if (l.tooLarge !== undefined) {
      yield* publishFailed(deps, state, "output_invalid")
      return yield* outputInvalid(
        state,
        [
          {
            path: "",
            message: `the answer has ${l.tooLarge.size} characters, above the limit of ${l.tooLarge.limit}`
          }
        ],
        mask
      )
    }
    message = { ...message, content: l.text }
    if (l.truncated) finishReason = "length"
  }
  const verdict = verdictOf(state)
  const guarded = session !== undefined || contract !== undefined
  return {
    ...completion,
    message,
    finishReason,
    resilience: guarded ? { ...resilience, guard: verdict } : resilience,
    ...(hasOutput ? { output } : {})
  } satisfies EngineCompletion
})

const publishFailed = (deps: EngineDeps, state: RequestState, code: EngineError["code"]) =>
  Effect.flatMap(Clock.currentTimeMillis, (now) =>
    publish(deps, {
      topic: "request.failed",
      requestId: state.requestId,
      code,
      attempts: state.calls,
      latencyMs: now - state.startedAt
    })
  )
