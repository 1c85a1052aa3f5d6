/**
 * `Tracing.withSpan` and `Tracing.fn` build spans exactly as `Effect.withSpan` / `Effect.fn` do
 * while the tracer is on, and leave no trace of themselves when it is off: no span, no parent,
 * and no stack frame under which Effect would re-annotate every failure of the request.
 */
import { Cause, Effect, Exit, References, Tracer } from "effect"
import { assert, describe, it } from "vitest"
import { Tracing } from "../src/index.ts"

/** A tracer that keeps the names of the spans it is asked to build. */
const recording = () => {
  const names: Array<string> = []
  const tracer = Tracer.make({
    span(options) {
      names.push(options.name)
      return new Tracer.NativeSpan(options)
    }
  })
  return { names, tracer }
}

const lookup = Tracing.fn("Directory.lookup")(function* (id: string) {
  if (id === "") return yield* Effect.fail("empty id")
  return id.toUpperCase()
})

/** How many annotations the first reason of a failed exit carries (stack frames among them). */
const annotationsOf = (exit: Exit.Exit<unknown, unknown>): number => {
  assert.isTrue(Exit.isFailure(exit))
  if (!Exit.isFailure(exit)) return -1
  return exit.cause.reasons[0]!.annotations.size
}

const tracerOn = <A, E>(effect: Effect.Effect<A, E>, tracer: Tracer.Tracer) =>
  effect.pipe(Effect.provideService(Tracer.Tracer, tracer), Effect.provideService(References.TracerEnabled, true))
const tracerOff = <A, E>(effect: Effect.Effect<A, E>, tracer: Tracer.Tracer) =>
  effect.pipe(Effect.provideService(Tracer.Tracer, tracer), Effect.provideService(References.TracerEnabled, false))

describe("spans cost nothing with the tracer off", () => {
  it("with the tracer on, withSpan and fn build their spans, nested under each other", async () => {
    const { names, tracer } = recording()
    const program = Effect.gen(function* () {
      const value = yield* lookup("a")
      const parent = yield* Effect.currentParentSpan
      return { value, parent: parent._tag === "Span" ? parent.name : parent._tag }
    }).pipe(Tracing.withSpan("Directory.program"))
    const out = await Effect.runPromise(tracerOn(program, tracer))
    assert.deepStrictEqual(out, { value: "A", parent: "Directory.program" })
    assert.deepStrictEqual(names, ["Directory.program", "Directory.lookup"])
  })

  it("with the tracer off, no span is asked for and the effect sees no parent span", async () => {
    const { names, tracer } = recording()
    const program = Effect.gen(function* () {
      const value = yield* lookup("a")
      const parent = yield* Effect.exit(Effect.currentParentSpan)
      return { value, hasParent: Exit.isSuccess(parent) }
    }).pipe(Tracing.withSpan("Directory.program"))
    const out = await Effect.runPromise(tracerOff(program, tracer))
    assert.deepStrictEqual(out, { value: "A", hasParent: false })
    assert.deepStrictEqual(names, [])
  })

  it("with the tracer off, a failure under them carries no stack frame (Effect.withSpan's would)", async () => {
    const { tracer } = recording()
    const failing = lookup("").pipe(Effect.mapError((e) => `lookup: ${e}`))
    const ours = await Effect.runPromise(
      Effect.exit(tracerOff(failing.pipe(Tracing.withSpan("Directory.program")), tracer))
    )
    const effects = await Effect.runPromise(
      Effect.exit(tracerOff(failing.pipe(Effect.withSpan("Directory.program")), tracer))
    )
    // The same typed failure either way…
    assert.deepStrictEqual(
      [
        Cause.squash(Exit.isFailure(ours) ? ours.cause : Cause.empty),
        Cause.squash(Exit.isFailure(effects) ? effects.cause : Cause.empty)
      ],
      ["lookup: empty id", "lookup: empty id"]
    )
    // …but Effect's own span frame annotates it even with no tracer reading it; ours does not.
    assert.isAbove(annotationsOf(effects), 0)
    assert.strictEqual(annotationsOf(ours), 0)
  })

  it("with the tracer on, a failure keeps the span's frames for error reports", async () => {
    const { tracer } = recording()
    const exit = await Effect.runPromise(
      Effect.exit(tracerOn(lookup("").pipe(Tracing.withSpan("Directory.program")), tracer))
    )
    assert.isAbove(annotationsOf(exit), 0)
  })
})
