/**
 * The lifecycle every adapter call shares: an abort signal tied to the call's scope, and the
 * adapter's own timers — over a whole (non-streamed) answer, and over a stream's silences (never
 * its length). The SDKs have timers too, but openai's and Anthropic's stop at the response
 * headers and @google/genai's stays armed over the whole body (so a Gemini stream must not be
 * handed the call's timeout); only these bound a body that stalls, and only on silence.
 *
 * @example
 * ```ts
 * import { timeoutCall } from "@am/provider-utils"
 * import { Effect } from "effect"
 * const answer = Effect.never.pipe(timeoutCall(50, () => "timed out" as const))
 * // Effect<never, "timed out">
 * ```
 * @since 0.1.0
 */
import { Effect, Function, type Scope, Stream } from "effect"

/**
 * An `AbortController` aborted when the surrounding scope closes (end, failure, interruption,
 * timeout). Streams need it: an SDK's async iterator cannot be returned while a read is pending,
 * but an abort reaches the socket at once.
 *
 * @example
 * ```ts
 * import { abortOnClose } from "@am/provider-utils"
 * import { Effect } from "effect"
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const controller = yield* abortOnClose
 *     return controller.signal.aborted // false here, true once the scope closes
 *   })
 * )
 * ```
 */
export const abortOnClose: Effect.Effect<AbortController, never, Scope.Scope> = Effect.acquireRelease(
  Effect.sync(() => new AbortController()),
  (controller) => Effect.sync(() => controller.abort())
)

/**
 * Fails a whole (non-streamed) call with `onTimeout()` after `timeoutMs`; the interruption
 * aborts the call's HTTP request through its `AbortSignal`.
 *
 * @example
 * ```ts
 * import { timeoutCall } from "@am/provider-utils"
 * import { Effect } from "effect"
 * const slow = Effect.sleep("1 second").pipe(Effect.as("late"))
 * const bounded = timeoutCall(slow, 10, () => new Error("no answer within 10 ms"))
 * ```
 */
export const timeoutCall: {
  <E2>(timeoutMs: number, onTimeout: () => E2): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | E2, R>
  <A, E, R, E2>(self: Effect.Effect<A, E, R>, timeoutMs: number, onTimeout: () => E2): Effect.Effect<A, E | E2, R>
} = Function.dual(
  3,
  <A, E, R, E2>(self: Effect.Effect<A, E, R>, timeoutMs: number, onTimeout: () => E2): Effect.Effect<A, E | E2, R> =>
    Effect.timeoutOrElse(self, {
      duration: timeoutMs,
      // Built when the timer fires, so the failure sees what had arrived by then.
      orElse: () => Effect.fail(onTimeout())
    })
)

/**
 * Fails a stream with `onTimeout()` when it has been silent for `timeoutMs`: no element for that
 * long — before the response headers, before the first chunk, or between two chunks. It never
 * bounds a stream's whole length, so a healthy stream (a token every 400 ms for minutes) is never
 * cut by it; a silent one is, and closing its scope aborts the HTTP request. This is how a
 * stream applies the call's `timeoutMs` (the engine passes the request's time left and runs its
 * own first-token and stall timers; direct library use gets a bound on silence).
 *
 * @example
 * ```ts
 * import { timeoutStream } from "@am/provider-utils"
 * import { Stream } from "effect"
 * const stalled = Stream.never.pipe(timeoutStream(10, () => new Error("no chunk for 10 ms")))
 * ```
 */
export const timeoutStream: {
  <E2>(timeoutMs: number, onTimeout: () => E2): <A, E, R>(self: Stream.Stream<A, E, R>) => Stream.Stream<A, E | E2, R>
  <A, E, R, E2>(self: Stream.Stream<A, E, R>, timeoutMs: number, onTimeout: () => E2): Stream.Stream<A, E | E2, R>
} = Function.dual(
  3,
  <A, E, R, E2>(self: Stream.Stream<A, E, R>, timeoutMs: number, onTimeout: () => E2): Stream.Stream<A, E | E2, R> =>
    // Timed per pull, so the clock restarts at every element.
    Stream.timeoutOrElse(self, {
      duration: timeoutMs,
      // Built when the timer fires, so the failure sees what had arrived by then.
      orElse: () => Stream.suspend(() => Stream.fail(onTimeout()))
    })
)
