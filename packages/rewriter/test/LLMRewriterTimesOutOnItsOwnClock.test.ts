import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { makeLLM } from "../src/index.ts"
import { conversation, key, recording } from "./fixtures.ts"

describe("LLM rewriter times out on its own clock", () => {
  it.effect("a provider slower than the default 10 s → timeout after 10 s", () =>
    Effect.gen(function* () {
      const { provider } = recording({ script: [{ delayMs: 60_000 }], reply: "a rewrite" })
      const fiber = yield* makeLLM({ provider, model: "m", key })
        .rewrite({ messages: conversation, reason: "x" })
        .pipe(Effect.flip, Effect.forkChild)
      yield* TestClock.adjust("9999 millis")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("1 millis")
      const e = yield* Fiber.join(fiber)
      assert.strictEqual(e.reason, "timeout")
      assert.strictEqual(e.latencyMs, 10_000)
      assert.include(e.message, "10s")
    })
  )

  it.effect("the configured timeout is used, and also passed to the provider call", () =>
    Effect.gen(function* () {
      const { provider, seen } = recording({ script: [{ delayMs: 5_000 }], reply: "a rewrite" })
      const fiber = yield* makeLLM({ provider, model: "m", key, timeout: "2 seconds" })
        .rewrite({ messages: conversation, reason: "x" })
        .pipe(Effect.flip, Effect.forkChild)
      yield* TestClock.adjust("2 seconds")
      const e = yield* Fiber.join(fiber)
      assert.strictEqual(e.reason, "timeout")
      assert.strictEqual(e.latencyMs, 2_000)
      assert.strictEqual(seen[0]!.timeoutMs, 2_000)
    })
  )

  it.effect("a provider within the timeout succeeds and the latency is the Clock's", () =>
    Effect.gen(function* () {
      const { provider } = recording({ script: [{ delayMs: 3_000 }], reply: "How can I stop the Java process?" })
      const fiber = yield* makeLLM({ provider, model: "m", key })
        .rewrite({ messages: conversation, reason: "x" })
        .pipe(Effect.forkChild)
      yield* TestClock.adjust("3 seconds")
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.latencyMs, 3_000)
      assert.deepStrictEqual(result.messages[3], { role: "user", content: "How can I stop the Java process?" })
    })
  )

  it.effect("a key source that hangs is bounded by the same timeout", () =>
    Effect.gen(function* () {
      const { provider } = recording({})
      const fiber = yield* makeLLM({ provider, model: "m", key: Effect.never, timeout: "1 second" })
        .rewrite({ messages: conversation, reason: "x" })
        .pipe(Effect.flip, Effect.forkChild)
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* Fiber.join(fiber)).reason, "timeout")
      assert.strictEqual(provider.calls.length, 0)
    })
  )
})
