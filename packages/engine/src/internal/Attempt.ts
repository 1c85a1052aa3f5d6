/**
 * One attempt of the plan: lease a key for the step's candidate, call its provider under the
 * candidate's breakers with the time left, and settle the outcome. An `Exchange` says how the
 * call is made and what its success means (`complete` settles at once; a stream at its first
 * content token). Each call is one OpenTelemetry GenAI inference span (`chat {model}`).
 */
import {
  type ApiKey,
  type Classification,
  type Completion,
  type Provider,
  type ProviderCall,
  type ProviderFailure,
  type ProviderKind,
  Tracing
} from "@am/core"
import { defectFailure } from "@am/classifier"
import { Clock, Effect, Redacted } from "effect"
import { type EngineDeps, publish } from "./Deps.ts"
import type { Candidate } from "./Plan.ts"
import {
  type AttemptError,
  BreakerRejected,
  type CallFailed,
  type CallHandle,
  KeysExhausted,
  type RequestState,
  Target
} from "./RequestState.ts"
import { refusalOf, settleFailure, settleSuccess } from "./Settle.ts"

/** How a call is made and what its success means. */
export interface Exchange<A, B> {
  readonly invoke: (provider: Provider, call: ProviderCall, h: CallHandle) => Effect.Effect<A, ProviderFailure>
  readonly onSuccess: (deps: EngineDeps, state: RequestState, h: CallHandle, a: A) => Effect.Effect<B>
  /** `gen_ai.operation.name` of the call's span; `chat` when absent. */
  readonly operation?: "chat" | "embeddings"
}

/** One plan attempt: runs the `Target` candidate (provided per step). */
export type Attempt<B> = (
  deps: EngineDeps,
  state: RequestState,
  request: ProviderCall["request"]
) => Effect.Effect<B, AttemptError, Target>

// Breaker outcome for attempts that never reached the provider (no key): never counted.
const NOT_A_CALL: Classification = {
  class: "unknown",
  scope: "key",
  retryable: false,
  errorType: "no_healthy_key",
  rule: "engine.no_healthy_key"
}

/** `gen_ai.provider.name` of a provider kind (OpenTelemetry GenAI registry). */
export const genAiProviderName = (kind: ProviderKind): string => (kind === "gemini" ? "gcp.gemini" : kind)

/** The attempt's span: `{operation} {model}`, kind client, with the GenAI attributes known up front. */
export const attemptSpan = (c: Candidate, kind: ProviderKind, operation: "chat" | "embeddings" = "chat") =>
  // A span per attempt is the contract; a stack captured per attempt is not (it cost more than
  // the rest of the span in ./am bench engine), nor a span frame when the tracer is off.
  Tracing.withSpanOf(() => ({
    name: `${operation} ${c.model.name}`,
    options: {
      kind: "client",
      attributes: {
        "gen_ai.operation.name": operation,
        "gen_ai.provider.name": genAiProviderName(kind),
        "gen_ai.request.model": c.model.name,
        "am.provider_id": c.provider.id
      }
    }
  }))

/** Annotates the current attempt span with what a successful call answered. */
export const annotateSuccess = (model: string | undefined, usage: Completion["usage"] | undefined) =>
  Effect.annotateCurrentSpan({
    ...(model !== undefined ? { "gen_ai.response.model": model } : {}),
    ...(usage !== undefined
      ? { "gen_ai.usage.input_tokens": usage.inputTokens, "gen_ai.usage.output_tokens": usage.outputTokens }
      : {})
  })

/** Records a candidate that was skipped unsent (open circuit, no healthy key). */
export const skip = (
  deps: EngineDeps,
  state: RequestState,
  c: Candidate,
  reason: "circuit_open" | "no_healthy_key",
  error: AttemptError
) =>
  Effect.suspend(() => {
    state.attempts.push({
      provider: c.provider.id,
      model: c.model.name,
      outcome: "skipped",
      skipped: reason,
      latencyMs: 0
    })
    state.last = { candidate: c, error }
    return publish(deps, {
      topic: "provider.skipped",
      requestId: state.requestId,
      provider: c.provider.id,
      model: c.model.name,
      reason
    })
  })

/** Publishes what changed since the previous attempt: key rotation, model or provider failover. */
const announce = (deps: EngineDeps, state: RequestState, c: Candidate) => {
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
      ? publish(deps, {
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
    ? publish(deps, {
        topic: "model.failover",
        requestId: state.requestId,
        provider: c.provider.id,
        fromModel: last.candidate.model.name,
        reason
      })
    : publish(deps, {
        topic: "provider.failover",
        requestId: state.requestId,
        fromProvider: last.candidate.provider.id,
        reason
      })
}

/** One call: lease a key, call the provider with the time left, classify, record. */
export const call = <A, B>(
  deps: EngineDeps,
  state: RequestState,
  request: ProviderCall["request"],
  c: Candidate,
  exchange: Exchange<A, B>
): Effect.Effect<B, CallFailed | KeysExhausted> =>
  callGen(deps, state, request, c, exchange as Exchange<unknown, unknown>) as Effect.Effect<
    B,
    CallFailed | KeysExhausted
  >

// Module-level generators, not `Effect.gen` per call (docs/performance.md, "Generators per request").
const callGen = Effect.fnUntraced(function* (
  deps: EngineDeps,
  state: RequestState,
  request: ProviderCall["request"],
  c: Candidate,
  exchange: Exchange<unknown, unknown>
) {
  const key = yield* deps.keyring.lease(c.provider.id, c.model.name).pipe(
    Effect.catchTag("NoHealthyKey", (e) => {
      const error = KeysExhausted({ candidate: c, availableAt: e.availableAt })
      if (e.availableAt !== undefined) {
        state.earliestKeyAt = Math.min(state.earliestKeyAt ?? Number.POSITIVE_INFINITY, e.availableAt)
      }
      return Effect.andThen(skip(deps, state, c, "no_healthy_key", error), Effect.fail(error))
    })
  )
  const provider = deps.providers.get(c.provider.id)!
  return yield* callWithKey(deps, state, request, c, exchange, key, provider).pipe(
    attemptSpan(c, provider.kind, exchange.operation)
  )
})

const callWithKey = Effect.fnUntraced(function* (
  deps: EngineDeps,
  state: RequestState,
  request: ProviderCall["request"],
  c: Candidate,
  exchange: Exchange<unknown, unknown>,
  key: ApiKey,
  provider: Provider
) {
  yield* Effect.annotateCurrentSpan("am.key_fingerprint", key.fingerprint)
  yield* announce(deps, state, c)
  state.calls++
  const base = {
    requestId: state.requestId,
    provider: c.provider.id,
    model: c.model.name,
    keyId: key.id,
    keyFingerprint: key.fingerprint,
    attempt: state.calls
  }
  yield* publish(deps, { topic: "api.call.started", ...base })
  const started = yield* Clock.currentTimeMillis
  const h: CallHandle = {
    c,
    kind: provider.kind,
    key,
    ref: { id: key.id, fingerprint: key.fingerprint },
    base,
    started
  }
  const timeoutMs = Math.max(1, Math.min(c.provider.timeoutMs, state.deadlineAt - started))
  return yield* exchange.invoke(provider, { request, model: c.model.name, key, timeoutMs }, h).pipe(
    // A throwing adapter is a provider fault like any other (classified `unknown`, provider
    // scope, bounded), not the end of the request: other candidates may answer.
    Effect.catchDefect((defect) =>
      Effect.fail(
        defectFailure(defect, {
          provider: provider.kind,
          providerId: c.provider.id,
          model: c.model.name,
          keyId: key.id,
          keyFingerprint: key.fingerprint,
          secrets: [Redacted.value(key.secret)]
        })
      )
    ),
    Effect.matchEffect({
      onFailure: (failure) =>
        Effect.flatMap(settleFailure(deps, state, h, failure), (error) =>
          Effect.andThen(Effect.annotateCurrentSpan("error.type", error.classification.class), Effect.fail(error))
        ),
      onSuccess: (a) => exchange.onSuccess(deps, state, h, a)
    })
  )
})

/** `effect` under the candidate's breakers: admitted, or skipped unsent. */
export const guarded = <B>(
  deps: EngineDeps,
  state: RequestState,
  c: Candidate,
  effect: Effect.Effect<B, AttemptError>
): Effect.Effect<B, AttemptError> =>
  deps.breakers
    .run({ provider: c.provider.id, model: c.model.name }, effect, (e) =>
      e._tag === "CallFailed" ? e.classification : NOT_A_CALL
    )
    .pipe(
      Effect.catchTag("CircuitOpen", (e) => {
        const error = BreakerRejected({ candidate: c, retryAfterMs: e.retryAfterMs })
        return Effect.andThen(skip(deps, state, c, "circuit_open", error), Effect.fail(error))
      })
    )

const completing: Exchange<Completion, Completion> = {
  invoke: (provider, request, h) =>
    Effect.flatMap(provider.complete(request), (completion) => {
      const refused = refusalOf(h, completion)
      return refused === undefined ? Effect.succeed(completion) : Effect.fail(refused)
    }),
  onSuccess: (deps, state, h, completion) =>
    Effect.andThen(
      settleSuccess(deps, state, h, completion.usage),
      Effect.as(annotateSuccess(completion.model, completion.usage), completion)
    )
}

/** One execution-plan attempt of `complete`. */
export const attemptComplete: Attempt<Completion> = (deps, state, request) =>
  Effect.flatMap(Effect.service(Target), (c) => guarded(deps, state, c, call(deps, state, request, c, completing)))
