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

  it.effect("a stream that has not ended in time fails after what it had emitted", () =>
    Effect.gen(function* () {
      const stream = Stream.make(1, 2).pipe(
        Stream.concat(Stream.never),
        timeoutStream(50, () => "stalled" as const)
      )
      const seen: Array<number> = []
      const fiber = yield* Stream.runForEach(stream, (n) => Effect.sync(() => seen.push(n))).pipe(Effect.forkChild)
      yield* TestClock.adjust("50 millis")
      const exit = yield* Fiber.await(fiber)
      assert.deepStrictEqual(exit, Exit.fail("stalled"))
      assert.deepStrictEqual(seen, [1, 2])
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
