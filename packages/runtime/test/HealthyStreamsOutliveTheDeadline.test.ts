/**
 * Issue 13, "timeouts that never cut a healthy answer": the request's deadline bounds getting an
 * answer (attempts, waits, failover up to the commit); a committed stream that keeps sending
 * runs to `stream.maxDuration` from the request's start, and only a stream past that bound is
 * cut (`deadline_exceeded`, never a clean finish). MemoryProviders on the TestClock.
 */
import { Engine } from "@am/engine"
import type { MemoryStreamEvent } from "@am/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Stream } from "effect"
import { drive, entries, request, runOf, seen, streamSetup } from "./support/StreamSetup.ts"

/** One token every `everyMs` for `forMs`, then the finish. */
const drip = (everyMs: number, forMs: number): ReadonlyArray<MemoryStreamEvent> => [
  ...Array.from({ length: forMs / everyMs }, (_, i) => [{ delayMs: everyMs }, { text: `t${i} ` }]).flat(),
  { finish: "stop" as const }
]

const collected = Effect.gen(function* () {
  const engine = yield* Engine
  const fiber = yield* Effect.forkChild(
    Effect.flatMap(engine.stream(request()), (s) =>
      Effect.map(Effect.exit(Stream.runCollect(s.chunks)), (exit) => ({ s, exit }))
    )
  )
  return yield* drive(fiber, 200)
})

/** The config of the scenario: a 10 s provider timeout and the default 60 s deadline. */
const scenario =
  (stream: object = {}) =>
  (raw: any) => ({
    ...raw,
    providers: { ...raw.providers, primary: { ...raw.providers.primary, timeout: "10 seconds" } },
    stream: { ...raw.stream, ...stream }
  })

describe("a healthy stream outlives the request's deadline, up to stream.maxDuration", () => {
  it.effect("a token every 400 ms for 60 s completes whole under timeout 10 s and a 60 s deadline", () =>
    Effect.gen(function* () {
      // The first token after 2 s (a model thinking), then 60 s of tokens: 62 s in all, past the deadline.
      const { layer, primary } = yield* streamSetup(
        { primary: [{ stream: [{ delayMs: 2_000 }, ...drip(400, 60_000)] }] },
        scenario()
      )
      yield* Effect.gen(function* () {
        const { s, exit } = yield* collected
        assert.isTrue(Exit.isSuccess(exit))
        const chunks = Exit.isSuccess(exit) ? exit.value : []
        const shown = seen(chunks)
        assert.strictEqual(shown.length, 151)
        assert.strictEqual(shown.at(-1), "Finish:stop")
        assert.strictEqual(shown.at(-2), "t149 ")
        assert.deepStrictEqual(primary.streams, { opened: 1, closed: 1 })
        const [entry] = yield* entries
        assert.strictEqual(entry!.outcome, "SUCCESS")
        const run = yield* runOf(s.requestId)
        assert.strictEqual(run?.status, "SUCCEEDED")
      }).pipe(Effect.scoped, Effect.provide(layer))
    })
  )

  it.effect("a maxDuration shorter than the deadline never cuts before the deadline", () =>
    Effect.gen(function* () {
      const { layer } = yield* streamSetup(
        { primary: [{ stream: drip(400, 90_000) }] },
        scenario({ maxDuration: "30 seconds" })
      )
      yield* Effect.gen(function* () {
        const { exit } = yield* collected
        assert.isTrue(Exit.isFailure(exit))
        const error = Exit.isFailure(exit) ? (exit.cause.reasons[0] as any)?.error : undefined
        assert.strictEqual(error?.code, "deadline_exceeded")
        // The bound is the later of the deadline (60 s) and maxDuration (30 s): the deadline here.
        assert.include(error?.message, "60000 ms")
        const [entry] = yield* entries
        assert.strictEqual(entry!.outcome, "FAILURE")
      }).pipe(Effect.scoped, Effect.provide(layer))
    })
  )

  it.effect("past the deadline and stream.maxDuration a stream is cut, after delivering what it sent", () =>
    Effect.gen(function* () {
      const { layer } = yield* streamSetup({ primary: [{ stream: drip(400, 60_000) }] }, (raw) => ({
        ...scenario({ maxDuration: "20 seconds" })(raw),
        retry: { ...raw.retry, deadline: "5 seconds" }
      }))
      yield* Effect.gen(function* () {
        const engine = yield* Engine
        const fiber = yield* Effect.forkChild(
          Effect.flatMap(engine.stream(request()), (s) =>
            Stream.runFold(
              s.chunks,
              () => 0,
              (n, c) => (c._tag === "TextDelta" ? n + 1 : n)
            ).pipe(
              Effect.map((n) => ({ n, error: undefined as any })),
              Effect.catch((error) => Effect.succeed({ n: -1, error }))
            )
          )
        )
        const { error } = yield* drive(fiber, 200)
        assert.strictEqual(error?.code, "deadline_exceeded")
        assert.include(error?.message, "20000 ms")
        const [entry] = yield* entries
        // Cut at 20 s: 49 or 50 tokens of 400 ms each ("t0 "…"t9 " are 3 characters, then 4), not the 12 of the 5 s deadline.
        assert.isAtLeast(entry!.stream?.outputChars ?? 0, 10 * 3 + 39 * 4)
        assert.isAtMost(entry!.stream?.outputChars ?? 0, 10 * 3 + 40 * 4)
      }).pipe(Effect.scoped, Effect.provide(layer))
    })
  )

  it.effect("the deadline still bounds getting an answer: silence past it is deadline_exceeded", () =>
    Effect.gen(function* () {
      const { layer } = yield* streamSetup(
        { primary: [{ delayMs: 600_000 }], secondary: [{ delayMs: 600_000 }] },
        (raw) => ({
          ...scenario()(raw),
          retry: { ...raw.retry, deadline: "8 seconds" },
          stream: { ...raw.stream, firstTokenTimeout: "5 seconds" }
        })
      )
      yield* Effect.gen(function* () {
        const engine = yield* Engine
        const fiber = yield* Effect.forkChild(Effect.flip(engine.stream(request())))
        const error = yield* drive(fiber, 200)
        assert.strictEqual(error.code, "deadline_exceeded")
      }).pipe(Effect.scoped, Effect.provide(layer))
    })
  )
})
