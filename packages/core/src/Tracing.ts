/**
 * Spans that cost nothing when nothing reads them. Effect builds a span's frame whether or not a
 * tracer is on: with `References.TracerEnabled` false, `Effect.withSpan` still makes a no-op span,
 * provides it as the parent and sets the current stack frame — and under that frame every failure
 * is re-annotated (a fresh `Map` per step it fails through): ~10–15 % of a request that fails
 * over in `./am bench engine`. `Effect.fn` also captures a stack trace on every call.
 * These helpers read the flag once and, when it is off, run the effect as it is.
 *
 * @example
 * ```ts
 * import { Tracing } from "@am/core"
 * import { Effect } from "effect"
 *
 * const lookup = Tracing.fn("Directory.lookup")(function* (id: string) {
 *   return yield* Effect.succeed(id.toUpperCase())
 * })
 * const program = lookup("a").pipe(Tracing.withSpan("Directory.program"))
 * ```
 * @since 0.1.0
 */
import { Effect, References } from "effect"
import type { SpanOptions } from "effect/Tracer"

/**
 * `Effect.withSpan(name, options)` (without a captured stack) while the fiber's tracer is
 * enabled; the effect unchanged otherwise (no span, no stack frame).
 */
export const withSpan = (name: string, options?: SpanOptions) => {
  // Built once; applied only under an enabled tracer.
  const span = Effect.withSpan(name, options ?? {}, { captureStackTrace: false })
  return <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.withFiber((fiber) =>
      fiber.getRef(References.TracerEnabled) ? (span(self) as Effect.Effect<A, E, R>) : self
    )
}

/**
 * `withSpan` for a span whose name and options are computed per call: they are computed only
 * when the tracer is enabled.
 */
export const withSpanOf =
  (make: () => { readonly name: string; readonly options?: SpanOptions }) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.withFiber((fiber) => {
      if (!fiber.getRef(References.TracerEnabled)) return self
      const { name, options } = make()
      return Effect.withSpan(self, name, { ...options, captureStackTrace: false }) as Effect.Effect<A, E, R>
    })

/**
 * `Effect.fn(name)` while the fiber's tracer is enabled (a span per call and its stack frames);
 * `Effect.fnUntraced` otherwise — the same body, without the per-call stack capture and span frame.
 */
export const fn =
  (name: string, options?: SpanOptions) =>
  <Eff extends Effect.Effect<any, any, any>, A, Args extends Array<any>>(
    body: (...args: Args) => Generator<Eff, A, never>
  ): ((
    ...args: Args
  ) => Effect.Effect<
    A,
    [Eff] extends [never] ? never : [Eff] extends [Effect.Effect<infer _A, infer E, infer _R>] ? E : never,
    [Eff] extends [never] ? never : [Eff] extends [Effect.Effect<infer _A, infer _E, infer R>] ? R : never
  >) => {
    const traced = Effect.fn(name, options)(body) as (...args: Args) => Effect.Effect<A, any, any>
    const plain = Effect.fnUntraced(body) as (...args: Args) => Effect.Effect<A, any, any>
    return (...args: Args) =>
      Effect.withFiber((fiber) => (fiber.getRef(References.TracerEnabled) ? traced(...args) : plain(...args)))
  }

/**
 * `make()` with no stack captured by the errors it builds (`Error.stackTraceLimit` 0 meanwhile,
 * restored even when it throws): for errors that are data or control flow, never read for where
 * they were built, on a path where the capture is a measurable share of the cost.
 */
export const unstacked = <A>(make: () => A): A => {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    return make()
  } finally {
    Error.stackTraceLimit = limit
  }
}
