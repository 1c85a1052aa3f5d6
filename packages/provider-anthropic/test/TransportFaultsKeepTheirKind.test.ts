/**
 * Connection-level faults from the fake upstream, through the official SDK: each becomes a
 * ProviderFailure of the right kind, with `responseBytesReceived` telling whether the response
 * had started. Timeouts run on the TestClock: the test waits for the request (or its headers) to
 * reach the upstream, then moves the clock past the call's timeout.
 */
import { classify } from "@am/classifier"
import type { ProviderFailure } from "@am/core"
import type { Step } from "@am/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Stream } from "effect"
import { TestClock } from "effect/testing"
import { call, harness } from "./support/Harness.ts"

const completeFails = (step: Step) =>
  Effect.gen(function* () {
    const h = yield* harness({ script: [{ sequence: [step] }] })
    return yield* Effect.flip(h.provider.complete(call()))
  }).pipe(Effect.scoped)

const streamFails = (step: Step) =>
  Effect.gen(function* () {
    const h = yield* harness({ script: [{ sequence: [step] }] })
    return yield* Effect.flip(Stream.runDrain(h.provider.stream(call())))
  }).pipe(Effect.scoped)

const expectKind = (f: ProviderFailure, kind: ProviderFailure["kind"], bytes: boolean) => {
  assert.strictEqual(f.kind, kind, f.message)
  assert.strictEqual(f.responseBytesReceived, bytes)
  assert.isUndefined(f.status)
  assert.strictEqual(f.provider, "anthropic")
}

describe("transport faults", () => {
  it.effect("a reset before headers is a network failure with no response bytes", () =>
    Effect.gen(function* () {
      const f = yield* completeFails("reset_before_headers")
      expectKind(f, "network", false)
      assert.deepInclude(classify(f), { class: "network", scope: "provider", retryable: true })
      expectKind(yield* streamFails("reset_before_headers"), "network", false)
    })
  )

  it.effect("a reset after headers is a network failure (JSON) or a stream failure (SSE) after bytes", () =>
    Effect.gen(function* () {
      expectKind(yield* completeFails("reset_after_headers"), "network", true)
      const s = yield* streamFails("reset_after_headers")
      expectKind(s, "stream", true)
      assert.deepInclude(classify(s), { class: "stream_interrupted", scope: "provider", retryable: false })
    })
  )

  it.effect("a cut body or stream fails after bytes", () =>
    Effect.gen(function* () {
      expectKind(yield* completeFails("stream_cut"), "network", true)
      expectKind(yield* streamFails({ fault: "stream_cut", afterChunks: 3 }), "stream", true)
    })
  )

  it.effect("malformed JSON, in a body or in an SSE event, is a decode failure", () =>
    Effect.gen(function* () {
      const f = yield* completeFails("malformed_json")
      expectKind(f, "decode", true)
      assert.deepInclude(classify(f), { class: "server_error", scope: "provider" })
      expectKind(yield* streamFails({ fault: "malformed_json", afterChunks: 3 }), "decode", true)
    })
  )

  it.effect("a truncated body is a decode failure; a stream that stops inside an event never finished", () =>
    Effect.gen(function* () {
      expectKind(yield* completeFails("truncated_body"), "decode", true)
      // The SDK drops the unfinished event, so the stream just ends without message_stop.
      const s = yield* streamFails({ fault: "truncated_body", afterChunks: 3 })
      expectKind(s, "stream", true)
      assert.strictEqual(s.message, "The stream ended before message_stop.")
    })
  )

  it.effect("a hung request times out after timeoutMs with no response bytes", () =>
    Effect.gen(function* () {
      const h = yield* harness({ script: [{ sequence: ["hang", "hang"] }] })
      const fiber = yield* Effect.forkChild(Effect.flip(h.provider.complete(call({ timeoutMs: 5_000 }))))
      const started = yield* Effect.promise(() => h.fetchStarted(0))
      yield* TestClock.adjust(5_000)
      const f = yield* Fiber.join(fiber)
      expectKind(f, "timeout", false)
      assert.deepInclude(classify(f), { class: "timeout", scope: "provider" })
      assert.isTrue(started.signal?.aborted, "the timed-out HTTP request was aborted")

      const streamFiber = yield* Effect.forkChild(
        Effect.flip(Stream.runDrain(h.provider.stream(call({ timeoutMs: 5_000 }))))
      )
      const streamStarted = yield* Effect.promise(() => h.fetchStarted(1))
      yield* TestClock.adjust(5_000)
      expectKind(yield* Fiber.join(streamFiber), "timeout", false)
      assert.isTrue(streamStarted.signal?.aborted)
    }).pipe(Effect.scoped)
  )

  it.effect("the config's timeoutMs applies when the call names none", () =>
    Effect.gen(function* () {
      const h = yield* harness({ script: [{ sequence: ["hang"] }], timeoutMs: 2_000 })
      const fiber = yield* Effect.forkChild(Effect.flip(h.provider.complete(call())))
      yield* Effect.promise(() => h.fetchStarted(0))
      yield* TestClock.adjust(1_999)
      assert.isUndefined(fiber.pollUnsafe(), "not before the timeout")
      yield* TestClock.adjust(1)
      expectKind(yield* Fiber.join(fiber), "timeout", false)
    }).pipe(Effect.scoped)
  )

  it.effect("a stall after headers times out with responseBytesReceived true", () =>
    Effect.gen(function* () {
      const h = yield* harness({
        script: [
          {
            sequence: [
              { fault: "stall", stallMs: 60_000 },
              { fault: "stall", stallMs: 60_000, afterChunks: 3 }
            ]
          }
        ]
      })
      const fiber = yield* Effect.forkChild(Effect.flip(h.provider.complete(call({ timeoutMs: 5_000 }))))
      yield* Effect.promise(() => h.fetchStarted(0).then((c) => c.headers))
      yield* TestClock.adjust(5_000)
      expectKind(yield* Fiber.join(fiber), "timeout", true)

      const chunks: Array<string> = []
      const streamFiber = yield* Effect.forkChild(
        Effect.flip(
          Stream.runForEach(h.provider.stream(call({ timeoutMs: 5_000 })), (c) =>
            Effect.sync(() => chunks.push(c._tag))
          )
        )
      )
      yield* Effect.promise(() => h.fetchStarted(1).then((c) => c.headers))
      yield* TestClock.adjust(5_000)
      const s = yield* Fiber.join(streamFiber)
      expectKind(s, "timeout", true)
    }).pipe(Effect.scoped)
  )

  it.effect("added latency still answers", () =>
    Effect.gen(function* () {
      const h = yield* harness({ script: [{ sequence: [{ fault: "latency", latencyMs: 30 }] }] })
      const c = yield* h.provider.complete(call())
      assert.strictEqual(c.finishReason, "stop")
    }).pipe(Effect.scoped)
  )
})
