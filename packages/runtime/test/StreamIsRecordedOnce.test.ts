import { type CompletionChunk, Pricing } from "@am/core"
import type { MemoryStep } from "@am/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Arbitrary, Effect, Exit, Fiber, References, Schema, Stream } from "effect"
import { SqlClient } from "effect/sql"
import { Engine, type EngineError } from "@am/engine"
import { drive, entries, request, runOf, seen, streamSetup, topics } from "./support/StreamSetup.ts"

describe("every streamed request is recorded exactly once", () => {
  it.effect("a streamed success records usage and cost from the finish, and the output it sent", () =>
    Effect.gen(function* () {
      const usage = { inputTokens: 120, outputTokens: 48, totalTokens: 168 }
      const { layer } = yield* streamSetup({
        primary: [{ stream: [{ text: "" }, { text: "Paris" }, { text: "." }, { finish: "stop", usage }] }]
      })
      yield* Effect.gen(function* () {
        const s = yield* (yield* Engine).stream(request())
        // The text whole and one finish; chunk boundaries may move (the key masker may hold a tail back).
        const got = seen(yield* Stream.runCollect(s.chunks))
        assert.strictEqual(got.slice(0, -1).join(""), "Paris.")
        assert.strictEqual(got.at(-1), "Finish:stop")
        const expected = (yield* Pricing).cost("openai", "gpt-4o", usage)
        assert.isDefined(expected)
        const ledger = yield* entries
        assert.strictEqual(ledger.length, 1)
        const entry = ledger[0]!
        assert.strictEqual(entry.outcome, "SUCCESS")
        assert.deepStrictEqual(entry.usage, usage)
        assert.strictEqual(entry.costUsd, expected)
        assert.deepStrictEqual(entry.attempts[0]?.usage, usage)
        assert.deepStrictEqual(entry.stream, { outputChars: 6, firstTokenMs: 0, cut: false })
        assert.strictEqual(entry.responsePreview, "Paris.")
        const run = yield* runOf(s.requestId)
        assert.strictEqual(run?.status, "SUCCEEDED")
        assert.strictEqual(run?.inputTokens, 120)
        assert.strictEqual(run?.outputTokens, 48)
        assert.strictEqual(run?.costUsd, expected)
        assert.strictEqual(run?.provider, "primary")
        const t = yield* topics
        assert.strictEqual(t.filter((x) => x === "api.call.success").length, 1)
        assert.strictEqual(t.filter((x) => x === "request.succeeded").length, 1)
      }).pipe(Effect.scoped, Effect.provide(layer))
    })
  )

  it.effect("a consumer that stops reading: one entry, interrupted, with what it had received; upstream released", () =>
    Effect.gen(function* () {
      const { primary, layer } = yield* streamSetup({
        primary: [{ stream: [{ text: "Hel" }, { text: "lo" }, { delayMs: 1_000 }, { text: "!" }, { finish: "stop" }] }]
      })
      yield* Effect.gen(function* () {
        const s = yield* (yield* Engine).stream(request())
        assert.deepStrictEqual(seen(yield* Stream.runCollect(Stream.take(s.chunks, 1))), ["Hel"])
        assert.deepStrictEqual(primary.streams, { opened: 1, closed: 1 })
        const ledger = yield* entries
        assert.strictEqual(ledger.length, 1)
        assert.strictEqual(ledger[0]!.outcome, "FAILURE")
        assert.strictEqual(ledger[0]!.failureCode, "interrupted")
        assert.strictEqual(ledger[0]!.stream?.cut, true)
        assert.strictEqual((yield* runOf(s.requestId))?.errorCode, "interrupted")
      }).pipe(Effect.scoped, Effect.provide(layer))
    })
  )

  it.effect("a consumer interrupted mid-stream: one entry, interrupted", () =>
    Effect.gen(function* () {
      const { primary, layer } = yield* streamSetup({
        primary: [{ stream: [{ text: "Hel" }, { delayMs: 1_000 }, { text: "lo" }, { finish: "stop" }] }]
      })
      yield* Effect.gen(function* () {
        const s = yield* (yield* Engine).stream(request())
        const fiber = yield* Effect.forkChild(Stream.runDrain(s.chunks))
        yield* Effect.yieldNow
        yield* Fiber.interrupt(fiber)
        assert.deepStrictEqual(primary.streams, { opened: 1, closed: 1 })
        const ledger = yield* entries
        assert.strictEqual(ledger.length, 1)
        assert.strictEqual(ledger[0]!.failureCode, "interrupted")
      }).pipe(Effect.scoped, Effect.provide(layer))
    })
  )

  it.effect("chunks never read: closing the scope records the request (interrupted) and releases the upstream", () =>
    Effect.gen(function* () {
      const { primary, layer } = yield* streamSetup({ primary: ["ok"] })
      yield* Effect.gen(function* () {
        const engine = yield* Engine
        const s = yield* Effect.scoped(engine.stream(request()))
        assert.deepStrictEqual(primary.streams, { opened: 1, closed: 1 })
        const ledger = yield* entries
        assert.strictEqual(ledger.length, 1)
        assert.strictEqual(ledger[0]!.requestId, s.requestId)
        assert.strictEqual(ledger[0]!.failureCode, "interrupted")
      }).pipe(Effect.provide(layer))
    })
  )
})

// Answers, failures before and after the first token, stalls, a missing first token, a cut
// without a finish, filtered answers and a slow but healthy stream.
const STEPS: ReadonlyArray<MemoryStep> = [
  "ok",
  { fail: { kind: "http", status: 503 } },
  { stream: [{ text: "" }, { text: "a" }, { text: "b" }, { finish: "stop" }] },
  { stream: [{ text: "a" }, { fail: { kind: "stream", errorType: "api_error" } }] },
  { stream: [{ text: "" }, { delayMs: 5_000 }, { text: "x" }, { finish: "stop" }] },
  { stream: [{ text: "a" }, { delayMs: 5_000 }, { finish: "stop" }] },
  { delayMs: 4_000 },
  { stream: [{ text: "a" }, { text: "b" }] },
  { stream: [{ finish: "content_filter" }] },
  { stream: [{ text: "a" }, { finish: "content_filter" }] },
  "refusal",
  { stream: [{ text: "a" }, { delayMs: 1_500 }, { text: "b" }, { finish: "stop" }] }
]
const Step = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: STEPS.length - 1 }))
const Consumer = Schema.Literals(["all", "first", "stop-after-1s", "never"])
const Scenario = Schema.Struct({
  p: Schema.Array(Step).check(Schema.isMaxLength(6)),
  s: Schema.Array(Step).check(Schema.isMaxLength(6)),
  consumers: Schema.Array(Consumer).check(Schema.isMinLength(1), Schema.isMaxLength(4))
})

type Seen =
  | { readonly _tag: "NotCommitted"; readonly error: EngineError | undefined }
  | {
      readonly _tag: "Ended"
      readonly requestId: string
      readonly finish: string | undefined
      readonly error?: EngineError
    }

describe("exactly one ledger entry per streamed request (property)", () => {
  it.effect("whatever the provider does and however the consumer behaves", () =>
    Effect.gen(function* () {
      const result = yield* Arbitrary.checkEffect(
        Arbitrary.schema(Scenario),
        (sc) =>
          Effect.gen(function* () {
            const { layer } = yield* streamSetup(
              { primary: sc.p.map((i) => STEPS[i]!), secondary: sc.s.map((i) => STEPS[i]!) },
              (raw) => ({
                ...raw,
                retry: { ...raw.retry, deadline: "10 seconds" },
                stream: { firstTokenTimeout: "3 seconds", stallTimeout: "2 seconds" }
              })
            )
            return yield* Effect.gen(function* () {
              const engine = yield* Engine
              const one = (consumer: typeof Consumer.Type, i: number) =>
                Effect.scoped(
                  Effect.gen(function* () {
                    const committed = yield* Effect.exit(engine.stream(request(`question ${i}`)))
                    if (Exit.isFailure(committed)) {
                      const f = committed.cause.reasons.find((r) => r._tag === "Fail")
                      return { _tag: "NotCommitted", error: f?._tag === "Fail" ? f.error : undefined } satisfies Seen
                    }
                    const s = committed.value
                    const got: Array<CompletionChunk> = []
                    const read =
                      consumer === "first" ? Stream.take(s.chunks, 1) : consumer === "never" ? Stream.empty : s.chunks
                    const run = Stream.runForEach(read, (c) => Effect.sync(() => got.push(c)))
                    const exit = yield* Effect.exit(
                      consumer === "stop-after-1s" ? Effect.timeoutOption(run, "1 second") : run
                    )
                    const f = Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Fail") : undefined
                    const finish = got.find((c) => c._tag === "Finish")
                    return {
                      _tag: "Ended",
                      requestId: s.requestId,
                      finish: finish?._tag === "Finish" ? finish.finishReason : undefined,
                      ...(f?._tag === "Fail" ? { error: f.error } : {})
                    } satisfies Seen
                  })
                )
              const fibers = yield* Effect.forEach(sc.consumers, (c, i) => Effect.forkChild(one(c, i)))
              const seenBy = yield* Effect.forEach(fibers, (f) => drive(f))
              const ledger = yield* entries
              const sql = yield* SqlClient.SqlClient
              const runs = yield* sql<{ id: string; status: string }>`SELECT id, status FROM llm_runs`
              if (ledger.length !== sc.consumers.length || runs.length !== sc.consumers.length) return false
              if (new Set(ledger.map((e) => e.requestId)).size !== ledger.length) return false
              if (runs.some((r) => r.status === "STARTED")) return false
              return seenBy.every((x) => {
                if (x._tag === "NotCommitted") {
                  const e = ledger.find((l) => l.requestId === x.error?.requestId)
                  return e !== undefined && e.outcome === "FAILURE" && e.failureCode === x.error?.code && !e.stream
                }
                const e = ledger.find((l) => l.requestId === x.requestId)
                if (e === undefined || e.stream === undefined) return false
                // A stream that failed says so in the ledger, with the error's code and the cut.
                if (x.error !== undefined) return e.failureCode === x.error.code && e.stream.cut
                // A stream whose finish reached the client is complete (a filtered one is a refusal).
                if (x.finish !== undefined) {
                  return (
                    !e.stream.cut &&
                    (x.finish === "content_filter" ? e.failureCode === "content_policy" : e.outcome !== "FAILURE")
                  )
                }
                // Stopped before its finish: interrupted, cut.
                return e.failureCode === "interrupted" && e.stream.cut
              })
            }).pipe(Effect.provide(layer))
          }).pipe(Effect.provideService(References.MinimumLogLevel, "None")),
        { runs: 40 }
      )
      assert.strictEqual(Arbitrary.formatCheckFailure(result), undefined)
    })
  )
})
