import { Breakers } from "@am/breaker"
import { Keyring } from "@am/keyring"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Stream } from "effect"
import { Engine, type EngineError } from "@am/engine"
import {
  drive,
  entries,
  request,
  runOf,
  seen,
  type StreamScripts,
  streamSetup as baseSetup,
  topics
} from "./support/StreamSetup.ts"

// These cases are about the end of a stream that is not continued: the route opts out of
// continuation (StreamsContinueAfterACut covers the continued ones).
const streamSetup = (scripts: StreamScripts, edit: (raw: any) => any = (raw) => raw) =>
  baseSetup(scripts, (raw) => {
    const edited = edit(raw)
    return { ...edited, stream: { ...edited.stream, routes: { default: { continuation: false } } } }
  })

const breakerOf = (provider: string) =>
  Effect.map(
    Effect.flatMap(Effect.service(Breakers), (b) => b.snapshot),
    (all) => all.find((b) => b.provider === provider && b.model === undefined)
  )

/** Runs the stream to its end: what the client saw, and the error it ended with. */
const consume = (chunks: Stream.Stream<import("@am/core").CompletionChunk, EngineError>) =>
  Effect.gen(function* () {
    const got: Array<import("@am/core").CompletionChunk> = []
    const exit = yield* Effect.exit(Stream.runForEach(chunks, (c) => Effect.sync(() => got.push(c))))
    return { got, error: Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Fail")?.error : undefined }
  })

describe("after the first token a failure ends an uncontinued stream with stream_interrupted, never a clean finish", () => {
  it.effect(
    "a provider failure mid-answer: the error, a FAILURE entry with the cut output, the breaker learned it",
    () =>
      Effect.gen(function* () {
        const { secondary, layer } = yield* streamSetup({
          primary: [
            {
              stream: [
                { text: "" },
                { text: "The answer " },
                { text: "is" },
                { fail: { kind: "stream", errorType: "api_error", message: "upstream reset" } }
              ]
            }
          ]
        })
        yield* Effect.gen(function* () {
          const s = yield* (yield* Engine).stream(request())
          assert.strictEqual(s.provider, "primary")
          // Committed, but the call's outcome is not known yet: the breaker has not counted it.
          assert.strictEqual((yield* breakerOf("primary"))?.status, "closed")
          const { got, error } = yield* consume(s.chunks)
          // What reached the client is what was sent, up to a tail the key masker may hold at a cut.
          const text = seen(got).join("")
          assert.isTrue("The answer is".startsWith(text) && text.length >= "The answer ".length, text)
          assert.strictEqual(error?.code, "stream_interrupted")
          assert.strictEqual(error?.requestId, s.requestId)
          assert.match(error?.message ?? "", /cut after 13 characters/)
          // No failover after the first token: the client already has part of the answer.
          assert.strictEqual(secondary.calls.length, 0)
          // The breaker and the trail learned the failure (consecutiveFailures: 1 → open).
          assert.strictEqual((yield* breakerOf("primary"))?.status, "open")
          assert.deepStrictEqual(
            error?.attempts.map((a) => `${a.provider}:${a.outcome}:${a.class}`),
            ["primary:failure:server_error"]
          )
          const ledger = yield* entries
          assert.strictEqual(ledger.length, 1)
          const entry = ledger[0]!
          assert.strictEqual(entry.outcome, "FAILURE")
          assert.strictEqual(entry.failureCode, "stream_interrupted")
          assert.deepStrictEqual(entry.stream, { outputChars: 13, firstTokenMs: 0, cut: true })
          assert.strictEqual(entry.responsePreview, "The answer is")
          assert.strictEqual(entry.provider, "primary")
          const run = yield* runOf(s.requestId)
          assert.strictEqual(run?.status, "FAILED")
          assert.strictEqual(run?.errorCode, "stream_interrupted")
          const t = yield* topics
          assert.include(t, "stream.interrupted")
          assert.include(t, "api.call.failure")
          assert.notInclude(t, "request.succeeded")
        }).pipe(Effect.scoped, Effect.provide(layer))
      })
  )

  it.effect("a key-scoped failure mid-stream (rate limit) penalises the key, as in complete()", () =>
    Effect.gen(function* () {
      const { layer } = yield* streamSetup({
        primary: [
          {
            stream: [{ text: "Par" }, { fail: { kind: "stream", errorType: "rate_limit_error", retryAfterMs: 5_000 } }]
          }
        ]
      })
      yield* Effect.gen(function* () {
        const s = yield* (yield* Engine).stream(request())
        const { error } = yield* consume(s.chunks)
        assert.strictEqual(error?.code, "stream_interrupted")
        const key = (yield* (yield* Keyring).snapshot).find((k) => k.id === "p1")!
        assert.isAbove(key.penalty, 0)
      }).pipe(Effect.scoped, Effect.provide(layer))
    })
  )

  it.effect("a stall after the first token ends the stream cut after stallTimeout", () =>
    Effect.gen(function* () {
      const { primary, layer } = yield* streamSetup({
        primary: [{ stream: [{ text: "Hel" }, { delayMs: 60_000 }, { text: "lo" }, { finish: "stop" }] }]
      })
      yield* Effect.gen(function* () {
        const s = yield* (yield* Engine).stream(request())
        const fiber = yield* Effect.forkChild(consume(s.chunks))
        const { got, error } = yield* drive(fiber)
        assert.deepStrictEqual(seen(got), ["Hel"])
        assert.strictEqual(error?.code, "stream_interrupted")
        assert.match(error?.attempts[0]?.message ?? "", /stalled for 2000 ms after 3 characters/)
        // The stalled upstream was released.
        assert.deepStrictEqual(primary.streams, { opened: 1, closed: 1 })
        const [entry] = yield* entries
        assert.deepStrictEqual(entry!.stream, { outputChars: 3, firstTokenMs: 0, cut: true })
        assert.strictEqual(entry!.latencyMs, 2_000)
      }).pipe(Effect.scoped, Effect.provide(layer))
    })
  )

  it.effect("a stream that just ends without a finish is cut, not complete", () =>
    Effect.gen(function* () {
      const { layer } = yield* streamSetup({ primary: [{ stream: [{ text: "Hel" }, { text: "lo" }] }] })
      yield* Effect.gen(function* () {
        const s = yield* (yield* Engine).stream(request())
        const { got, error } = yield* consume(s.chunks)
        assert.deepStrictEqual(seen(got), ["Hel", "lo"])
        assert.strictEqual(error?.code, "stream_interrupted")
        const [entry] = yield* entries
        assert.strictEqual(entry!.failureCode, "stream_interrupted")
        assert.deepStrictEqual(entry!.stream, { outputChars: 5, firstTokenMs: 0, cut: true })
      }).pipe(Effect.scoped, Effect.provide(layer))
    })
  )

  it.effect("the stream's time bound passing mid-stream ends it with deadline_exceeded, recorded as such", () =>
    Effect.gen(function* () {
      const { layer } = yield* streamSetup(
        {
          primary: [{ stream: [{ text: "a" }, { delayMs: 1_500 }, { text: "b" }, { delayMs: 1_500 }, { text: "c" }] }]
        },
        // A committed stream runs to the later of the deadline and stream.maxDuration: both 2 s here.
        (raw) => ({
          ...raw,
          retry: { ...raw.retry, deadline: "2 seconds" },
          stream: { ...raw.stream, maxDuration: "2 seconds" }
        })
      )
      yield* Effect.gen(function* () {
        const s = yield* (yield* Engine).stream(request())
        const fiber = yield* Effect.forkChild(consume(s.chunks))
        const { got, error } = yield* drive(fiber)
        assert.deepStrictEqual(seen(got), ["a", "b"])
        assert.strictEqual(error?.code, "deadline_exceeded")
        assert.include(error?.message, "2000 ms")
        // The deadline is the request's, not the provider's fault: its breaker did not count it.
        assert.strictEqual((yield* breakerOf("primary"))?.status, "closed")
        const [entry] = yield* entries
        assert.strictEqual(entry!.failureCode, "deadline_exceeded")
        assert.deepStrictEqual(entry!.stream, { outputChars: 2, firstTokenMs: 0, cut: true })
      }).pipe(Effect.scoped, Effect.provide(layer))
    })
  )

  it.effect("a content filter after content ends the stream with its finish; the audit records the refusal", () =>
    Effect.gen(function* () {
      const { layer } = yield* streamSetup({
        primary: [{ stream: [{ text: "Sure, " }, { finish: "content_filter" }] }]
      })
      yield* Effect.gen(function* () {
        const s = yield* (yield* Engine).stream(request())
        const { got, error } = yield* consume(s.chunks)
        assert.deepStrictEqual(seen(got), ["Sure, ", "Finish:content_filter"])
        assert.isUndefined(error)
        const [entry] = yield* entries
        assert.strictEqual(entry!.outcome, "FAILURE")
        assert.strictEqual(entry!.failureCode, "content_policy")
        assert.deepStrictEqual(entry!.stream, { outputChars: 6, firstTokenMs: 0, cut: false })
      }).pipe(Effect.scoped, Effect.provide(layer))
    })
  )
})
