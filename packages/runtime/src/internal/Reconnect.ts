/**
 * A store connection that may come later: the layer (a SQL pool with its migrations, a Redis
 * client) is built once at start, bounded by `attemptTimeoutMs`; when that fails the host starts
 * anyway and a background fiber keeps building it on `retry` until it succeeds. Meanwhile
 * `get()` is undefined and callers take their fallback (spool, local state).
 *
 * Each attempt builds into a scope of its own; closing — at shutdown, or of an attempt that
 * timed out — runs detached and is waited for at most `closeTimeoutMs`, so a store that hangs
 * cannot hold the process's exit.
 *
 * @internal
 */
import { Cause, type Context, Duration, Effect, Exit, Fiber, Layer, Schedule, Scope } from "effect"
import { bounded } from "./StoreGuard.ts"

export interface Connection<S> {
  readonly get: () => Context.Context<S> | undefined
  readonly state: () => { readonly connected: boolean; readonly lastError?: string }
}

export interface ReconnectOptions {
  readonly attemptTimeoutMs: number
  readonly closeTimeoutMs: number
  /** Spacing of the attempts after the first failed (default exponential from 250 ms, capped at 5 s). */
  readonly retry?: Schedule.Schedule<unknown, unknown>
}

const messageOf = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.squash(cause) as { readonly message?: unknown; readonly cause?: { readonly message?: unknown } }
  const own = typeof error === "object" && error !== null && error.message ? String(error.message) : ""
  const inner = typeof error === "object" && error?.cause?.message ? String(error.cause.message) : ""
  return [own, inner].filter((m) => m !== "").join(": ") || String(error)
}

/** Closes `scope` on a detached fiber, waiting at most `ms` for it. */
export const closeBounded = (scope: Scope.Closeable, ms: number): Effect.Effect<void> =>
  Effect.flatMap(Effect.forkDetach(Scope.close(scope, Exit.void)), (fiber) =>
    Fiber.await(fiber).pipe(Effect.timeoutOption(Duration.millis(ms)), Effect.asVoid)
  )

export const make = <S, E>(
  what: string,
  layer: Layer.Layer<S, E>,
  options: ReconnectOptions
): Effect.Effect<Connection<S>, never, Scope.Scope> =>
  Effect.gen(function* () {
    let current: { readonly context: Context.Context<S>; readonly scope: Scope.Closeable } | undefined
    let lastError: string | undefined
    let closed = false
    const attempt = Effect.gen(function* () {
      const scope = yield* Scope.make()
      const exit = yield* Effect.exit(bounded(Layer.buildWithScope(layer, scope), options.attemptTimeoutMs))
      if (Exit.isSuccess(exit) && !closed) {
        current = { context: exit.value, scope }
        lastError = undefined
        return
      }
      yield* Effect.forkDetach(Scope.close(scope, Exit.void))
      lastError = Exit.isSuccess(exit)
        ? "closed"
        : exit.cause.reasons.some((r) => Cause.isFailReason(r) && (r.error as { _tag?: string })._tag === "Timeout")
          ? `no answer within ${options.attemptTimeoutMs} ms`
          : messageOf(exit.cause)
      return yield* Effect.fail(lastError)
    })
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        closed = true
        return current === undefined ? Effect.void : closeBounded(current.scope, options.closeTimeoutMs)
      })
    )
    yield* attempt.pipe(
      Effect.catch((message) =>
        Effect.logWarning(`${what} unreachable at start; serving degraded and reconnecting`, message).pipe(
          Effect.andThen(
            Effect.forkScoped(
              attempt.pipe(
                Effect.retry(
                  options.retry ?? Schedule.min([Schedule.exponential("250 millis"), Schedule.spaced("5 seconds")])
                ),
                Effect.tap(() => Effect.logInfo(`${what} connected; catching up`))
              )
            )
          )
        )
      )
    )
    return {
      get: () => current?.context,
      state: () =>
        current !== undefined ? { connected: true } : { connected: false, lastError: lastError ?? "connecting" }
    }
  })
