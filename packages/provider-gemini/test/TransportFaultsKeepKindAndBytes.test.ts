import { classify } from "@am/classifier"
import type { ProviderFailure, ProviderFailureKind } from "@am/core"
import type { Step } from "@am/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { call, gemini } from "./support.ts"

interface Expect {
  readonly kind: ProviderFailureKind
  readonly bytes: boolean
}

const completeFails = (step: Step, timeoutMs?: number) =>
  Effect.gen(function* () {
    const { provider } = yield* gemini({ script: [{ sequence: [step] }] })
    return yield* Effect.flip(provider.complete(call(timeoutMs !== undefined ? { timeoutMs } : {})))
  }).pipe(Effect.scoped)

const streamFails = (step: Step, timeoutMs?: number) =>
  Effect.gen(function* () {
    const { provider } = yield* gemini({
      reply: "A reply long enough to be sent as several stream events by the fake upstream",
      script: [{ sequence: [step] }]
    })
    return yield* Effect.flip(Stream.runDrain(provider.stream(call(timeoutMs !== undefined ? { timeoutMs } : {}))))
  }).pipe(Effect.scoped)

const check = (failure: ProviderFailure, expected: Expect) => {
  assert.strictEqual(failure.kind, expected.kind, failure.message)
  assert.strictEqual(failure.responseBytesReceived, expected.bytes, failure.message)
  assert.strictEqual(failure.provider, "gemini")
  assert.strictEqual(failure.keyId, "key-a")
  // Every transport failure is provider-scoped; a stream that already produced output must not be
  // retried (the caller may have it), anything else may.
  const c = classify(failure)
  assert.strictEqual(c.scope, "provider", c.rule)
  assert.strictEqual(c.retryable, !(expected.kind === "stream" && expected.bytes), c.rule)
}

describe("transport faults on complete()", () => {
  it.live("a reset before headers is network, nothing received", () =>
    Effect.map(completeFails("reset_before_headers"), (f) => check(f, { kind: "network", bytes: false }))
  )
  it.live("a reset after headers is network, bytes received", () =>
    Effect.map(completeFails("reset_after_headers"), (f) => check(f, { kind: "network", bytes: true }))
  )
  it.live("a hang past the call's timeout is timeout, nothing received", () =>
    Effect.gen(function* () {
      const f = yield* completeFails("hang", 300)
      check(f, { kind: "timeout", bytes: false })
      assert.strictEqual(classify(f).class, "timeout")
    })
  )
  it.live("a body cut short of its content-length is network, bytes received", () =>
    Effect.map(completeFails("stream_cut"), (f) => check(f, { kind: "network", bytes: true }))
  )
  it.live("malformed JSON in a 200 body is decode", () =>
    Effect.map(completeFails("malformed_json"), (f) => check(f, { kind: "decode", bytes: true }))
  )
  it.live("a truncated 200 body is decode", () =>
    Effect.map(completeFails("truncated_body"), (f) => check(f, { kind: "decode", bytes: true }))
  )
})

describe("transport faults on stream()", () => {
  it.live("an overloaded error event after a delta is stream, with the event's status and type, not retryable", () =>
    Effect.gen(function* () {
      const f = yield* streamFails("overloaded_in_stream")
      check(f, { kind: "stream", bytes: true })
      assert.strictEqual(f.status, 503)
      assert.strictEqual(f.errorType, "UNAVAILABLE")
      assert.strictEqual(classify(f).class, "overloaded")
    })
  )
  it.live("an overloaded error event before any delta is a retryable overloaded", () =>
    Effect.gen(function* () {
      const f = yield* streamFails({ fault: "overloaded_in_stream", afterChunks: 0 })
      check(f, { kind: "stream", bytes: false })
      const c = classify(f)
      assert.strictEqual(c.class, "overloaded")
      assert.isTrue(c.retryable)
    })
  )
  it.live("a stream cut between events is stream, output already sent", () =>
    Effect.map(streamFails({ fault: "stream_cut", afterChunks: 1 }), (f) => check(f, { kind: "stream", bytes: true }))
  )
  it.live("a stream cut inside an event is stream, output already sent", () =>
    Effect.map(streamFails("truncated_body"), (f) => check(f, { kind: "stream", bytes: true }))
  )
  it.live("a stall past the call's timeout is stream (it stalled after HTTP 200), output already sent", () =>
    Effect.gen(function* () {
      const f = yield* streamFails({ fault: "stall", stallMs: 5000 }, 300)
      check(f, { kind: "stream", bytes: true })
      assert.strictEqual(f.errorType, "timeout")
    })
  )
  it.live("a hang before headers past the call's timeout is timeout, nothing received", () =>
    Effect.map(streamFails("hang", 300), (f) => check(f, { kind: "timeout", bytes: false }))
  )
  it.live("a stream of nothing but bad events fails (one bad event is skipped: MalformedEventsAreSkipped…)", () =>
    Effect.gen(function* () {
      const f = yield* streamFails({ fault: "malformed_json", everyEvent: true })
      assert.match(f.message, /unparsable event stream/)
      assert.isFalse(f.responseBytesReceived)
    })
  )
  it.live("a reset before headers is network, nothing received", () =>
    Effect.map(streamFails("reset_before_headers"), (f) => check(f, { kind: "network", bytes: false }))
  )
  it.live("an HTTP error before the stream starts is http", () =>
    Effect.gen(function* () {
      const f = yield* streamFails("rate_limit")
      assert.strictEqual(f.kind, "http")
      assert.strictEqual(f.status, 429)
      assert.strictEqual(f.retryAfterMs, 22_000)
    })
  )
})
