import { classify } from "@am/classifier"
import type { CompletionChunk, ProviderFailure } from "@am/core"
import { Upstream } from "@am/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Stream } from "effect"
import { TestClock } from "effect/testing"
import { make } from "../src/index.ts"
import { failureOf, key1, request, spied, streamFailureOf, until } from "./support.ts"

/** Runs a stream, keeping what arrived before it failed. */
const streamUntilFailure = (stream: Stream.Stream<CompletionChunk, ProviderFailure>, seen: Array<CompletionChunk>) =>
  Effect.flip(Stream.runForEach(stream, (chunk) => Effect.sync(() => seen.push(chunk))))

describe("transport faults keep their kind and whether response bytes arrived", () => {
  it.effect(
    "complete(): a hung upstream times out on the adapter's timer, with no bytes, and the request is aborted",
    () =>
      Effect.gen(function* () {
        const upstream = yield* Upstream.scoped({ kind: "openai", script: [{ sequence: ["hang"] }] })
        const { provider, signals } = spied({ id: "primary", baseURL: upstream.baseURL })
        const fiber = yield* Effect.forkChild(failureOf(provider, "gpt-4o", 60_000))
        yield* until(() => upstream.requests.length === 1)
        yield* TestClock.adjust("60 seconds")
        const f = yield* Fiber.join(fiber)
        assert.deepInclude(f, { kind: "timeout", responseBytesReceived: false })
        assert.strictEqual(classify(f).class, "timeout")
        assert.isTrue(classify(f).retryable)
        yield* until(() => signals[0]?.aborted === true)
      })
  )

  it.effect("complete(): a body that stalls after the headers times out on the SDK's timer, with bytes", () =>
    Effect.gen(function* () {
      const upstream = yield* Upstream.scoped({
        kind: "openai",
        script: [{ sequence: [{ fault: "stall", stallMs: 10_000 }] }]
      })
      const f = yield* failureOf(make({ id: "primary", baseURL: upstream.baseURL }), "gpt-4o", 1000)
      assert.deepInclude(f, { kind: "timeout", responseBytesReceived: true })
      assert.match(f.requestId ?? "", /^req_/, "the headers' request id is kept")
    })
  )

  it.effect("complete(): resets, cuts, malformed and truncated bodies", () =>
    Effect.gen(function* () {
      const upstream = yield* Upstream.scoped({
        kind: "openai",
        script: [
          {
            sequence: ["reset_before_headers", "reset_after_headers", "stream_cut", "malformed_json", "truncated_body"]
          }
        ]
      })
      const provider = make({ id: "primary", baseURL: upstream.baseURL })
      const before = yield* failureOf(provider)
      assert.deepInclude(before, { kind: "network", responseBytesReceived: false, errorCode: "ECONNRESET" })
      assert.strictEqual(classify(before).class, "network")
      const after = yield* failureOf(provider)
      assert.deepInclude(after, { kind: "network", responseBytesReceived: true })
      const cut = yield* failureOf(provider)
      assert.deepInclude(cut, { kind: "network", responseBytesReceived: true })
      const malformed = yield* failureOf(provider)
      assert.deepInclude(malformed, { kind: "decode", responseBytesReceived: true })
      const truncated = yield* failureOf(provider)
      assert.deepInclude(truncated, { kind: "decode", responseBytesReceived: true })
      assert.strictEqual(classify(truncated).rule, "decode.response")
    })
  )

  it.effect("stream(): a hung upstream times out with no bytes; a reset before headers is a network failure", () =>
    Effect.gen(function* () {
      const upstream = yield* Upstream.scoped({
        kind: "openai",
        script: [{ sequence: ["hang", "reset_before_headers"] }]
      })
      const { provider, signals } = spied({ id: "primary", baseURL: upstream.baseURL })
      const fiber = yield* Effect.forkChild(streamFailureOf(provider, "gpt-4o", 60_000))
      yield* until(() => upstream.requests.length === 1)
      yield* TestClock.adjust("60 seconds")
      const hung = yield* Fiber.join(fiber)
      assert.deepInclude(hung, { kind: "timeout", responseBytesReceived: false })
      yield* until(() => signals[0]?.aborted === true)
      const reset = yield* streamFailureOf(provider)
      assert.deepInclude(reset, { kind: "network", responseBytesReceived: false })
      assert.isTrue(classify(reset).retryable, "nothing reached the caller: safe to retry")
    })
  )

  it.effect("stream(): a stall after the first chunks is a stream failure with bytes, and the request is aborted", () =>
    Effect.gen(function* () {
      const upstream = yield* Upstream.scoped({
        kind: "openai",
        script: [{ sequence: [{ fault: "stall", afterChunks: 3, stallMs: 10_000 }] }]
      })
      const { provider, signals } = spied({ id: "primary", baseURL: upstream.baseURL })
      const seen: Array<CompletionChunk> = []
      const fiber = yield* Effect.forkChild(
        streamUntilFailure(provider.stream({ request, model: "gpt-4o", key: key1, timeoutMs: 30_000 }), seen)
      )
      yield* until(() => seen.length >= 2)
      yield* TestClock.adjust("30 seconds")
      const f = yield* Fiber.join(fiber)
      assert.deepInclude(f, { kind: "stream", responseBytesReceived: true })
      assert.strictEqual(classify(f).class, "stream_interrupted")
      assert.isFalse(classify(f).retryable, "output may have reached the caller")
      yield* until(() => signals[0]?.aborted === true)
    })
  )

  it.effect("stream(): resets, cuts, malformed and truncated events after the headers are stream failures", () =>
    Effect.gen(function* () {
      const upstream = yield* Upstream.scoped({
        kind: "openai",
        script: [
          {
            sequence: [
              "reset_after_headers",
              { fault: "stream_cut", afterChunks: 3 },
              // One bad event is skipped (MalformedEventsAreSkippedAndDripsComplete); a garbage stream fails.
              { fault: "malformed_json", everyEvent: true },
              { fault: "truncated_body", afterChunks: 2 }
            ]
          }
        ]
      })
      const provider = make({ id: "primary", baseURL: upstream.baseURL })
      // A reset right after the headers sent no content: a stream failure that is still safe to retry.
      for (const sentText of [false, true, false, true]) {
        const seen: Array<CompletionChunk> = []
        const f = yield* streamUntilFailure(provider.stream({ request, model: "gpt-4o", key: key1 }), seen)
        assert.deepInclude(f, { kind: "stream", responseBytesReceived: sentText }, JSON.stringify(f))
        assert.strictEqual(
          seen.some((c) => c._tag === "TextDelta"),
          sentText
        )
        assert.isFalse(seen.some((c) => c._tag === "Finish"))
        const c = classify(f)
        assert.strictEqual(c.scope, "provider")
        assert.strictEqual(c.retryable, !sentText)
      }
    })
  )

  it.effect("stream(): an SSE error event after HTTP 200 carries the event's type and code", () =>
    Effect.gen(function* () {
      const upstream = yield* Upstream.scoped({
        kind: "openai",
        script: [
          {
            sequence: [
              { fault: "overloaded_in_stream", afterChunks: 3 },
              { fault: "overloaded_in_stream", afterChunks: 1 }
            ]
          }
        ]
      })
      const provider = make({ id: "primary", baseURL: upstream.baseURL })
      const seen: Array<CompletionChunk> = []
      const late = yield* streamUntilFailure(provider.stream({ request, model: "gpt-4o", key: key1 }), seen)
      assert.deepInclude(late, {
        kind: "stream",
        responseBytesReceived: true,
        errorType: "server_error",
        errorCode: "server_is_overloaded",
        message: "The engine is currently overloaded, please try again later."
      })
      assert.match(late.requestId ?? "", /^req_/)
      assert.isTrue(seen.some((c) => c._tag === "TextDelta"))
      assert.strictEqual(classify(late).scope, "provider")
      assert.isFalse(classify(late).retryable, "text went out before the error")

      // Only the role chunk came before the error: nothing reached the caller, a retry is safe.
      const early = yield* streamUntilFailure(provider.stream({ request, model: "gpt-4o", key: key1 }), [])
      assert.deepInclude(early, { kind: "stream", responseBytesReceived: false, errorCode: "server_is_overloaded" })
      assert.isTrue(classify(early).retryable)
    })
  )
})
