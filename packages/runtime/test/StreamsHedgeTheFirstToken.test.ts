// Hedging (issue 13, item 3) through the real engine on the TestClock: with
// `stream.routes.<route>.hedgeAfter`, a candidate silent past it gets the next candidate started
// beside it; the first to send content answers, the other is interrupted (its upstream released)
// and recorded as cancelled. A candidate that fails before the hedge is due fails over as usual.
import type { CompletionChunk } from "@am/core"
import { Engine, type EngineError } from "@am/engine"
import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Exit, Stream } from "effect"
import { drive, entries, request, streamSetup, topics } from "./support/StreamSetup.ts"

const hedging = (raw: any) => ({ ...raw, stream: { ...raw.stream, routes: { default: { hedgeAfter: "1 second" } } } })

/** Opens the stream and reads it whole: the text, when the first chunk came, the error. */
const answer = Effect.gen(function* () {
  const started = yield* Clock.currentTimeMillis
  const s = yield* (yield* Engine).stream(request())
  const firstAt = (yield* Clock.currentTimeMillis) - started
  const got: Array<CompletionChunk> = []
  const exit = yield* Effect.exit(
    Stream.runForEach(s.chunks as Stream.Stream<CompletionChunk, EngineError>, (c) => Effect.sync(() => got.push(c)))
  )
  return {
    provider: s.provider,
    firstAt,
    text: got.map((c) => (c._tag === "TextDelta" ? c.text : "")).join(""),
    error: Exit.isFailure(exit) ? String(exit.cause) : undefined
  }
})

describe("a route with hedgeAfter starts the next candidate beside a silent one", () => {
  it.effect("the hedge speaks first: its answer is kept, the silent primary is cancelled upstream", () =>
    Effect.gen(function* () {
      const { primary, secondary, layer } = yield* streamSetup(
        {
          primary: [{ stream: [{ delayMs: 4_000 }, { text: "late" }, { finish: "stop" }] }],
          secondary: [{ stream: [{ delayMs: 300 }, { text: "hedged answer" }, { finish: "stop" }] }]
        },
        hedging
      )
      yield* Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(answer)
        const r = yield* drive(fiber, 50)
        assert.isUndefined(r.error)
        assert.strictEqual(r.provider, "secondary")
        assert.strictEqual(r.text, "hedged answer")
        // hedgeAfter (1 s) + the secondary's own 300 ms, not the primary's 4 s nor the 5 s first-token timeout.
        assert.strictEqual(r.firstAt, 1_300)
        assert.deepStrictEqual(primary.streams, { opened: 1, closed: 1 })
        assert.deepStrictEqual(secondary.streams, { opened: 1, closed: 1 })
        const [entry] = yield* entries
        assert.strictEqual(entry!.outcome, "SUCCESS")
        assert.deepStrictEqual(entry!.attempts.map((a) => `${a.provider}:${a.outcome}:${a.errorType ?? ""}`).sort(), [
          "primary:failure:hedge_cancelled",
          "secondary:success:"
        ])
        assert.include(yield* topics, "stream.hedged")
      }).pipe(Effect.scoped, Effect.provide(layer))
    })
  )

  it.effect("the primary speaks first after the hedge started: the primary answers, the hedge is cancelled", () =>
    Effect.gen(function* () {
      const { primary, secondary, layer } = yield* streamSetup(
        {
          primary: [{ stream: [{ delayMs: 1_500 }, { text: "primary answer" }, { finish: "stop" }] }],
          secondary: [{ stream: [{ delayMs: 3_000 }, { text: "late hedge" }, { finish: "stop" }] }]
        },
        hedging
      )
      yield* Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(answer)
        const r = yield* drive(fiber, 50)
        assert.strictEqual(r.provider, "primary")
        assert.strictEqual(r.text, "primary answer")
        assert.strictEqual(r.firstAt, 1_500)
        assert.deepStrictEqual(secondary.streams, { opened: 1, closed: 1 })
        assert.deepStrictEqual(primary.streams, { opened: 1, closed: 1 })
        const [entry] = yield* entries
        assert.deepStrictEqual(entry!.attempts.map((a) => `${a.provider}:${a.outcome}:${a.errorType ?? ""}`).sort(), [
          "primary:success:",
          "secondary:failure:hedge_cancelled"
        ])
      }).pipe(Effect.scoped, Effect.provide(layer))
    })
  )

  it.effect("a primary that fails before hedgeAfter fails over at once, without a hedge", () =>
    Effect.gen(function* () {
      const { secondary, layer } = yield* streamSetup(
        {
          primary: [{ fail: { kind: "http", status: 503 } }],
          secondary: [{ stream: [{ text: "fallback answer" }, { finish: "stop" }] }]
        },
        hedging
      )
      yield* Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(answer)
        const r = yield* drive(fiber, 50)
        assert.strictEqual(r.provider, "secondary")
        // Before hedgeAfter: the failover did not wait for the hedge.
        assert.isBelow(r.firstAt, 1_000)
        assert.strictEqual(secondary.calls.length, 1)
        assert.notInclude(yield* topics, "stream.hedged")
      }).pipe(Effect.scoped, Effect.provide(layer))
    })
  )

  it.effect("without hedgeAfter a silent primary waits for its first-token timeout", () =>
    Effect.gen(function* () {
      const { layer } = yield* streamSetup({
        primary: [{ stream: [{ delayMs: 10_000 }, { text: "late" }, { finish: "stop" }] }],
        secondary: [{ stream: [{ text: "fallback" }, { finish: "stop" }] }]
      })
      yield* Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(answer)
        const r = yield* drive(fiber, 50)
        assert.strictEqual(r.provider, "secondary")
        assert.strictEqual(r.firstAt, 5_000)
      }).pipe(Effect.scoped, Effect.provide(layer))
    })
  )
})
