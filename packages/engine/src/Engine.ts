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
 * `Engine.stream(request)` runs the same plan with streaming calls: an attempt succeeds when its
 * stream yields the first content token (empty deltas before it are dropped), so every failure
 * before that point — an error, no first token in time, a stall, a filtered empty answer — fails
 * over exactly as in `complete`. After the commit the stream is the client's: a failure or a
 * stall ends it with `stream_interrupted`, never with a clean finish.
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
  type AttemptRecord,
  type Classification,
  type Completion,
  type CompletionChunk,
  type CompletionRequest,
  CompletionRequest as CompletionRequestSchema,
  EventBus,
  type EventInput,
  type Provider,
  type ProviderCall,
  ProviderFailure,
  ProviderRegistry,
  Ledger,
  Pricing,
  promptSha256,
  RequestContext,
  RequestId,
  RunStore,
  sanitizeMessage,
  schemaErrorPath,
  type Usage
} from "@am/core"
import { Keyring, type KeySnapshot } from "@am/keyring"
import { PromptRewriter } from "@am/rewriter"
import {
  Clock,
  Context,
  Deferred,
  Duration,
  Effect,
  ExecutionPlan,
  Exit,
  Fiber,
  Layer,
  Option,
  Pull,
  Random,
  Redacted,
  Schedule,
  Schema,
  Scope,
  Stream
} from "effect"
import { backoffDelay } from "./Backoff.ts"
import type { EngineConfig, StreamSpec } from "./EngineConfig.ts"
import { EngineError, type Resilience } from "./EngineError.ts"
import {
  type AttemptError,
  BreakerRejected,
  type CallHandle,
  CallFailed,
  KeysExhausted,
  RequestState,
  Target
} from "./internal/Attempt.ts"
import { toEngineError } from "./internal/Errors.ts"
import { type Candidate, planRoute } from "./internal/Planner.ts"
import { endOfCompletion, endOfFailure, type RequestEnd, record } from "./internal/Recording.ts"
import { type Committed, isContent, type NonEmptyChunks, type Opened, relay } from "./internal/StreamRelay.ts"
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

/**
 * A streamed answer, returned once a candidate produced its first content token (the commit).
 * `chunks` must be consumed once; the request's ledger entry is written when it ends (finished,
 * failed, or stopped by the consumer) or when the `Scope` `stream` ran in closes, whichever is first.
 */
export interface EngineStream {
  readonly requestId: string
  /** The committed candidate's provider id. */
  readonly provider: string
  readonly model: string
  /** Calls made up to and including the committed one. */
  readonly attempts: number
  /** The trail up to the commit (outcome `SUCCESS` or `MITIGATED_SUCCESS` so far). */
  readonly resilience: Resilience
  /**
   * From the first content chunk on (empty deltas dropped), ending with exactly one `Finish`.
   * Fails with code `stream_interrupted` when the provider fails or stalls after the first token,
   * `deadline_exceeded` when the request's deadline passes mid-stream.
   */
  readonly chunks: Stream.Stream<CompletionChunk, EngineError>
}

/** Per-request overrides of the config's `stream` timeouts. */
export interface StreamOptions {
  readonly firstTokenTimeoutMs?: number
  readonly stallTimeoutMs?: number
}

export interface EngineShape {
  readonly complete: (request: CompletionRequest) => Effect.Effect<EngineCompletion, EngineError>
  /**
   * Streams the answer with failover until the first content token (see `EngineStream`). Fails,
   * before any chunk, with the same `EngineError` `complete` would give when no candidate commits.
   */
  readonly stream: (
    request: CompletionRequest,
    options?: StreamOptions
  ) => Effect.Effect<EngineStream, EngineError, Scope.Scope>
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

/** One plan attempt: runs the `Target` candidate (provided per step). */
type Attempt<B> = (state: RequestState, request: CompletionRequest) => Effect.Effect<B, AttemptError, Target>

/**
 * How a call is made and what its success means. `complete` settles at once; a stream succeeds
 * at its first content token and is settled when it ends.
 */
interface Exchange<A, B> {
  readonly invoke: (provider: Provider, call: ProviderCall, h: CallHandle) => Effect.Effect<A, ProviderFailure>
  readonly onSuccess: (state: RequestState, h: CallHandle, a: A) => Effect.Effect<B>
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

  /** Records the attempt at `at` (the committed stream's) or appends it. */
  const put = (state: RequestState, record: AttemptRecord, at: number | undefined) => {
    if (at === undefined) state.attempts.push(record)
    else state.attempts[at] = record
  }

  /** A failed call: classify, record, tell the keyring, the budget and the model health. */
  const settleFailure = (state: RequestState, h: CallHandle, failure: ProviderFailure, at?: number) =>
    Effect.gen(function* () {
      const { c, key, ref, base, started } = h
      const latencyMs = (yield* Clock.currentTimeMillis) - started
      const classification = classifier.classify(failure)
      const error = new CallFailed({ candidate: c, key: ref, failure, classification })
      put(
        state,
        {
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
        },
        at
      )
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
      if (classification.retryable && classification.scope === "provider") yield* budget.recordFailure(c.provider.id)
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
      return error
    })

  /** A successful call: record it (with the usage it billed), heal the key, refill the budget. */
  const settleSuccess = (state: RequestState, h: CallHandle, usage: Usage | undefined, at?: number) =>
    Effect.gen(function* () {
      const { c, key, ref, base, started } = h
      const latencyMs = (yield* Clock.currentTimeMillis) - started
      put(
        state,
        {
          provider: c.provider.id,
          model: c.model.name,
          keyId: key.id,
          keyFingerprint: key.fingerprint,
          outcome: "success",
          latencyMs,
          ...(usage !== undefined ? { usage } : {}),
          ...(state.mitigated ? { mitigated: true } : {})
        },
        at
      )
      state.last = { candidate: c }
      state.lastKey = ref
      yield* keyring.report(c.provider.id, c.model.name, key.id, { _tag: "Success" })
      yield* budget.recordSuccess(c.provider.id)
      yield* publish({ topic: "api.call.success", ...base, latencyMs, ...(usage !== undefined ? { usage } : {}) })
    })

  /** An answer that is a refusal or a content filter, as the failure the classifier reads. */
  const refusalOf = (h: CallHandle, completion: Completion) =>
    contentFailureOf(completion, { providerId: h.c.provider.id, keyId: h.key.id, keyFingerprint: h.key.fingerprint })

  /** One call: lease a key, call the provider with the time left, classify, record. */
  const call = <A, B>(state: RequestState, request: CompletionRequest, c: Candidate, exchange: Exchange<A, B>) =>
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
      const base = {
        requestId: state.requestId,
        provider: c.provider.id,
        model: c.model.name,
        keyId: key.id,
        keyFingerprint: key.fingerprint,
        attempt: state.calls
      }
      yield* publish({ topic: "api.call.started", ...base })
      const started = yield* Clock.currentTimeMillis
      const h: CallHandle = { c, key, ref: { id: key.id, fingerprint: key.fingerprint }, base, started }
      const timeoutMs = Math.max(1, Math.min(c.provider.timeoutMs, state.deadlineAt - started))
      const provider = providers.get(c.provider.id)!
      return yield* exchange.invoke(provider, { request, model: c.model.name, key, timeoutMs }, h).pipe(
        Effect.matchEffect({
          onFailure: (failure) => Effect.flatMap(settleFailure(state, h, failure), Effect.fail),
          onSuccess: (a) => exchange.onSuccess(state, h, a)
        })
      )
    })

  const completing: Exchange<Completion, Completion> = {
    invoke: (provider, request, h) =>
      Effect.flatMap(provider.complete(request), (completion) => {
        const refused = refusalOf(h, completion)
        return refused === undefined ? Effect.succeed(completion) : Effect.fail(refused)
      }),
    onSuccess: (state, h, completion) => Effect.as(settleSuccess(state, h, completion.usage), completion)
  }

  /** A failure the engine observes on a stream itself (no token in time, a stall, an early end). */
  const streamFailure = (h: CallHandle, kind: "timeout" | "stream", message: string, responseBytesReceived: boolean) =>
    new ProviderFailure({
      provider: providers.get(h.c.provider.id)!.kind,
      providerId: h.c.provider.id,
      model: h.c.model.name,
      keyId: h.key.id,
      keyFingerprint: h.key.fingerprint,
      kind,
      message,
      responseBytesReceived
    })

  /**
   * Streaming calls: open the provider's stream in its own scope (closed at once if the attempt
   * fails, so the upstream is released before failing over) and read it up to the first content
   * token within the first-token and stall timeouts. A finish before any content is an empty
   * answer, unless it is a refusal or a content filter — then it fails like `complete` would.
   */
  const streaming = (scope: Scope.Scope, limits: StreamSpec): Exchange<Opened, Omit<Committed, "ended" | "fiber">> => ({
    invoke: (provider, request, h) =>
      Effect.flatMap(Scope.fork(scope), (attemptScope) =>
        Effect.gen(function* () {
          const pull = yield* Stream.toPull(provider.stream(request)).pipe(Scope.provide(attemptScope))
          const firstBy = h.started + limits.firstTokenTimeoutMs
          // Until the first chunk only the first-token timeout runs; between chunks the stall timeout too.
          let chunked = false
          const awaitFirst: Effect.Effect<Opened, ProviderFailure> = Effect.flatMap(Clock.currentTimeMillis, (now) => {
            const noToken = !chunked || firstBy - now <= limits.stallTimeoutMs
            return pull.pipe(
              Effect.timeoutOrElse({
                duration: Duration.millis(Math.max(0, noToken ? firstBy - now : limits.stallTimeoutMs)),
                orElse: () =>
                  Effect.fail(
                    noToken
                      ? streamFailure(h, "timeout", `no first token within ${limits.firstTokenTimeoutMs} ms`, false)
                      : streamFailure(
                          h,
                          "timeout",
                          `stream stalled for ${limits.stallTimeoutMs} ms before its first token`,
                          false
                        )
                  )
              }),
              Pull.catchDone(() =>
                Effect.fail(streamFailure(h, "stream", "stream ended before any content or finish", false))
              ),
              Effect.flatMap((batch) => {
                chunked = true
                const at = batch.findIndex(isContent)
                // Only empty (role-only) deltas so far: drop them and read on.
                if (at === -1) return awaitFirst
                const head = batch[at]!
                if (head._tag === "Finish") {
                  const refused = refusalOf(h, {
                    message: { role: "assistant", content: "" },
                    finishReason: head.finishReason,
                    usage: head.usage,
                    provider: provider.kind,
                    model: head.model,
                    ...(head.rawFinishReason !== undefined ? { rawFinishReason: head.rawFinishReason } : {}),
                    ...(head.blockReason !== undefined ? { blockReason: head.blockReason } : {})
                  })
                  if (refused !== undefined) return Effect.fail(refused)
                }
                const first = batch.slice(at).filter(isContent) as unknown as NonEmptyChunks
                return Effect.map(Clock.currentTimeMillis, (firstTokenAt): Opened => ({ first, pull, firstTokenAt }))
              })
            )
          })
          return yield* awaitFirst
        }).pipe(Effect.onExit((exit) => (Exit.isFailure(exit) ? Scope.close(attemptScope, exit) : Effect.void)))
      ),
    // Committed: the attempt counts as a success so far; the stream's end settles it for good.
    onSuccess: (state, h, opened) =>
      Effect.sync(() => {
        const index =
          state.attempts.push({
            provider: h.c.provider.id,
            model: h.c.model.name,
            keyId: h.key.id,
            keyFingerprint: h.key.fingerprint,
            outcome: "success",
            latencyMs: opened.firstTokenAt - h.started,
            ...(state.mitigated ? { mitigated: true } : {})
          }) - 1
        state.last = { candidate: h.c }
        state.lastKey = h.ref
        return { ...opened, handle: h, index }
      })
  })

  /** `effect` under the candidate's breakers: admitted, or skipped unsent. */
  const guarded = <B>(state: RequestState, c: Candidate, effect: Effect.Effect<B, AttemptError>) =>
    breakers
      .run({ provider: c.provider.id, model: c.model.name }, effect, (e) =>
        e._tag === "CallFailed" ? e.classification : NOT_A_CALL
      )
      .pipe(
        Effect.catchTag("CircuitOpen", (e) => {
          const error = new BreakerRejected({ candidate: c, retryAfterMs: e.retryAfterMs })
          return Effect.andThen(skip(state, c, "circuit_open", error), Effect.fail(error))
        })
      )

  /** One execution-plan attempt of `complete`. */
  const attemptComplete: Attempt<Completion> = (state, request) =>
    Effect.flatMap(Effect.service(Target), (c) => guarded(state, c, call(state, request, c, completing)))

  /**
   * One execution-plan attempt of `stream`: succeeds at the first content token. The call runs on
   * a fiber of the stream's scope whose breaker-guarded effect lasts until the stream ends, so the
   * breakers see one outcome per call — the stream's — just as for `complete`.
   */
  const attemptStream =
    (scope: Scope.Scope, limits: StreamSpec): Attempt<Committed> =>
    (state, request) =>
      Effect.flatMap(Effect.service(Target), (c) =>
        Effect.gen(function* () {
          const committed = yield* Deferred.make<Omit<Committed, "ended" | "fiber">>()
          const ended = yield* Deferred.make<void, CallFailed>()
          const lifetime = Effect.flatMap(call(state, request, c, streaming(scope, limits)), (opened) =>
            Effect.andThen(Deferred.succeed(committed, opened), Deferred.await(ended))
          )
          const fiber = yield* Effect.forkIn(guarded(state, c, lifetime), scope)
          const opened = yield* Effect.raceFirst(
            Deferred.await(committed),
            Effect.flatMap(Fiber.join(fiber), () => Effect.die(new Error("stream call settled before its commit")))
          ).pipe(Effect.onInterrupt(() => Fiber.interrupt(fiber)))
          return { ...opened, ended, fiber } satisfies Committed
        })
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

  const runPlan = <B>(
    state: RequestState,
    request: CompletionRequest,
    candidates: ReadonlyArray<Candidate>,
    attemptOnce: Attempt<B>
  ): Effect.Effect<B, AttemptError> =>
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

  const runWithKeyWait = <B>(
    state: RequestState,
    request: CompletionRequest,
    candidates: ReadonlyArray<Candidate>,
    attemptOnce: Attempt<B>
  ) => {
    const run = runPlan(state, request, candidates, attemptOnce)
    return run.pipe(Effect.catch((e) => Effect.retry(resumeFrom(e, run), waitForKeys(state))))
  }

  const isContentFailure = (e: AttemptError): e is CallFailed =>
    e._tag === "CallFailed" && e.classification.scope === "content"

  /** Content-policy mitigation: rewrite once, run the plan again; never twice, never through the engine. */
  const mitigate = <B>(
    state: RequestState,
    request: CompletionRequest,
    candidates: ReadonlyArray<Candidate>,
    attemptOnce: Attempt<B>,
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
      return yield* runWithKeyWait(state, { ...request, messages }, candidates, attemptOnce)
    })

  /** A request's start: its id, deadline and route; with persistence on, its `llm_runs` row. */
  const begin = (request: CompletionRequest) =>
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
      return { state, planned, route, deadlineMs }
    })

  const audited = ledger !== undefined || runs !== undefined

  /** Writes the request's ledger entry and finishes its run (when audit is on); the request leaves `active`. */
  const finishRequest = (state: RequestState, request: CompletionRequest, route: string, end: RequestEnd) =>
    Effect.andThen(
      Effect.sync(() => active.delete(state.requestId)),
      audited ? record({ config, bus, ledger, runs, pricing }, state, request, route, end) : Effect.void
    )

  const publishSucceeded = (state: RequestState, resilience: Resilience) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      publish({
        topic: "request.succeeded",
        requestId: state.requestId,
        outcome: resilience.outcome,
        provider: resilience.provider,
        model: resilience.model,
        attempts: state.calls,
        latencyMs: now - state.startedAt
      })
    )

  const complete = (request: CompletionRequest): Effect.Effect<EngineCompletion, EngineError> =>
    Effect.gen(function* () {
      const { state, planned, route, deadlineMs } = yield* begin(request)
      const run = body(state, request, planned, route, deadlineMs, attemptComplete).pipe(
        Effect.tap(([, resilience]) => publishSucceeded(state, resilience)),
        Effect.map(([completion, resilience]): EngineCompletion => ({ ...completion, resilience }))
      )
      if (!audited) return yield* run
      active.set(state.requestId, state)
      return yield* run.pipe(Effect.onExit((exit) => finishRequest(state, request, route, endOfCompletion(exit))))
    })

  const stream = (request: CompletionRequest, options?: StreamOptions) =>
    Effect.gen(function* () {
      const { state, planned, route, deadlineMs } = yield* begin(request)
      const limits: StreamSpec = {
        firstTokenTimeoutMs: options?.firstTokenTimeoutMs ?? config.stream.firstTokenTimeoutMs,
        stallTimeoutMs: options?.stallTimeoutMs ?? config.stream.stallTimeoutMs
      }
      const outer = yield* Effect.scope
      // The stream's own scope: its calls' fibers and upstream connections; closed when it ends.
      const scope = yield* Scope.fork(outer)
      if (audited) active.set(state.requestId, state)
      const [committed, resilience] = yield* body(
        state,
        request,
        planned,
        route,
        deadlineMs,
        attemptStream(scope, limits)
      ).pipe(
        Effect.onExit((exit) =>
          Exit.isSuccess(exit)
            ? Effect.void
            : Effect.andThen(finishRequest(state, request, route, endOfFailure(exit.cause)), Scope.close(scope, exit))
        )
      )
      return yield* relay(
        {
          publish,
          settleFailure,
          settleSuccess,
          refusalOf,
          streamFailure,
          finishRequest: (end) => finishRequest(state, request, route, end),
          publishSucceeded: publishSucceeded(state, resilience),
          providerKind: providers.get(committed.handle.c.provider.id)!.kind
        },
        { state, outer, scope, limits, committed, resilience }
      )
    })

  /** Runs the plan for a started request; its answer with the `resilience` trail, or its `EngineError`. */
  const body = <B>(
    state: RequestState,
    request: CompletionRequest,
    planned: ReturnType<typeof planRoute>,
    route: string,
    deadlineMs: number,
    attemptOnce: Attempt<B>
  ): Effect.Effect<readonly [B, Resilience], EngineError> =>
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
      const run = runWithKeyWait(state, request, candidates, attemptOnce).pipe(
        Effect.catchIf(
          (e): e is CallFailed =>
            isContentFailure(e) && config.mitigation.contentPolicy === "rewrite" && !state.mitigated,
          (e) => mitigate(state, request, candidates, attemptOnce, e)
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
              // An attempt's timeout is clipped to the deadline, so the last call can fail (as a
              // timeout) at the very moment the deadline passes: that request ran out of time.
              const failed = e === "deadline" ? undefined : toEngineError(state, e, now)
              const expired =
                failed === undefined || (now >= state.deadlineAt && failed.code === "all_providers_failed")
              const error: EngineError = expired
                ? new EngineError({
                    code: "deadline_exceeded",
                    message: `the request's deadline of ${deadlineMs} ms passed after ${state.calls} call(s)`,
                    requestId,
                    attempts: state.attempts.slice(),
                    ...(state.mitigation !== undefined ? { mitigation: state.mitigation } : {})
                  })
                : failed
              if (expired) yield* publish({ topic: "deadline.exceeded", requestId, elapsedMs: now - startedAt })
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
          onSuccess: (answer) =>
            Effect.gen(function* () {
              const now = yield* Clock.currentTimeMillis
              const last = state.last!.candidate
              if (state.mitigation !== undefined) state.mitigation = { ...state.mitigation, succeeded: true }
              const outcome = state.mitigated ? "MITIGATED_SUCCESS" : "SUCCESS"
              const resilience: Resilience = {
                requestId,
                outcome,
                attempts: state.attempts.slice(),
                provider: last.provider.id,
                model: last.model.name,
                ...(state.lastKey !== undefined ? { keyFingerprint: state.lastKey.fingerprint } : {}),
                latencyMs: now - startedAt,
                ...(state.mitigation !== undefined ? { mitigation: state.mitigation } : {})
              }
              return [answer, resilience] as const
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

  return Engine.of({ complete, stream, state, config })
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
