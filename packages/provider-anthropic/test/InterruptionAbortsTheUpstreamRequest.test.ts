/**
 * Interrupting the fiber that runs a call aborts its HTTP request: the AbortSignal the SDK hands
 * to `fetch` fires, so the upstream connection is closed rather than left to run.
 */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Stream } from "effect"
import { call, harness } from "./support.ts"

describe("interruption", () => {
  it.effect("interrupting complete() aborts the in-flight request", () =>
    Effect.gen(function* () {
      const h = yield* harness({ script: [{ sequence: ["hang"] }] })
      const fiber = yield* Effect.forkChild(h.provider.complete(call()))
      const started = yield* Effect.promise(() => h.fetchStarted(0))
      assert.isFalse(started.signal?.aborted)
      yield* Fiber.interrupt(fiber)
      assert.isTrue(started.signal?.aborted)
    }).pipe(Effect.scoped)
  )

  it.effect("interrupting a stream mid-answer aborts the request, even while a read is pending", () =>
    Effect.gen(function* () {
      const h = yield* harness({ script: [{ sequence: [{ fault: "stall", stallMs: 60_000, afterChunks: 4 }] }] })
      const firstText = yield* Deferred.make<string>()
      const fiber = yield* Effect.forkChild(
        Stream.runForEach(h.provider.stream(call()), (chunk) =>
          chunk._tag === "TextDelta" ? Deferred.succeed(firstText, chunk.text) : Effect.void
        )
      )
      const text = yield* Deferred.await(firstText)
      assert.isTrue(text.length > 0)
      const started = h.fetches[0]!
      assert.isFalse(started.signal?.aborted, "still streaming (stalled) before the interrupt")
      yield* Fiber.interrupt(fiber)
      assert.isTrue(started.signal?.aborted)
    }).pipe(Effect.scoped)
  )

  it.effect("a stream that finished normally leaves nothing running", () =>
    Effect.gen(function* () {
      const h = yield* harness({})
      const chunks = yield* Stream.runCollect(h.provider.stream(call()))
      assert.strictEqual(chunks.at(-1)?._tag, "Finish")
      assert.strictEqual(h.fetches.length, 1)
      // Once message_stop is in, the adapter ends the stream and releases the request.
      assert.isTrue(h.fetches[0]!.signal?.aborted)
    }).pipe(Effect.scoped)
  )
})
