/**
 * A `ProviderFailure` is built on every failed provider call; it is data about the remote call,
 * so it is built without capturing a stack (~25 µs a call in `./am bench engine`). It is still an
 * Error with its message and fields, still validated, and building one — valid or not — leaves
 * the process's `Error.stackTraceLimit` as it was.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { ProviderFailure, Tracing } from "../src/index.ts"

const failure = () =>
  new ProviderFailure({
    provider: "openai",
    kind: "http",
    status: 503,
    message: "overloaded",
    responseBytesReceived: true
  })

describe("provider failures are data without a stack", () => {
  it("is an Error with its message and fields, and no stack frames", () => {
    const f = failure()
    assert.instanceOf(f, Error)
    assert.strictEqual(f._tag, "ProviderFailure")
    assert.strictEqual(f.message, "overloaded")
    assert.strictEqual(f.status, 503)
    assert.notMatch(f.stack ?? "", /\n\s+at /)
  })

  it("leaves Error.stackTraceLimit as it was, also when the fields are invalid", () => {
    const before = Error.stackTraceLimit
    failure()
    assert.strictEqual(Error.stackTraceLimit, before)
    assert.throws(
      () =>
        new ProviderFailure({ provider: "openai", kind: "bogus" as never, message: "x", responseBytesReceived: true })
    )
    assert.strictEqual(Error.stackTraceLimit, before)
    // Other errors keep their stacks.
    assert.match(new Error("elsewhere").stack ?? "", /\n\s+at /)
  })

  it.effect("still fails an effect as a typed failure", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(Effect.fail(failure()))
      assert.isTrue(Exit.isFailure(exit))
      const error = yield* Effect.flip(Effect.fail(failure()))
      assert.strictEqual(error.kind, "http")
    })
  )

  it("Tracing.unstacked builds errors without frames and restores the limit, also when it throws", () => {
    const before = Error.stackTraceLimit
    assert.notMatch(Tracing.unstacked(() => new Error("control flow")).stack ?? "", /\n\s+at /)
    assert.throws(() =>
      Tracing.unstacked(() => {
        throw new Error("thrown while building")
      })
    )
    assert.strictEqual(Error.stackTraceLimit, before)
  })
})
