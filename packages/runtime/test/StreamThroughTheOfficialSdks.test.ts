import { Breakers } from "@am/breaker"
import type { CompletionChunk } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Stream } from "effect"
import { Engine } from "@am/engine"
import { events, makeHarness, runDriven, topics, user } from "./support/Harness.ts"

const text = (chunks: ReadonlyArray<CompletionChunk>) =>
  chunks.map((c) => (c._tag === "TextDelta" ? c.text : "")).join("")

/** Streams a request to its end: the commit, what the client saw, and how it ended. */
const streamAll = (prompt: string) =>
  Effect.scoped(
    Effect.gen(function* () {
      const s = yield* (yield* Engine).stream(user(prompt))
      const got: Array<CompletionChunk> = []
      const exit = yield* Effect.exit(Stream.runForEach(s.chunks, (c) => Effect.sync(() => got.push(c))))
      const failure = Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Fail") : undefined
      return { s, got, error: failure?._tag === "Fail" ? failure.error : undefined }
    })
  )

describe("streaming through the official SDK adapters against the testkit upstreams", () => {
  it.effect("a healthy OpenAI stream: the whole answer, one finish with usage, nothing else called", () =>
    Effect.gen(function* () {
      const h = yield* makeHarness()
      yield* Effect.gen(function* () {
        const complete = yield* (yield* Engine).complete(user("hello"))
        const { s, got, error } = yield* runDriven(streamAll("hello"))
        assert.isUndefined(error)
        assert.strictEqual(s.provider, "primary")
        assert.strictEqual(text(got), complete.message.content)
        const finishes = got.filter((c) => c._tag === "Finish")
        assert.strictEqual(finishes.length, 1)
        assert.strictEqual(got[got.length - 1]!._tag, "Finish")
        assert.isAbove(finishes[0]!._tag === "Finish" ? finishes[0]!.usage.totalTokens : 0, 0)
        assert.strictEqual(h.anthropic.requests.length, 0)
      }).pipe(Effect.provide(h.layer))
    }).pipe(Effect.scoped)
  )

  it.effect("an OpenAI stream cut before its first token fails over to Anthropic's stream, invisibly", () =>
    Effect.gen(function* () {
      const h = yield* makeHarness({
        openaiScript: [{ sequence: [{ fault: "stream_cut", afterChunks: 1 }], repeat: true }]
      })
      yield* Effect.gen(function* () {
        const { s, got, error } = yield* runDriven(streamAll("hello"))
        assert.isUndefined(error)
        assert.strictEqual(s.provider, "secondary")
        assert.isAbove(text(got).length, 0)
        assert.strictEqual(got.filter((c) => c._tag === "Finish").length, 1)
        assert.isTrue(
          s.resilience.attempts.filter((a) => a.provider === "primary").every((a) => a.outcome !== "success")
        )
        assert.strictEqual(h.anthropic.requests.length, 1)
        assert.include(topics(yield* events), "provider.failover")
      }).pipe(Effect.provide(h.layer))
    }).pipe(Effect.scoped)
  )

  it.effect("an OpenAI stream cut after its first tokens ends with stream_interrupted; the breaker counts it", () =>
    Effect.gen(function* () {
      const h = yield* makeHarness({
        openaiScript: [{ sequence: [{ fault: "stream_cut", afterChunks: 3 }] }],
        config: (raw) => ({
          ...raw,
          providers: { ...raw.providers, primary: { ...raw.providers.primary, breaker: { consecutiveFailures: 1 } } }
        })
      })
      yield* Effect.gen(function* () {
        const { s, got, error } = yield* runDriven(streamAll("hello"))
        assert.strictEqual(s.provider, "primary")
        assert.isAbove(text(got).length, 0)
        assert.isFalse(got.some((c) => c._tag === "Finish"))
        assert.strictEqual(error?.code, "stream_interrupted")
        assert.strictEqual(error?.attempts[error.attempts.length - 1]?.class, "stream_interrupted")
        // Never a second provider once the client has part of the answer.
        assert.strictEqual(h.anthropic.requests.length, 0)
        const breaker = (yield* (yield* Breakers).snapshot).find((b) => b.provider === "primary" && !b.model)
        assert.strictEqual(breaker?.status, "open")
        assert.include(topics(yield* events), "stream.interrupted")
      }).pipe(Effect.provide(h.layer))
    }).pipe(Effect.scoped)
  )
})
