import { classify } from "@am/classifier"
import { ApiKey, type CompletionChunk, type ProviderCall } from "@am/core"
import { malformedEventCount } from "@am/provider-utils"
import { Upstream } from "@am/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Stream } from "effect"
import { make } from "../src/index.ts"

// Long enough for many stream events (the fake upstream sends about a word per event).
const REPLY = Array.from({ length: 24 }, (_, i) => `word${i}`).join(" ")
const key = ApiKey.make("k1", Redacted.make("sk-proj-dripTestSecret000011112222"))
const call = (timeoutMs?: number): ProviderCall => ({
  request: { messages: [{ role: "user", content: "Say hi" }] },
  model: "gpt-4o",
  key,
  ...(timeoutMs !== undefined ? { timeoutMs } : {})
})
const textOf = (chunks: ReadonlyArray<CompletionChunk>) =>
  chunks.map((c) => (c._tag === "TextDelta" ? c.text : "")).join("")

describe("OpenAI streams: malformed events and slow drips", () => {
  it.live("one unparsable event mid-stream is skipped and counted; the answer completes", () =>
    Effect.gen(function* () {
      const upstream = yield* Upstream.scoped({
        kind: "openai",
        reply: REPLY,
        script: [{ sequence: [{ fault: "malformed_json", afterChunks: 3 }] }]
      })
      const id = `openai-malformed-${upstream.baseURL}`
      const provider = make({ id, baseURL: upstream.baseURL })
      const before = malformedEventCount(id)
      const chunks = yield* Stream.runCollect(provider.stream(call()))
      assert.strictEqual(malformedEventCount(id) - before, 1)
      assert.strictEqual(chunks.at(-1)?._tag, "Finish")
      // Only the corrupted event's words are missing; everything after it arrived.
      const text = textOf(chunks)
      assert.isTrue(text.endsWith("word23"), text)
      assert.isAbove(text.length, REPLY.length / 2)
    })
  )

  it.live("a stream of nothing but garbage fails as a classified, non-silent failure", () =>
    Effect.gen(function* () {
      const upstream = yield* Upstream.scoped({
        kind: "openai",
        reply: REPLY,
        script: [{ sequence: [{ fault: "malformed_json", everyEvent: true }] }]
      })
      const provider = make({ id: "openai-garbage", baseURL: upstream.baseURL })
      const failure = yield* Effect.flip(Stream.runDrain(provider.stream(call())))
      assert.match(failure.message, /unparsable event stream/)
      assert.isFalse(failure.responseBytesReceived, "no content reached the caller")
      const c = classify(failure)
      assert.strictEqual(c.scope, "provider")
      assert.isTrue(c.retryable)
    })
  )

  it.live("a slow drip longer than the call's timeout completes: the timeout bounds silence, not length", () =>
    Effect.gen(function* () {
      // Events 25 ms apart, ~28 of them: the stream lasts several times the 250 ms timeout.
      const upstream = yield* Upstream.scoped({
        kind: "openai",
        reply: REPLY,
        script: [{ sequence: [{ fault: "latency", latencyMs: 0, intervalMs: 25 }] }]
      })
      const provider = make({ id: "openai-drip", baseURL: upstream.baseURL })
      const chunks = yield* Stream.runCollect(provider.stream(call(250)))
      assert.strictEqual(chunks.at(-1)?._tag, "Finish")
      assert.strictEqual(textOf(chunks).replace(/\s+/g, " ").trim(), REPLY)
    })
  )
})
