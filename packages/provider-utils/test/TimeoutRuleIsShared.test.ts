import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Scope, Stream } from "effect"
import { TestClock } from "effect/testing"
import {
  abortOnClose,
  clientFactoryOf,
  DEFAULT_TIMEOUT_MS,
  fetchOf,
  timeoutCall,
  timeoutFor,
  timeoutStream
} from "../src/index.ts"
import { sharedFetch } from "@am/transport"

describe("the timeout rule", () => {
  it("the call's timeout, else the config's, else the default, as a positive whole number", () => {
    assert.strictEqual(timeoutFor(1500, 30_000), 1500)
    assert.strictEqual(timeoutFor(undefined, 30_000), 30_000)
    assert.strictEqual(timeoutFor(undefined, undefined), DEFAULT_TIMEOUT_MS)
    assert.strictEqual(DEFAULT_TIMEOUT_MS, 60_000)
    // The engine hands over a fractional "time left"; the SDKs reject fractions and 0.
    assert.strictEqual(timeoutFor(1234.2, undefined), 1235)
    assert.strictEqual(timeoutFor(0, undefined), 1)
  })

  it.effect("a whole call fails with the adapter's failure when its time is up", () =>
    Effect.gen(function* () {
      const fiber = yield* Effect.never.pipe(
        timeoutCall(100, () => "timed out" as const),
        Effect.forkChild
      )
      yield* TestClock.adjust("99 millis")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("1 millis")
      const exit = yield* Fiber.await(fiber)
      assert.deepStrictEqual(exit, Exit.fail("timed out"))
    })
  )

  it.effect("a stream that drips a token every 400 ms for 60 s is never cut by a 10 s timeout", () =>
    Effect.gen(function* () {
      // 150 tokens, one every 400 ms: six times the timeout in all, never 10 s of silence.
      const drip = Stream.range(1, 150).pipe(Stream.tap(() => Effect.sleep("400 millis")))
      const fiber = yield* drip.pipe(
        timeoutStream(10_000, () => "silent" as const),
        Stream.runCount,
        Effect.forkChild
      )
      for (let i = 0; i < 150; i++) yield* TestClock.adjust("400 millis")
      const exit = yield* Fiber.await(fiber)
      assert.deepStrictEqual(exit, Exit.succeed(150))
    })
  )

  it.effect("a stream silent for the timeout fails after what it had emitted, even late in a long stream", () =>
    Effect.gen(function* () {
      const stream = Stream.range(1, 30).pipe(
        Stream.tap(() => Effect.sleep("1 second")),
        Stream.concat(Stream.never),
        timeoutStream(5_000, () => "silent" as const)
      )
      const seen: Array<number> = []
      const fiber = yield* Stream.runForEach(stream, (n) => Effect.sync(() => seen.push(n))).pipe(Effect.forkChild)
      yield* TestClock.adjust("30 seconds")
      assert.strictEqual(seen.length, 30)
      yield* TestClock.adjust("4999 millis")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("1 millis")
      const exit = yield* Fiber.await(fiber)
      assert.deepStrictEqual(exit, Exit.fail("silent"))
    })
  )
})

describe("the call lifecycle", () => {
  it.effect("the abort controller is aborted when the call's scope closes", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const controller = yield* abortOnClose.pipe(Scope.provide(scope))
      assert.isFalse(controller.signal.aborted)
      yield* Scope.close(scope, Exit.void)
      assert.isTrue(controller.signal.aborted)
    })
  )

  it("the SDK's constructor and the pooled fetch are the defaults; a configured seam wins", () => {
    const construct = (o: { readonly n: number }) => ({ built: "sdk", ...o })
    const factory = (o: { readonly n: number }) => ({ built: "test", ...o })
    assert.strictEqual(clientFactoryOf({}, construct)({ n: 1 }).built, "sdk")
    assert.strictEqual(clientFactoryOf({ clientFactory: factory }, construct)({ n: 1 }).built, "test")
    assert.strictEqual(fetchOf({}), sharedFetch)
    assert.strictEqual(fetchOf({ fetch: globalThis.fetch }), globalThis.fetch)
  })
})
