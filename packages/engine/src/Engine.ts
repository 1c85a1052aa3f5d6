/**
 * The orchestrator: `Engine.complete(request)` runs a request through its route's
 * (provider, model) candidates as an `ExecutionPlan`, one step per candidate, and the pure
 * decision table (`Decision.ts`) says what follows each failure from its classification scope:
 * rotate the key, back off and retry, move to the next model or provider, or stop — then
 * mitigation rewrites a refused prompt once. One deadline bounds the whole request, one maximum
 * bounds its calls, and a retry budget shared by all requests bounds retries under an outage.
 *
 * `Engine.stream(request)` runs the same plan with streaming calls: an attempt succeeds when its
 * stream yields the first content token, so every failure before that point fails over exactly
 * as in `complete`. After the commit the stream is the client's: a failure or a stall ends it
 * with `stream_interrupted`, never with a clean finish.
 *
 * The stages live in `internal/`: admit → plan → attempt (drive) → decide → mitigate → answer →
 * record. This file only wires the services and runs the stages.
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
import { Breakers } from "@am/breaker"
import { Classifier } from "@am/classifier"
import {
  type CompletionRequest,
  CompletionRequest as CompletionRequestSchema,
  EventBus,
  ProviderRegistry,
  RequestGuard,
  RequestId,
  schemaIssuePath,
  Tracing
} from "@am/core"
import { Keyring } from "@am/keyring"
import { PromptRewriter } from "@am/rewriter"
import { Router } from "@am/router"
import { ResponseCache } from "@am/cache"
import { Context, Effect, Exit, Layer, Option, Schema, Scope } from "effect"
import type { EngineConfig, StreamSpec } from "./EngineConfig.ts"
import { EngineError } from "./EngineError.ts"
import type { CompleteOptions, EngineCompletion, EngineShape, EngineState, StreamOptions } from "./EngineTypes.ts"
import { admit } from "./internal/Admit.ts"
import { cachedStream, liveStreamCacheStatus, storingStream } from "./internal/Cached.ts"
import { makeEmbed } from "./internal/EmbedRun.ts"
import { attemptComplete } from "./internal/Attempt.ts"
import type { EngineDeps } from "./internal/Deps.ts"
import { guardAnswer, guardInput, outputSpecOf, scrubError } from "./internal/GuardStage.ts"
import { finishRequest } from "./internal/Record.ts"
import { endOfCompletion, endOfFailure } from "./internal/Recording.ts"
import { run } from "./internal/Run.ts"
import { attemptStream } from "./internal/StreamAttempt.ts"
import { relay } from "./internal/StreamRelay.ts"
import { refuseStream } from "./internal/VerifyStage.ts"
import { publishSucceeded } from "./internal/Answer.ts"
import { ModelHealth } from "./ModelHealth.ts"
import { RequestRecorder } from "./RequestRecorder.ts"
import { RetryBudget } from "./RetryBudget.ts"

export type {
  CompleteOptions,
  EngineCompletion,
  EngineEmbeddings,
  EngineShape,
  EngineState,
  EngineStream,
  StreamOptions
} from "./EngineTypes.ts"
export { decodeEmbeddingRequest } from "./internal/EmbedRun.ts"

// The request span of `complete`/`stream` (what `Effect.fn` would give), without the stack
// trace `Effect.fn` captures on every call (a large share of the happy path), and no span frame
// at all when the tracer is off (`Tracing.withSpan`: failures under a frame are re-annotated).
const requestSpan = (name: string) => Tracing.withSpan(name, { attributes: { "gen_ai.operation.name": "chat" } })

const make = Effect.fnUntraced(function* (config: EngineConfig) {
  const registry = yield* ProviderRegistry
  const deps: EngineDeps = {
    config,
    providers: new Map(registry.all.map((p) => [p.id, p] as const)),
    keyring: yield* Keyring,
    breakers: yield* Breakers,
    budget: yield* RetryBudget,
    rewriter: yield* PromptRewriter,
    classifier: yield* Classifier,
    modelHealth: yield* ModelHealth,
    router: yield* Router,
    recorder: yield* RequestRecorder,
    bus: yield* EventBus,
    guard: yield* RequestGuard,
    cache: Option.getOrUndefined(yield* Effect.serviceOption(ResponseCache)),
    active: new Map()
  }
  const verifierFor = deps.guard?.verifierFor

  const complete = Effect.fnUntraced(function* (request: CompletionRequest, options?: CompleteOptions) {
    const { state, planned, deadlineMs } = yield* admit(deps, request)
    yield* Effect.annotateCurrentSpan("am.request_id", state.requestId)
    const spec = outputSpecOf(
      state,
      options?.schema === undefined ? undefined : { _tag: "StandardSchema", schema: options.schema }
    )
    // Unguarded and without a contract: the plain path; configured keys in the answer are still
    // masked (and the output limits applied) in place when the guard limits output.
    const ran =
      !deps.guard!.enabled && spec === undefined
        ? deps.guard!.limitsOutput
          ? run(deps, state, planned, deadlineMs, attemptComplete).pipe(
              Effect.flatMap((a) => guardAnswer(deps, state, deadlineMs, undefined, undefined, a)),
              Effect.map((c) => [c, c.resilience] as const)
            )
          : run(deps, state, planned, deadlineMs, attemptComplete)
        : guardInput(deps, state).pipe(
            Effect.flatMap((session) =>
              run(deps, state, planned, deadlineMs, attemptComplete).pipe(
                Effect.flatMap((a) => guardAnswer(deps, state, deadlineMs, session, spec, a)),
                Effect.map((c) => [c, c.resilience] as const)
              )
            ),
            Effect.mapError((e) => scrubError(deps, state, e))
          )
    const answered = ran.pipe(
      Effect.flatMap(([completion, resilience]) =>
        Effect.as(
          Effect.andThen(
            publishSucceeded(deps, state, resilience),
            Effect.annotateCurrentSpan("am.outcome", resilience.outcome)
          ),
          { ...completion, resilience } satisfies EngineCompletion
        )
      )
    )
    // Unrecorded requests skip the exit hook: nothing to write however they end.
    if (!deps.recorder.enabled) return yield* answered
    return yield* answered.pipe(Effect.onExit((exit) => finishRequest(deps, state, endOfCompletion(exit))))
  }, requestSpan("Engine.complete"))

  const stream = Effect.fnUntraced(function* (request: CompletionRequest, options?: StreamOptions) {
    const { state, planned, deadlineMs } = yield* admit(deps, request)
    yield* Effect.annotateCurrentSpan("am.request_id", state.requestId)
    // A verified route's answer is judged before it is returned: a stream cannot be (VerifyStage).
    if (verifierFor !== undefined && verifierFor(state.route) !== undefined) return yield* refuseStream(deps, state)
    // A cached answer streams from its entry: no plan, no call.
    const fromCache = yield* cachedStream(deps, state)
    if (Option.isSome(fromCache)) return fromCache.value
    const limits: StreamSpec = {
      firstTokenTimeoutMs: options?.firstTokenTimeoutMs ?? config.stream.firstTokenTimeoutMs,
      stallTimeoutMs: options?.stallTimeoutMs ?? config.stream.stallTimeoutMs,
      maxDurationMs: options?.maxDurationMs ?? config.stream.maxDurationMs
    }
    const outer = yield* Effect.scope
    // The stream's own scope: its calls' fibers and upstream connections; closed when it ends.
    const scope = yield* Scope.fork(outer)
    const started = run(deps, state, planned, deadlineMs, attemptStream(scope, limits), true)
    const [[committed, resilience], session] = yield* (
      deps.guard!.enabled
        ? guardInput(deps, state).pipe(
            Effect.flatMap((session) => Effect.map(started, (r) => [r, session] as const)),
            Effect.mapError((e) => scrubError(deps, state, e))
          )
        : Effect.map(started, (r) => [r, undefined] as const)
    ).pipe(
      Effect.onExit((exit) =>
        Exit.isSuccess(exit)
          ? Effect.annotateCurrentSpan("am.outcome", "COMMITTED")
          : Effect.andThen(
              Effect.annotateCurrentSpan("am.outcome", "FAILURE"),
              Effect.andThen(finishRequest(deps, state, endOfFailure(exit.cause)), Scope.close(scope, exit))
            )
      )
    )
    const cacheStatus = liveStreamCacheStatus(deps, state)
    const live = yield* relay(deps, {
      state,
      outer,
      scope,
      limits,
      committed,
      resilience: {
        ...resilience,
        ...(cacheStatus !== undefined ? { cache: cacheStatus } : {}),
        ...(session !== undefined ? { guard: state.audit?.guard ?? {} } : {})
      },
      ...(session !== undefined ? { session } : {})
    })
    return storingStream(deps, state, live)
  }, requestSpan("Engine.stream"))

  const state = Effect.gen(function* () {
    const ids = [...config.providers.keys()]
    const tokens = yield* Effect.forEach(ids, (id) => deps.budget.tokens(id))
    return {
      breakers: yield* deps.breakers.snapshot,
      keys: yield* deps.keyring.snapshot,
      budget: Object.fromEntries(ids.map((id, i) => [id, tokens[i]!]))
    } satisfies EngineState
  })

  return Engine.of({ complete, stream, embed: makeEmbed(deps), state, config })
})

/**
 * The engine service. `Engine.layer(config)` wires it from services (providers, keyring,
 * breakers, retry budget, model health, rewriter, classifier, event bus, request recorder);
 * `@am/runtime`'s `layerConfig` builds them all from a config file.
 */
export class Engine extends Context.Service<Engine, EngineShape>()("@am/engine/Engine") {
  static readonly layer = (config: EngineConfig) => Layer.effect(Engine, make(config))
}

/** Decodes untrusted input into a `CompletionRequest`, failing with `invalid_request` that names the field. */
export const decodeRequest = (input: unknown): Effect.Effect<CompletionRequest, EngineError> =>
  Schema.decodeUnknownEffect(CompletionRequestSchema)(input, { errors: "first" }).pipe(
    Effect.mapError((e) => {
      const field = schemaIssuePath(e)
      return new EngineError({
        code: "invalid_request",
        message: `invalid request: ${e.message}`,
        requestId: RequestId.make(),
        attempts: [],
        ...(field !== undefined ? { field } : {})
      })
    })
  )
