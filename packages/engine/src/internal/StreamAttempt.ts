/**
 * A streaming attempt: open the provider's stream in its own scope (closed at once if the
 * attempt fails, so the upstream is released before failing over) and read it up to the first
 * content token within the first-token and stall timeouts. A finish before any content is an
 * empty answer, unless it is a refusal or a content filter — then it fails like `complete` would.
 * The call runs on a fiber of the stream's scope whose breaker-guarded effect lasts until the
 * stream ends, so the breakers see one outcome per call — the stream's — as for `complete`.
 */
import type { Provider, ProviderCall, ProviderFailure } from "@am/core"
import { Clock, Deferred, Duration, Effect, Exit, Fiber, Pull, Scope, Stream } from "effect"
import type { StreamSpec } from "../EngineConfig.ts"
import { type Attempt, annotateSuccess, call, type Exchange, guarded } from "./Attempt.ts"
import type { Candidate } from "./Plan.ts"
import type { AttemptError, CallFailed, CallHandle, RequestState } from "./RequestState.ts"
import type { EngineDeps } from "./Deps.ts"
import { hedged, hedgeFor } from "./StreamHedge.ts"
import { Target } from "./RequestState.ts"
import { refusalOf, streamFailure } from "./Settle.ts"
import { type Committed, isContent, type NonEmptyChunks, type Opened } from "./StreamRelay.ts"

/** Opens the provider's stream and reads up to its first content (a module-level generator: docs/performance.md). */
const openAttempt = Effect.fnUntraced(function* (
  provider: Provider,
  request: ProviderCall,
  h: CallHandle,
  state: RequestState,
  limits: StreamSpec,
  attemptScope: Scope.Closeable
) {
  // The provider's per-attempt `timeout` is for non-streamed calls only: a stream is bounded
  // by the first-token and stall timeouts (here and in the relay) and the request deadline,
  // so the adapter gets the time left as its bound on silence, never the provider timeout.
  const open = provider.stream({
    ...request,
    timeoutMs: Math.max(1, state.deadlineAt - h.started),
    // Skipped (unparsable) events: counted for the ledger entry and the metrics.
    onMalformedEvent: () => {
      state.malformed.set(h.c, (state.malformed.get(h.c) ?? 0) + 1)
    }
  })
  const pull = yield* Stream.toPull(open).pipe(Scope.provide(attemptScope))
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
      Pull.catchDone(() => Effect.fail(streamFailure(h, "stream", "stream ended before any content or finish", false))),
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
        return Effect.map(
          Clock.currentTimeMillis,
          (firstTokenAt): Opened => ({
            first,
            pull,
            firstTokenAt,
            release: Scope.close(attemptScope, Exit.void)
          })
        )
      })
    )
  })
  return yield* awaitFirst
})

const streaming = (
  scope: Scope.Scope,
  limits: StreamSpec,
  state: RequestState
): Exchange<Opened, Omit<Committed, "ended" | "fiber">> => ({
  invoke: (provider, request, h) =>
    Effect.flatMap(Scope.fork(scope), (attemptScope) =>
      openAttempt(provider, request, h, state, limits, attemptScope).pipe(
        Effect.onExit((exit) => (Exit.isFailure(exit) ? Scope.close(attemptScope, exit) : Effect.void))
      )
    ),
  // Committed: the attempt counts as a success so far; the stream's end settles it for good.
  onSuccess: (_deps, state, h, opened) =>
    Effect.andThen(
      annotateSuccess(h.c.model.name, undefined),
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
    )
})

/**
 * One execution-plan attempt of `stream`: succeeds at the first content token. On a hedging
 * route the next candidate of `pool` (the plan's, or the continuation's) starts beside it after
 * `hedgeAfter` without content, and the first to send content wins (`StreamHedge.ts`).
 */
export const attemptStream =
  (scope: Scope.Scope, limits: StreamSpec, pool?: ReadonlyArray<Candidate>): Attempt<Committed> =>
  (deps, state, request) =>
    Effect.flatMap(Effect.service(Target), (c) => {
      const hedge = hedgeFor(deps, state, c, pool)
      const once = (x: Candidate) => attemptOne(scope, limits, deps, state, request, x)
      return hedge === undefined ? once(c) : hedged(deps, state, c, hedge, once)
    })

const attemptOne: (
  scope: Scope.Scope,
  limits: StreamSpec,
  deps: EngineDeps,
  state: RequestState,
  request: ProviderCall["request"],
  c: Candidate
) => Effect.Effect<Committed, AttemptError> = Effect.fnUntraced(function* (
  scope: Scope.Scope,
  limits: StreamSpec,
  deps: EngineDeps,
  state: RequestState,
  request: ProviderCall["request"],
  c: Candidate
) {
  const committed = yield* Deferred.make<Omit<Committed, "ended" | "fiber">>()
  const ended = yield* Deferred.make<void, CallFailed>()
  const lifetime = Effect.flatMap(call(deps, state, request, c, streaming(scope, limits, state)), (opened) =>
    Effect.andThen(Deferred.succeed(committed, opened), Deferred.await(ended))
  )
  const fiber = yield* Effect.forkIn(guarded(deps, state, c, lifetime), scope)
  const opened = yield* Effect.raceFirst(
    Deferred.await(committed),
    Effect.flatMap(Fiber.join(fiber), () => Effect.die(new Error("stream call settled before its commit")))
  ).pipe(Effect.onInterrupt(() => Fiber.interrupt(fiber)))
  return { ...opened, ended, fiber } satisfies Committed
})
