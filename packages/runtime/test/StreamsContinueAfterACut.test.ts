// Continuation after the first token (issue 13, item 1), through the real engine on the
// TestClock: a stream cut, stalled or failed after content reached the client goes on from the
// next candidate with `prefill` (the catalogue's claude-sonnet-4-6), the client sees one coherent
// answer, the usage sums both billed attempts and the ledger records the cut, the continuation,
// both attempts and the characters of each. Without a prefill candidate, or with the route's
// `continuation: false`, the stream ends with `stream_interrupted` naming the first cut.
import type { CompletionChunk } from "@am/core"
import { Engine, type EngineError } from "@am/engine"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Stream } from "effect"
import { drive, entries, request, seen, streamSetup, topics } from "./support/StreamSetup.ts"

const consume = (chunks: Stream.Stream<CompletionChunk, EngineError>) =>
  Effect.gen(function* () {
    const got: Array<CompletionChunk> = []
    const exit = yield* Effect.exit(Stream.runForEach(chunks, (c) => Effect.sync(() => got.push(c))))
    return { got, error: Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Fail")?.error : undefined }
  })

const text = (got: ReadonlyArray<CompletionChunk>) => got.map((c) => (c._tag === "TextDelta" ? c.text : "")).join("")

const cutPrimary = [
  {
    stream: [
      { text: "" },
      { text: "The answer " },
      { text: "is" },
      { fail: { kind: "stream" as const, errorType: "api_error", message: "upstream reset" } }
    ]
  }
]

describe("a stream cut after its first token is continued on a prefill candidate", () => {
  it.effect("a cut mid-answer: one coherent answer, usage of both attempts, the ledger tells the continuation", () =>
    Effect.gen(function* () {
      const { primary, secondary, layer } = yield* streamSetup({
        primary: cutPrimary,
        secondary: [
          {
            stream: [
              { text: " forty" },
              { text: "-two." },
              { finish: "stop", usage: { inputTokens: 20, outputTokens: 3, totalTokens: 23 } }
            ]
          }
        ]
      })
      yield* Effect.gen(function* () {
        const s = yield* (yield* Engine).stream(request("what is the answer?"))
        const { got, error } = yield* consume(s.chunks)
        assert.isUndefined(error, String(error?.message))
        assert.strictEqual(text(got), "The answer is forty-two.")
        assert.strictEqual(seen(got).at(-1), "Finish:stop")
        // The continuing candidate got the original request and the text sent so far as prefill.
        assert.strictEqual(secondary.calls.length, 1)
        assert.strictEqual(secondary.calls[0]!.prompt, "what is the answer?")
        assert.strictEqual(secondary.calls[0]!.prefill, "The answer is")
        // Both upstreams released.
        assert.deepStrictEqual(primary.streams, { opened: 1, closed: 1 })
        // Usage: the continuation's reported 20/3 plus the cut attempt's estimate (prompt
        // "what is the answer?" = ceil(19/4) + 4 = 9 input tokens; 13 chars = 4 output tokens).
        const finish = got.at(-1)
        assert.deepStrictEqual(finish?._tag === "Finish" ? finish.usage : undefined, {
          inputTokens: 29,
          outputTokens: 7,
          totalTokens: 36
        })
        const [entry] = yield* entries
        assert.strictEqual(entry!.outcome, "SUCCESS")
        assert.strictEqual(entry!.provider, "secondary")
        assert.deepStrictEqual(
          entry!.attempts.map((a) => `${a.provider}:${a.outcome}`),
          ["primary:failure", "secondary:success"]
        )
        assert.deepStrictEqual(entry!.stream, {
          outputChars: 24,
          firstTokenMs: 0,
          cut: false,
          segments: [
            { provider: "primary", model: "gpt-4o", outputChars: 13, cut: "server_error", usageEstimated: true },
            { provider: "secondary", model: "claude-sonnet-4-6", outputChars: 11 }
          ]
        })
        assert.strictEqual(entry!.responsePreview, "The answer is forty-two.")
        assert.deepStrictEqual(entry!.usage, { inputTokens: 29, outputTokens: 7, totalTokens: 36 })
        const t = yield* topics
        assert.include(t, "stream.continued")
        assert.notInclude(t, "stream.interrupted")
      }).pipe(Effect.scoped, Effect.provide(layer))
    })
  )

  it.effect("a stall after the first token: the stalled upstream is released and the answer continued", () =>
    Effect.gen(function* () {
      const { primary, secondary, layer } = yield* streamSetup({
        primary: [{ stream: [{ text: "Hel" }, { delayMs: 60_000 }, { text: "lo" }, { finish: "stop" }] }],
        secondary: [{ stream: [{ text: "lo, world" }, { finish: "stop" }] }]
      })
      yield* Effect.gen(function* () {
        const s = yield* (yield* Engine).stream(request())
        const fiber = yield* Effect.forkChild(consume(s.chunks))
        const { got, error } = yield* drive(fiber)
        assert.isUndefined(error, String(error?.message))
        assert.strictEqual(text(got), "Hello, world")
        assert.strictEqual(secondary.calls[0]!.prefill, "Hel")
        assert.deepStrictEqual(primary.streams, { opened: 1, closed: 1 })
        const [entry] = yield* entries
        assert.match(entry!.attempts[0]!.message ?? "", /stalled for 2000 ms after 3 characters/)
        assert.deepStrictEqual(
          entry!.stream?.segments?.map((x) => [x.provider, x.outputChars]),
          [
            ["primary", 3],
            ["secondary", 9]
          ]
        )
        // The continuation started at the stall timeout, not after the 60 s pause.
        assert.strictEqual(entry!.latencyMs, 2_000)
      }).pipe(Effect.scoped, Effect.provide(layer))
    })
  )

  it.effect("the whitespace the prefill leaves off is not sent twice", () =>
    Effect.gen(function* () {
      const { secondary, layer } = yield* streamSetup({
        primary: [{ stream: [{ text: "One two " }, { fail: { kind: "stream", message: "reset" } }] }],
        secondary: [{ stream: [{ text: " three" }, { finish: "stop" }] }]
      })
      yield* Effect.gen(function* () {
        const s = yield* (yield* Engine).stream(request())
        const { got, error } = yield* consume(s.chunks)
        assert.isUndefined(error)
        assert.strictEqual(secondary.calls[0]!.prefill, "One two")
        assert.strictEqual(text(got), "One two three")
      }).pipe(Effect.scoped, Effect.provide(layer))
    })
  )

  it.effect("no candidate with prefill: stream_interrupted naming the cut, the fallback never asked", () =>
    Effect.gen(function* () {
      const { secondary, layer } = yield* streamSetup({ primary: cutPrimary }, (raw) => ({
        ...raw,
        providers: {
          ...raw.providers,
          secondary: {
            ...raw.providers.secondary,
            models: [{ name: "claude-sonnet-4-6", capabilities: ["tools", "json", "vision", "streaming"] }]
          }
        }
      }))
      yield* Effect.gen(function* () {
        const s = yield* (yield* Engine).stream(request())
        const { got, error } = yield* consume(s.chunks)
        // What arrived, never a finish (the output masker may hold back a last character at a cut).
        assert.isTrue("The answer is".startsWith(text(got)) && text(got).length >= 11, text(got))
        assert.notInclude(seen(got), "Finish:stop")
        assert.strictEqual(error?.code, "stream_interrupted")
        assert.match(error?.message ?? "", /^primary\/gpt-4o failed after the first token \(server_error\)/)
        assert.strictEqual(secondary.calls.length, 0)
        const [entry] = yield* entries
        assert.strictEqual(entry!.failureCode, "stream_interrupted")
        assert.deepStrictEqual(entry!.stream, { outputChars: 13, firstTokenMs: 0, cut: true })
      }).pipe(Effect.scoped, Effect.provide(layer))
    })
  )

  it.effect("a prefill candidate that rejects the prefill (400): the stream ends with the first cut, not the 400", () =>
    Effect.gen(function* () {
      const { secondary, layer } = yield* streamSetup({
        primary: cutPrimary,
        secondary: [
          {
            fail: {
              kind: "http",
              status: 400,
              errorType: "invalid_request_error",
              message: "This model does not support assistant message prefill."
            }
          }
        ]
      })
      yield* Effect.gen(function* () {
        const s = yield* (yield* Engine).stream(request())
        const { got, error } = yield* consume(s.chunks)
        // What arrived, never a finish (the output masker may hold back a last character at a cut).
        assert.isTrue("The answer is".startsWith(text(got)) && text(got).length >= 11, text(got))
        assert.notInclude(seen(got), "Finish:stop")
        assert.strictEqual(error?.code, "stream_interrupted")
        assert.match(error?.message ?? "", /^primary\/gpt-4o failed after the first token \(server_error\)/)
        assert.notMatch(error?.message ?? "", /prefill|400/)
        assert.strictEqual(secondary.calls.length, 1)
        const [entry] = yield* entries
        assert.strictEqual(entry!.failureCode, "stream_interrupted")
        assert.strictEqual(entry!.provider, "primary")
        assert.deepStrictEqual(
          entry!.attempts.map((a) => `${a.provider}:${a.outcome}:${a.status ?? ""}`),
          ["primary:failure:", "secondary:failure:400"]
        )
        assert.strictEqual(entry!.stream?.segments?.[0]?.outputChars, 13)
        assert.isTrue(entry!.stream?.cut)
      }).pipe(Effect.scoped, Effect.provide(layer))
    })
  )

  it.effect(
    "stream.routes.<route>.continuation: false — the route's cut stream ends cut, the fallback never asked",
    () =>
      Effect.gen(function* () {
        const { secondary, layer } = yield* streamSetup({ primary: cutPrimary }, (raw) => ({
          ...raw,
          stream: { ...raw.stream, routes: { default: { continuation: false } } }
        }))
        yield* Effect.gen(function* () {
          const s = yield* (yield* Engine).stream(request())
          const { error } = yield* consume(s.chunks)
          assert.strictEqual(error?.code, "stream_interrupted")
          assert.strictEqual(secondary.calls.length, 0)
        }).pipe(Effect.scoped, Effect.provide(layer))
      })
  )
})
