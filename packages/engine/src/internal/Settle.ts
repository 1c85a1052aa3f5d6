/**
 * Settling a call: a failure is classified and recorded, and the keyring, the retry budget and
 * model health learn of it; a success is recorded, heals the key and refills the budget. These
 * are the side effects the decision table (`Decision.ts`) leaves outside.
 */
import { contentFailureOf } from "@am/classifier"
import {
  type AttemptRecord,
  type Classification,
  type Completion,
  ProviderFailure,
  sanitizeMessage,
  type Usage
} from "@am/core"
import { Clock, Effect, Redacted } from "effect"
import { type EngineDeps, publish } from "./Deps.ts"
import { CallFailed, type CallHandle, type RequestState } from "./RequestState.ts"

const failureFields = (f: ProviderFailure, c: Classification) => {
  const retryAfterMs = f.retryAfterMs ?? c.retryAfterMs
  return {
    ...(f.status !== undefined ? { status: f.status } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {})
  }
}

/** Records the attempt at `at` (the committed stream's) or appends it. */
const put = (state: RequestState, record: AttemptRecord, at: number | undefined) => {
  if (at === undefined) state.attempts.push(record)
  else state.attempts[at] = record
}

/** A failed call: classify, record, tell the keyring, the budget and the model health. */
export const settleFailure: (
  deps: EngineDeps,
  state: RequestState,
  h: CallHandle,
  failure: ProviderFailure,
  at?: number
) => Effect.Effect<CallFailed> = Effect.fnUntraced(function* (
  deps: EngineDeps,
  state: RequestState,
  h: CallHandle,
  failure: ProviderFailure,
  at?: number
) {
  const { c, key, ref, base, started } = h
  const latencyMs = (yield* Clock.currentTimeMillis) - started
  const classification = deps.classifier.classify(failure)
  const error = CallFailed({ candidate: c, key: ref, failure, classification })
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
  yield* deps.keyring.report(c.provider.id, c.model.name, key.id, { _tag: "Failure", classification })
  if (classification.retryable && classification.scope === "provider") {
    yield* deps.budget.recordFailure(c.provider.id)
  }
  if (classification.class === "model_not_found") {
    yield* deps.modelHealth.markUnavailable(c.provider.id, c.model.name, classification.errorType)
  }
  yield* publish(deps, {
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
export const settleSuccess: (
  deps: EngineDeps,
  state: RequestState,
  h: CallHandle,
  usage: Usage | undefined,
  at?: number
) => Effect.Effect<void> = Effect.fnUntraced(function* (
  deps: EngineDeps,
  state: RequestState,
  h: CallHandle,
  usage: Usage | undefined,
  at?: number
) {
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
  yield* deps.keyring.report(c.provider.id, c.model.name, key.id, { _tag: "Success" })
  yield* deps.budget.recordSuccess(c.provider.id)
  yield* publish(deps, { topic: "api.call.success", ...base, latencyMs, ...(usage !== undefined ? { usage } : {}) })
})

/** An answer that is a refusal or a content filter, as the failure the classifier reads. */
export const refusalOf = (h: CallHandle, completion: Completion) =>
  contentFailureOf(completion, { providerId: h.c.provider.id, keyId: h.key.id, keyFingerprint: h.key.fingerprint })

/** A failure the engine observes on a stream itself (no token in time, a stall, an early end). */
export const streamFailure = (
  h: CallHandle,
  kind: "timeout" | "stream",
  message: string,
  responseBytesReceived: boolean
) =>
  new ProviderFailure({
    provider: h.kind,
    providerId: h.c.provider.id,
    model: h.c.model.name,
    keyId: h.key.id,
    keyFingerprint: h.key.fingerprint,
    kind,
    message,
    responseBytesReceived
  })
