/**
 * The orchestrator: `Engine.complete(request)` runs a request through its route's
 * (provider, model) candidates as an `ExecutionPlan`, one step per candidate. What happens
 * after a failure is decided by the failure's classification scope (DESIGN.md):
 *
 * - `key` → same step again: the keyring leases another key (the failing one was penalised);
 * - `model` → next step (context length: only candidates with a larger window);
 * - `provider` → same step after a jittered backoff (Retry-After as floor) while the provider
 *   retry allowance and the shared retry budget last, then the next provider;
 * - `request` → stop; `content` → stop, then mitigation (rewrite once and run the plan again).
 *
 * Each step's `Schedule` carries the decision (`Schedule.modifyDelay` for the delay,
 * `Schedule.while` for whether to go on); there is no hand-written retry or failover loop.
 * One deadline bounds the whole request, one maximum bounds its calls, and a retry budget
 * shared by all requests bounds retries under an outage.
 *
 * @example
 * ```ts
 * import { Engine } from "@am/engine"
 * import { Effect } from "effect"
 * const program = Engine.use((engine) =>
 *   engine.complete({ route: "default", messages: [{ role: "user", content: "Hello" }] })
 * )
 * ```
 * @since 0.1.0
 */
import { Breakers, type BreakerSnapshot } from "@am/breaker"
import { Classifier, contentFailureOf } from "@am/classifier"
import {
  type Classification,
  type Completion,
  type CompletionRequest,
  CompletionRequest as CompletionRequestSchema,
  EventBus,
  type EventInput,
  type KeyRef,
  type ProviderFailure,
  ProviderRegistry,
  Ledger,
  Pricing,
  promptSha256,
  RequestContext,
  RequestId,
  RunStore,
  sanitizeMessage
} from "@am/core"
import { Keyring, type KeySnapshot } from "@am/keyring"
import { PromptRewriter } from "@am/rewriter"
import {
  Clock,
  Context,
  Duration,
  Effect,
  ExecutionPlan,
  Layer,
  Option,
  Random,
  Redacted,
  Schedule,
  Schema
} from "effect"
import { backoffDelay } from "./Backoff.ts"
import type { EngineConfig } from "./Config.ts"
import { EngineError, type Resilience } from "./EngineError.ts"
import {
  type AttemptError,
  BreakerRejected,
  CallFailed,
  KeysExhausted,
  RequestState,
  Target
} from "./internal/Attempt.ts"
import { toEngineError } from "./internal/Errors.ts"
import { type Candidate, planRoute } from "./internal/Planner.ts"
import { record } from "./internal/Recording.ts"
import { schemaErrorPath } from "./internal/SchemaPath.ts"
import { ModelHealth, type ModelQuarantine } from "./ModelHealth.ts"
import { RetryBudget } from "./RetryBudget.ts"

/** A completion with the `resilience` record of how it was obtained. */
export interface EngineCompletion extends Completion {
  readonly resilience: Resilience
}

/** What operators can read about the engine's live state. Never secrets. */
export interface EngineState {
  readonly breakers: ReadonlyArray<BreakerSnapshot>
  readonly keys: ReadonlyArray<KeySnapshot>
  readonly budget: Readonly<Record<string, number>>
}

export interface EngineShape {
  readonly complete: (request: CompletionRequest) => Effect.Effect<EngineCompletion, EngineError>
  readonly state: Effect.Effect<EngineState>
  readonly config: EngineConfig
}

// Breaker outcome for attempts that never reached the provider (no key): never counted.
const NOT_A_CALL: Classification = {
  class: "unknown",
  scope: "key",
  retryable: false,
  errorType: "no_healthy_key",
  rule: "engine.no_healthy_key"
}

/**
 * `effect`, except that its first run fails with `error` at once: lets a retry or a plan that is
 * only built after a first failure start from that failure instead of repeating the call.
 */
const resumeFrom = <A, E, R>(error: E, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
  let pending = true
  return Effect.suspend(() => {
    if (!pending) return effect
    pending = false
    return Effect.fail(error)
  })
}

const make = Effect.fnUntraced(function* (config: EngineConfig) {
  const registry = yield* ProviderRegistry
  const keyring = yield* Keyring
  const breakers = yield* Breakers
  const budget = yield* RetryBudget
  const bus = yield* EventBus
  const rewriter = yield* PromptRewriter
  const classifier = yield* Classifier
  const modelHealth = yield* ModelHealth
  // Audit and persistence are optional: wired when their layers are provided.
  const ledger = Option.getOrUndefined(yield* Effect.serviceOption(Ledger))
  const runs = Option.getOrUndefined(yield* Effect.serviceOption(RunStore))
  const pricing = Option.getOrUndefined(yield* Effect.serviceOption(Pricing))
  const retry = config.retry
  const providers = new Map(registry.all.map((p) => [p.id, p] as const))

  // Requests in flight, so each event lands in its request's trail for the ledger entry.
  const active = new Map<string, RequestState>()
  const publish = (event: EventInput) => {
    const owner = event.requestId !== undefined ? active.get(event.requestId) : undefined
    return owner === undefined
      ? bus.publish(event)
      : Effect.clockWith((clock) => {
          owner.events.push({ topic: event.topic, at: clock.currentTimeMillisUnsafe() })
          return bus.publish(event)
        })
  }

  const failureFields = (f: ProviderFailure, c: Classification) => {
    const retryAfterMs = f.retryAfterMs ?? c.retryAfterMs
    return {
      ...(f.status !== undefined ? { status: f.status } : {}),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {})
    }
  }

  /** Publishes what changed since the previous attempt: key rotation, model or provider failover. */
  const announce = (state: RequestState, c: Candidate) => {
    const last = state.last
    if (last === undefined || last.error === undefined) return Effect.void
    const reason =
      last.error._tag === "CallFailed"
        ? last.error.classification.class
        : last.error._tag === "KeysExhausted"
          ? "no_healthy_key"
          : "circuit_open"
    if (last.candidate.index === c.index) {
      return last.error._tag === "CallFailed" && last.error.classification.scope === "key"
        ? publish({
            topic: "api.key.rotation",
            requestId: state.requestId,
            provider: c.provider.id,
            model: c.model.name,
            fromKeyId: last.error.key.id,
            reason: last.error.classification.class
          })
        : Effect.void
    }
    return last.candidate.provider.id === c.provider.id
      ? publish({
          topic: "model.failover",
          requestId: state.requestId,
          provider: c.provider.id,
          fromModel: last.candidate.model.name,
          reason
        })
      : publish({
          topic: "provider.failover",
          requestId: state.requestId,
          fromProvider: last.candidate.provider.id,
          reason
        })
  }

  const skip = (state: RequestState, c: Candidate, reason: "circuit_open" | "no_healthy_key", error: AttemptError) =>
    Effect.suspend(() => {
      state.attempts.push({
        provider: c.provider.id,
        model: c.model.name,
        outcome: "skipped",
        skipped: reason,
        latencyMs: 0
      })
      state.last = { candidate: c, error }
      return publish({
        topic: "provider.skipped",
        requestId: state.requestId,
        provider: c.provider.id,
        model: c.model.name,
        reason
      })
    })

  /** Drops candidates whose model the provider said it doesn't have (see `ModelHealth`); records the skips. */
  const dropUnavailable = (
    state: RequestState,
    candidates: ReadonlyArray<Candidate>,
    unavailable: ReadonlyMap<string, ModelQuarantine>
  ) =>
    Effect.gen(function* () {
      const keep: Array<Candidate> = []
      yield* Effect.forEach(candidates, (c) => {
        if (!unavailable.has(`${c.provider.id}/${c.model.name}`)) {
          keep.push({ ...c, index: keep.length })
          return Effect.void
        }
        state.attempts.push({
          provider: c.provider.id,
          model: c.model.name,
          outcome: "skipped",
          skipped: "model_unavailable",
          latencyMs: 0
        })
        return publish({
          topic: "provider.skipped",
          requestId: state.requestId,
          provider: c.provider.id,
          model: c.model.name,
          reason: "model_unavailable"
        })
      })
      return keep
    })

  /** One call: lease a key, call the provider with the time left, classify, record. */
  const call = (state: RequestState, request: CompletionRequest, c: Candidate) =>
    Effect.gen(function* () {
      const key = yield* keyring.lease(c.provider.id, c.model.name).pipe(
        Effect.catchTag("NoHealthyKey", (e) => {
          const error = new KeysExhausted({ candidate: c, availableAt: e.availableAt })
          if (e.availableAt !== undefined) {
            state.earliestKeyAt = Math.min(state.earliestKeyAt ?? Number.POSITIVE_INFINITY, e.availableAt)
          }
          return Effect.andThen(skip(state, c, "no_healthy_key", error), Effect.fail(error))
        })
      )
      yield* announce(state, c)
      state.calls++
      const attempt = state.calls
      const ref: KeyRef = { id: key.id, fingerprint: key.fingerprint }
      const base = {
        requestId: state.requestId,
        provider: c.provider.id,
        model: c.model.name,
        keyId: key.id,
        keyFingerprint: key.fingerprint,
        attempt
      }
      yield* publish({ topic: "api.call.started", ...base })
      const started = yield* Clock.currentTimeMillis
      const timeoutMs = Math.max(1, Math.min(c.provider.timeoutMs, state.deadlineAt - started))
      const provider = providers.get(c.provider.id)!
      return yield* provider.complete({ request, model: c.model.name, key, timeoutMs }).pipe(
        Effect.flatMap((completion) => {
          const refused = contentFailureOf(completion, {
            providerId: c.provider.id,
            keyId: key.id,
            keyFingerprint: key.fingerprint
          })
          return refused === undefined ? Effect.succeed(completion) : Effect.fail(refused)
        }),
        Effect.matchEffect({
          onFailure: (failure) =>
            Effect.gen(function* () {
              const latencyMs = (yield* Clock.currentTimeMillis) - started
              const classification = classifier.classify(failure)
              const error = new CallFailed({ candidate: c, key: ref, failure, classification })
              state.attempts.push({
                provider: c.provider.id,
                model: c.model.name,
                keyId: key.id,
                keyFingerprint: key.fingerprint,
                class: classification.class,
                scope: classification.scope,
                errorType: classification.errorType,
                outcome: "failure",
                latencyMs,
                // Adapters sanitise already; the engine does it again with the key it used, so a
                // third-party adapter that echoes the key cannot leak it into the trail.
                message: sanitizeMessage(failure.message, [Redacted.value(key.secret)]),
                ...failureFields(failure, classification),
                ...(state.mitigated ? { mitigated: true } : {})
              })
              state.last = { candidate: c, error }
              yield* Effect.logWarning("provider call failed").pipe(
                Effect.annotateLogs({
                  requestId: state.requestId,
                  provider: c.provider.id,
                  model: c.model.name,
                  keyId: key.id,
                  keyFingerprint: key.fingerprint,
                  class: classification.class,
                  scope: classification.scope,
                  errorType: classification.errorType,
                  latencyMs
                })
              )
              yield* keyring.report(c.provider.id, c.model.name, key.id, { _tag: "Failure", classification })
              if (classification.retryable && classification.scope === "provider")
                yield* budget.recordFailure(c.provider.id)
              if (classification.class === "model_not_found") {
                yield* modelHealth.markUnavailable(c.provider.id, c.model.name, classification.errorType)
              }
              yield* publish({
                topic: "api.call.failure",
                ...base,
                latencyMs,
                class: classification.class,
                scope: classification.scope,
                errorType: classification.errorType,
                ...failureFields(failure, classification)
              })
              return yield* Effect.fail(error)
            }),
          onSuccess: (completion) =>
            Effect.gen(function* () {
              const latencyMs = (yield* Clock.currentTimeMillis) - started
              state.attempts.push({
                provider: c.provider.id,
                model: c.model.name,
                keyId: key.id,
                keyFingerprint: key.fingerprint,
                outcome: "success",
                latencyMs,
                usage: completion.usage,
                ...(state.mitigated ? { mitigated: true } : {})
              })
              state.last = { candidate: c }
              state.lastKey = ref
              yield* keyring.report(c.provider.id, c.model.name, key.id, { _tag: "Success" })
              yield* budget.recordSuccess(c.provider.id)
              yield* publish({ topic: "api.call.success", ...base, latencyMs, usage: completion.usage })
              return completion
            })
        })
      )
    })

  /** One execution-plan attempt: the candidate's breakers admit it or it is skipped unsent. */
  const attemptOnce = (state: RequestState, request: CompletionRequest) =>
    Effect.flatMap(Effect.service(Target), (c) =>
      breakers
        .run({ provider: c.provider.id, model: c.model.name }, call(state, request, c), (e) =>
          e._tag === "CallFailed" ? e.classification : NOT_A_CALL
        )
        .pipe(
          Effect.catchTag("CircuitOpen", (e) => {
            const error = new BreakerRejected({ candidate: c, retryAfterMs: e.retryAfterMs })
            return Effect.andThen(skip(state, c, "circuit_open", error), Effect.fail(error))
          })
        )
    )

  /** The floor a provider put on the next retry, if any. */
  const retryAfterOf = (e: AttemptError) =>
    e._tag === "CallFailed" ? (e.failure.retryAfterMs ?? e.classification.retryAfterMs) : undefined

  const isProviderRetry = (e: AttemptError, c: Candidate): e is CallFailed =>
    e._tag === "CallFailed" && e.candidate.index === c.index && e.classification.scope === "provider"

  /** The delay before this step's next attempt: backoff only for a provider-scoped retry of the same candidate. */
  const delayFor = (state: RequestState, c: Candidate, e: AttemptError) =>
    isProviderRetry(e, c)
      ? Effect.map(retry.jitter ? Random.next : Effect.succeed(1), (u) =>
          Duration.millis(backoffDelay(retry, state.providerRetries.get(c.index) ?? 0, u, retryAfterOf(e)))
        )
      : Effect.succeed(Duration.zero)

  /** Whether this step runs (again) after `e`: the scope table of DESIGN.md, bounded by attempts, deadline and budget. */
  const decide = (state: RequestState, c: Candidate, e: AttemptError, delayMs: number) =>
    Effect.gen(function* () {
      if (state.calls >= retry.maxAttempts) return false
      const now = yield* Clock.currentTimeMillis
      if (now + delayMs >= state.deadlineAt) return false
      const same = e.candidate.index === c.index
      if (e._tag !== "CallFailed") return !same
      const { scope, class: cls } = e.classification
      switch (scope) {
        case "request":
          return false
        case "content":
          return !same && config.mitigation.contentPolicy === "fallback" && c.provider.id !== e.candidate.provider.id
        case "key":
          return true
        case "model":
          return !same && (cls !== "context_length_exceeded" || c.model.contextWindow > e.candidate.model.contextWindow)
        case "provider": {
          if (!same && c.provider.id === e.candidate.provider.id) return false
          if (same) {
            const made = state.providerRetries.get(c.index) ?? 0
            const floor = retryAfterOf(e) ?? 0
            // A Retry-After beyond the backoff cap means "fail over instead of waiting".
            if (made >= retry.providerRetries || floor > retry.maxMs) return false
          }
          if (!(yield* budget.canRetry(c.provider.id))) {
            yield* publish({
              topic: "retry.budget.exhausted",
              requestId: state.requestId,
              provider: c.provider.id,
              tokens: yield* budget.tokens(c.provider.id)
            })
            return false
          }
          if (same) {
            state.providerRetries.set(c.index, (state.providerRetries.get(c.index) ?? 0) + 1)
            yield* publish({
              topic: "retry.scheduled",
              requestId: state.requestId,
              provider: c.provider.id,
              model: c.model.name,
              attempt: state.calls + 1,
              delayMs,
              reason: cls
            })
          }
          return true
        }
      }
    })

  const stepSchedule = (state: RequestState, c: Candidate) =>
    Schedule.forever.pipe(
      Schedule.setInputType<AttemptError>(),
      Schedule.modifyDelay(({ input }) => delayFor(state, c, input)),
      Schedule.while(({ input, duration }) => decide(state, c, input, Duration.toMillis(duration)))
    )

  const runPlan = (state: RequestState, request: CompletionRequest, candidates: ReadonlyArray<Candidate>) =>
    Effect.suspend(() => {
      state.earliestKeyAt = undefined
      // The happy path skips the plan machinery: the first attempt runs on its own, and only a
      // failure builds the ExecutionPlan, whose first step resumes from that failure.
      return attemptOnce(state, request).pipe(
        Effect.provideService(Target, candidates[0]!),
        Effect.catch((first) => {
          const steps = candidates.map((c) => ({ provide: Context.make(Target, c), schedule: stepSchedule(state, c) }))
          const plan = ExecutionPlan.make(...(steps as [(typeof steps)[number], ...Array<(typeof steps)[number]>]))
          return Effect.withExecutionPlan(resumeFrom(first, attemptOnce(state, request)), plan)
        })
      )
    })

  /**
   * When every candidate's keys are cooling (rate limits) and the deadline allows, wait until
   * the earliest key frees up and run the plan again — after, never instead of, failing over.
   */
  const waitForKeys = (state: RequestState) =>
    Schedule.forever.pipe(
      Schedule.setInputType<AttemptError>(),
      Schedule.modifyDelay(() =>
        Effect.map(Clock.currentTimeMillis, (now) => Duration.millis(Math.max(0, (state.earliestKeyAt ?? now) - now)))
      ),
      Schedule.while(({ input, duration }) =>
        Effect.map(
          Clock.currentTimeMillis,
          (now) =>
            retry.waitForKeys &&
            input._tag === "KeysExhausted" &&
            state.earliestKeyAt !== undefined &&
            state.calls < retry.maxAttempts &&
            now + Duration.toMillis(duration) < state.deadlineAt
        )
      )
    )

  const runWithKeyWait = (state: RequestState, request: CompletionRequest, candidates: ReadonlyArray<Candidate>) => {
    const run = runPlan(state, request, candidates)
    return run.pipe(Effect.catch((e) => Effect.retry(resumeFrom(e, run), waitForKeys(state))))
  }

  const isContent = (e: AttemptError): e is CallFailed =>
    e._tag === "CallFailed" && e.classification.scope === "content"

  /** Content-policy mitigation: rewrite once, run the plan again; never twice, never through the engine. */
  const mitigate = (
    state: RequestState,
    request: CompletionRequest,
    candidates: ReadonlyArray<Candidate>,
    e: CallFailed
  ) =>
    Effect.gen(function* () {
      state.mitigated = true
      yield* publish({
        topic: "prompt.humanization.attempt",
        requestId: state.requestId,
        rewriter: "configured",
        reason: e.classification.errorType
      })
      const rewritten = yield* rewriter
        .rewrite({ messages: request.messages, reason: e.classification.errorType, requestId: state.requestId })
        .pipe(
          Effect.catchTag("RewriteFailed", (rf) =>
            Effect.gen(function* () {
              state.mitigation = {
                attempted: true,
                succeeded: false,
                rewriter: rf.rewriter,
                failure: `${rf.reason}: ${rf.message}`,
                latencyMs: rf.latencyMs
              }
              yield* publish({
                topic: "prompt.humanization.failure",
                requestId: state.requestId,
                rewriter: rf.rewriter,
                latencyMs: rf.latencyMs,
                reason: rf.reason
              })
              return yield* Effect.fail(e)
            })
          )
        )
      state.mitigation = {
        attempted: true,
        succeeded: false,
        rewriter: rewritten.rewriter,
        latencyMs: rewritten.latencyMs
      }
      yield* publish({
        topic: "prompt.humanization.success",
        requestId: state.requestId,
        rewriter: rewritten.rewriter,
        latencyMs: rewritten.latencyMs
      })
      const messages = rewritten.messages as CompletionRequest["messages"]
      state.finalMessages = messages
      return yield* runWithKeyWait(state, { ...request, messages }, candidates)
    })

  const complete = (request: CompletionRequest): Effect.Effect<EngineCompletion, EngineError> =>
    Effect.gen(function* () {
      const startedAt = yield* Clock.currentTimeMillis
      const requestId = RequestId.make()
      const deadlineMs = Math.min(request.deadlineMs ?? retry.deadlineMs, retry.deadlineMs)
      const state = new RequestState(requestId, startedAt, startedAt + deadlineMs)
      const planned = planRoute(config, request)
      const route = planned?.route ?? request.route ?? request.model ?? "default"
      const workspaceId = request.metadata?.workspaceId
      if (runs !== undefined) {
        // With persistence on, every run belongs to a workspace (seed 001 §2.3): fail fast, call nothing.
        if (workspaceId === undefined) {
          return yield* new EngineError({
            code: "invalid_request",
            message: "persistence is on: metadata.workspaceId is required (the workspace contract)",
            requestId,
            attempts: [],
            field: "metadata.workspaceId"
          })
        }
        yield* runs
          .start({
            id: requestId,
            workspaceId,
            ...(request.metadata?.pipelineRunId !== undefined ? { pipelineRunId: request.metadata.pipelineRunId } : {}),
            ...(request.metadata?.stage !== undefined ? { stage: request.metadata.stage } : {}),
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
      }
      if (ledger === undefined && runs === undefined) return yield* body(state, request, planned, route, deadlineMs)
      active.set(requestId, state)
      return yield* body(state, request, planned, route, deadlineMs).pipe(
        Effect.onExit((exit) =>
          Effect.andThen(
            Effect.sync(() => active.delete(requestId)),
            record({ config, bus, ledger, runs, pricing }, state, request, route, exit)
          )
        )
      )
    })

  const body = (
    state: RequestState,
    request: CompletionRequest,
    planned: ReturnType<typeof planRoute>,
    route: string,
    deadlineMs: number
  ): Effect.Effect<EngineCompletion, EngineError> =>
    Effect.gen(function* () {
      const { requestId, startedAt } = state
      yield* publish({
        topic: "request.started",
        requestId,
        route,
        ...(request.metadata?.workspaceId !== undefined ? { workspaceId: request.metadata.workspaceId } : {})
      })
      if (planned === undefined || planned.candidates.length === 0) {
        const why =
          planned === undefined
            ? `no route or model named "${route}"`
            : `no candidate of route "${route}" can serve this request (${planned.excluded.map((x) => `${x.provider}/${x.model}: ${x.reason}`).join(", ")})`
        yield* publish({ topic: "request.failed", requestId, code: "no_route", attempts: 0, latencyMs: 0 })
        return yield* new EngineError({ code: "no_route", message: why, requestId, attempts: [] })
      }
      yield* Effect.forEach(planned.excluded, (x) =>
        publish({ topic: "provider.skipped", requestId, provider: x.provider, model: x.model, reason: x.reason })
      )
      const unavailable = yield* modelHealth.unavailable
      const candidates =
        unavailable.size === 0 ? planned.candidates : yield* dropUnavailable(state, planned.candidates, unavailable)
      if (candidates.length === 0) {
        yield* publish({ topic: "request.failed", requestId, code: "no_route", attempts: 0, latencyMs: 0 })
        return yield* new EngineError({
          code: "no_route",
          message: `every model of route "${route}" is unavailable (${[...unavailable.keys()].join(", ")})`,
          requestId,
          attempts: state.attempts.slice()
        })
      }
      const run = runWithKeyWait(state, request, candidates).pipe(
        Effect.catchIf(
          (e): e is CallFailed => isContent(e) && config.mitigation.contentPolicy === "rewrite" && !state.mitigated,
          (e) => mitigate(state, request, candidates, e)
        ),
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
          ...(request.metadata?.workspaceId !== undefined ? { workspaceId: request.metadata.workspaceId } : {}),
          ...(request.metadata?.pipelineRunId !== undefined ? { pipelineRunId: request.metadata.pipelineRunId } : {}),
          ...(request.metadata?.stage !== undefined ? { stage: request.metadata.stage } : {})
        })
      )
      return yield* run.pipe(
        Effect.matchEffect({
          onFailure: ({ e }) =>
            Effect.gen(function* () {
              const now = yield* Clock.currentTimeMillis
              const error =
                e === "deadline"
                  ? new EngineError({
                      code: "deadline_exceeded",
                      message: `the request's deadline of ${deadlineMs} ms passed after ${state.calls} call(s)`,
                      requestId,
                      attempts: state.attempts.slice(),
                      ...(state.mitigation !== undefined ? { mitigation: state.mitigation } : {})
                    })
                  : toEngineError(state, e, now)
              if (e === "deadline")
                yield* publish({ topic: "deadline.exceeded", requestId, elapsedMs: now - startedAt })
              else if (error.code === "all_providers_failed")
                yield* publish({ topic: "all.providers.failed", requestId, attempts: state.calls })
              yield* publish({
                topic: "request.failed",
                requestId,
                code: error.code,
                attempts: state.calls,
                latencyMs: now - startedAt
              })
              return yield* Effect.fail(error)
            }),
          onSuccess: (completion) =>
            Effect.gen(function* () {
              const now = yield* Clock.currentTimeMillis
              const last = state.last!.candidate
              if (state.mitigation !== undefined) state.mitigation = { ...state.mitigation, succeeded: true }
              const outcome = state.mitigated ? "MITIGATED_SUCCESS" : "SUCCESS"
              yield* publish({
                topic: "request.succeeded",
                requestId,
                outcome,
                provider: last.provider.id,
                model: last.model.name,
                attempts: state.calls,
                latencyMs: now - startedAt
              })
              const resilience: Resilience = {
                requestId,
                outcome,
                attempts: state.attempts,
                provider: last.provider.id,
                model: last.model.name,
                ...(state.lastKey !== undefined ? { keyFingerprint: state.lastKey.fingerprint } : {}),
                latencyMs: now - startedAt,
                ...(state.mitigation !== undefined ? { mitigation: state.mitigation } : {})
              }
              return { ...completion, resilience }
            })
        })
      )
    })

  const state = Effect.gen(function* () {
    const ids = [...config.providers.keys()]
    const tokens = yield* Effect.forEach(ids, (id) => budget.tokens(id))
    return {
      breakers: yield* breakers.snapshot,
      keys: yield* keyring.snapshot,
      budget: Object.fromEntries(ids.map((id, i) => [id, tokens[i]!]))
    } satisfies EngineState
  })

  return Engine.of({ complete, state, config })
})

/**
 * The engine service. `Engine.layer(config)` wires it from services (providers, keyring,
 * breakers, retry budget, rewriter, classifier, event bus); see `layerConfig` in `Layers.ts`
 * for the all-in-one layer built from a config.
 */
export class Engine extends Context.Service<Engine, EngineShape>()("@am/engine/Engine") {
  static readonly layer = (config: EngineConfig) => Layer.effect(Engine, make(config))
}

/** Decodes untrusted input into a `CompletionRequest`, failing with `invalid_request` that names the field. */
export const decodeRequest = (input: unknown): Effect.Effect<CompletionRequest, EngineError> =>
  Schema.decodeUnknownEffect(CompletionRequestSchema)(input, { errors: "first" }).pipe(
    Effect.mapError((e) => {
      const field = schemaErrorPath(e.message)
      return new EngineError({
        code: "invalid_request",
        message: `invalid request: ${e.message}`,
        requestId: RequestId.make(),
        attempts: [],
        ...(field !== undefined ? { field } : {})
      })
    })
  )
