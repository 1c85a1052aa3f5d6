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
import { Deferred, Effect, Fiber, Stream } from "effect"
import { TestClock } from "effect/testing"
import { call, harness } from "./support.ts"

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

  it.effect("a reset after headers: network after the JSON headers; in a stream, network before content", () =>
    Effect.gen(function* () {
      expectKind(yield* completeFails("reset_after_headers"), "network", true)
      const s = yield* streamFails("reset_after_headers")
      // Nothing went downstream yet, so a retry duplicates nothing.
      expectKind(s, "network", false)
      assert.deepInclude(classify(s), { class: "network", scope: "provider", retryable: true })
    })
  )

  // The fake's Anthropic stream: message_start, content_block_start, ping, then text deltas.
  const BEFORE_CONTENT = 3
  const AFTER_CONTENT = 5

  it.effect("a cut body fails after bytes; a cut stream is kind stream once content went out", () =>
    Effect.gen(function* () {
      expectKind(yield* completeFails("stream_cut"), "network", true)
      expectKind(yield* streamFails({ fault: "stream_cut", afterChunks: BEFORE_CONTENT }), "network", false)
      const s = yield* streamFails({ fault: "stream_cut", afterChunks: AFTER_CONTENT })
      expectKind(s, "stream", true)
      assert.deepInclude(classify(s), { class: "stream_interrupted", scope: "provider", retryable: false })
    })
  )

  it.effect("malformed JSON is a decode failure; a stream of nothing but bad events is one too", () =>
    Effect.gen(function* () {
      const f = yield* completeFails("malformed_json")
      expectKind(f, "decode", true)
      assert.deepInclude(classify(f), { class: "server_error", scope: "provider" })
      // One bad event is skipped (MalformedEventsAreSkippedAndDripsComplete); a garbage stream fails.
      expectKind(yield* streamFails({ fault: "malformed_json", everyEvent: true }), "decode", false)
    })
  )

  it.effect("a truncated body is a decode failure; a stream that stops inside an event never finished", () =>
    Effect.gen(function* () {
      expectKind(yield* completeFails("truncated_body"), "decode", true)
      // The SDK drops the unfinished event, so the stream just ends without message_stop.
      const early = yield* streamFails({ fault: "truncated_body", afterChunks: BEFORE_CONTENT })
      expectKind(early, "stream", false)
      assert.strictEqual(early.message, "The stream ended before message_stop.")
      assert.isTrue(classify(early).retryable)
      const late = yield* streamFails({ fault: "truncated_body", afterChunks: AFTER_CONTENT })
      expectKind(late, "stream", true)
      assert.isFalse(classify(late).retryable)
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

  it.effect("a stall times out: kind timeout before content, kind stream (stalled) after it", () =>
    Effect.gen(function* () {
      const stall = (afterChunks: number) => ({ fault: "stall" as const, stallMs: 60_000, afterChunks })
      const h = yield* harness({ script: [{ sequence: [stall(1), stall(BEFORE_CONTENT), stall(AFTER_CONTENT)] }] })
      const fiber = yield* Effect.forkChild(Effect.flip(h.provider.complete(call({ timeoutMs: 5_000 }))))
      yield* Effect.promise(() => h.fetchStarted(0).then((c) => c.headers))
      yield* TestClock.adjust(5_000)
      expectKind(yield* Fiber.join(fiber), "timeout", true)

      // Waits for the headers, and (when content precedes the stall) for the first text chunk,
      // then moves the clock past the timeout.
      const stalledStream = (n: number, waitForText: boolean) =>
        Effect.gen(function* () {
          const firstText = yield* Deferred.make<void>()
          const fiber = yield* Effect.forkChild(
            Effect.flip(
              Stream.runForEach(h.provider.stream(call({ timeoutMs: 5_000 })), (c) =>
                c._tag === "TextDelta" ? Deferred.succeed(firstText, undefined) : Effect.void
              )
            )
          )
          yield* Effect.promise(() => h.fetchStarted(n).then((c) => c.headers))
          if (waitForText) yield* Deferred.await(firstText)
          // The timer restarts at every chunk, so a chunk still in flight may arm it after a
          // single adjustment: move the clock until the silence bound fires.
          while (fiber.pollUnsafe() === undefined) {
            yield* TestClock.adjust(5_000)
            yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
          }
          return yield* Fiber.join(fiber)
        })
      const early = yield* stalledStream(1, false)
      expectKind(early, "timeout", false)
      assert.deepInclude(classify(early), { class: "timeout", retryable: true })
      const late = yield* stalledStream(2, true)
      expectKind(late, "stream", true)
      assert.match(late.message, /stalled/)
      assert.deepInclude(classify(late), { class: "stream_interrupted", retryable: false })
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
