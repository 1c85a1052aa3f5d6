import type { CompletionChunk } from "@am/core"
import { Upstream } from "@am/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Stream } from "effect"
import { key1, request, spied, until } from "./support.ts"

describe("interrupting a call aborts its HTTP request", () => {
  it.effect("complete(): interrupting the fiber aborts the in-flight request", () =>
    Effect.gen(function* () {
      const upstream = yield* Upstream.scoped({ kind: "openai", script: [{ sequence: ["hang"] }] })
      const { provider, signals } = spied({ id: "primary", baseURL: upstream.baseURL })
      const fiber = yield* Effect.forkChild(
        provider.complete({ request, model: "gpt-4o", key: key1, timeoutMs: 60_000 })
      )
      yield* until(() => upstream.requests.length === 1 && signals.length === 1)
      assert.isFalse(signals[0]!.aborted)
      const exit = yield* Fiber.interrupt(fiber).pipe(Effect.andThen(Fiber.await(fiber)))
      assert.isTrue(Exit.hasInterrupts(exit))
      yield* until(() => signals[0]!.aborted)
    })
  )

  it.effect("stream(): interrupting mid-stream aborts the request; so does a consumer that stops early", () =>
    Effect.gen(function* () {
      const upstream = yield* Upstream.scoped({
        kind: "openai",
        script: [
          {
            sequence: [
              { fault: "stall", afterChunks: 3, stallMs: 10_000 },
              { fault: "stall", afterChunks: 3, stallMs: 10_000 }
            ]
          }
        ]
      })
      const { provider, signals } = spied({ id: "primary", baseURL: upstream.baseURL })
      const seen: Array<CompletionChunk> = []
      const fiber = yield* Effect.forkChild(
        Stream.runForEach(provider.stream({ request, model: "gpt-4o", key: key1, timeoutMs: 60_000 }), (c) =>
          Effect.sync(() => seen.push(c))
        )
      )
      yield* until(() => seen.length >= 2)
      assert.isFalse(signals[0]!.aborted)
      yield* Fiber.interrupt(fiber)
      yield* until(() => signals[0]!.aborted)

      // Taking only the first chunk closes the stream's scope: the rest is not downloaded.
      const first = yield* Stream.runCollect(Stream.take(provider.stream({ request, model: "gpt-4o", key: key1 }), 1))
      assert.strictEqual(first.length, 1)
      yield* until(() => signals[1]?.aborted === true)
    })
  )
})
