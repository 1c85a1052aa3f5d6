/**
 * Hedging a stream's first token (`stream.routes.<route>.hedgeAfter`): when a candidate has sent
 * no content after `hedgeAfterMs`, the next candidate of the plan starts beside it; the first of
 * the two to send content is the stream's commit and the other is interrupted — its upstream
 * closed, its call recorded as cancelled (both were billed as they were). A candidate that fails
 * before the hedge starts fails as without hedging (the plan decides what follows); after it
 * started, the other one still runs and the race ends with the first success, or with the
 * first candidate's failure when both fail.
 */
import { Cause, Clock, Deferred, Duration, Effect } from "effect"
import { streamRouteOf } from "../EngineConfig.ts"
import type { EngineDeps } from "./Deps.ts"
import { publish } from "./Deps.ts"
import type { Candidate } from "./Plan.ts"
import type { AttemptError, RequestState } from "./RequestState.ts"

/** The candidate a hedge of `c` would start, and when; `undefined` when the route does not hedge. */
export const hedgeFor = (
  deps: EngineDeps,
  state: RequestState,
  c: Candidate,
  pool: ReadonlyArray<Candidate> | undefined
): { readonly next: Candidate; readonly afterMs: number } | undefined => {
  const afterMs = streamRouteOf(deps.config.stream, state.route).hedgeAfterMs
  if (afterMs === undefined) return undefined
  const next = (pool ?? state.candidates ?? []).find((x) => x.index > c.index)
  return next === undefined ? undefined : { next, afterMs }
}

/**
 * Runs `attempt(c)`, and `attempt(next)` beside it once `afterMs` passed without a commit.
 * The loser is interrupted; an in-flight loser's call is recorded as `hedge_cancelled`.
 */
export const hedged = <B>(
  deps: EngineDeps,
  state: RequestState,
  c: Candidate,
  hedge: { readonly next: Candidate; readonly afterMs: number },
  attempt: (c: Candidate) => Effect.Effect<B, AttemptError>
): Effect.Effect<B, AttemptError> =>
  Effect.gen(function* () {
    const firstFailed = yield* Deferred.make<AttemptError>()
    let firstError: AttemptError | undefined
    // An interrupted branch (the loser, or both when the request is stopped) was cancelled
    // mid-call: its call goes on the trail as such.
    const branch = (x: Candidate) =>
      Effect.flatMap(Clock.currentTimeMillis, (at) =>
        attempt(x).pipe(
          Effect.onInterrupt(() =>
            Effect.flatMap(Clock.currentTimeMillis, (now) =>
              Effect.sync(() => {
                state.attempts.push({
                  provider: x.provider.id,
                  model: x.model.name,
                  outcome: "failure",
                  errorType: "hedge_cancelled",
                  message: "cancelled: the other hedged candidate sent content first",
                  latencyMs: now - at
                })
              })
            )
          )
        )
      )
    const first = branch(c).pipe(
      Effect.tapError((e) =>
        Effect.andThen(
          Effect.sync(() => {
            firstError = e
          }),
          Deferred.succeed(firstFailed, e)
        )
      )
    )
    const second = Effect.raceFirst(
      Effect.as(Effect.sleep(Duration.millis(hedge.afterMs)), undefined),
      Deferred.await(firstFailed)
    ).pipe(
      Effect.flatMap((early) =>
        // The first candidate failed before the hedge was due: no hedge, the plan decides.
        early !== undefined
          ? Effect.fail(early)
          : Effect.andThen(
              publish(deps, {
                topic: "stream.hedged",
                requestId: state.requestId,
                provider: c.provider.id,
                model: c.model.name,
                hedgeProvider: hedge.next.provider.id,
                hedgeModel: hedge.next.model.name,
                afterMs: hedge.afterMs
              }),
              branch(hedge.next)
            )
      )
    )
    return yield* Effect.race(first, second).pipe(
      Effect.catchCause((cause) =>
        Cause.hasInterruptsOnly(cause) || firstError === undefined ? Effect.failCause(cause) : Effect.fail(firstError)
      )
    )
  })
