/**
 * Issue 13, "fail over on silence": a first-token timeout moves to the next candidate at once —
 * even with backoff retries left on the silent provider — and that provider is retried only
 * after the others, within the deadline. MemoryProviders on the TestClock.
 */
import { Engine } from "@am/engine"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { drive, entries, request, seen, streamSetup } from "./support/StreamSetup.ts"

const hello = { stream: [{ text: "Hel" }, { text: "lo" }, { finish: "stop" as const }] }
/** Two backoff retries per provider and a breaker that stays closed: the old rules would retry the primary. */
const patient = (raw: any) => ({
  ...raw,
  retry: { ...raw.retry, providerRetries: 2 },
  providers: { ...raw.providers, primary: { ...raw.providers.primary, breaker: { consecutiveFailures: 10 } } }
})

const streamed = Effect.gen(function* () {
  const engine = yield* Engine
  const fiber = yield* Effect.forkChild(
    Effect.flatMap(engine.stream(request()), (s) =>
      Effect.map(Stream.runCollect(s.chunks), (chunks) => ({ s, chunks }))
    )
  )
  return yield* drive(fiber)
})

describe("a silent provider is left at once and retried only after the others", () => {
  it.effect("no first token within firstTokenTimeout: the fallback answers at firstTokenTimeout + its own time", () =>
    Effect.gen(function* () {
      const { primary, layer } = yield* streamSetup(
        { primary: [{ delayMs: 60_000 }], secondary: [{ stream: [{ delayMs: 700 }, ...hello.stream] }] },
        patient
      )
      yield* Effect.gen(function* () {
        const { s, chunks } = yield* streamed
        assert.strictEqual(s.provider, "secondary")
        assert.deepStrictEqual(
          s.resilience.attempts.map((a) => `${a.provider}:${a.outcome}:${a.class ?? ""}`),
          ["primary:failure:timeout", "secondary:success:"]
        )
        assert.deepStrictEqual(seen(chunks), ["Hel", "lo", "Finish:stop"])
        assert.deepStrictEqual(primary.streams, { opened: 1, closed: 1 })
        const [entry] = yield* entries
        // 5 000 ms of silence, then the fallback's own 700 ms — no backoff retry of the primary between.
        assert.strictEqual(entry!.stream?.firstTokenMs, 5_700)
      }).pipe(Effect.scoped, Effect.provide(layer))
    })
  )

  it.effect("when the others fail too, the silent provider gets its retry after them", () =>
    Effect.gen(function* () {
      const { layer } = yield* streamSetup(
        {
          primary: [{ delayMs: 60_000 }, hello],
          secondary: [{ stream: [{ fail: { kind: "http", status: 503 } }] }]
        },
        (raw) => ({ ...patient(raw), retry: { ...raw.retry, providerRetries: 0 } })
      )
      yield* Effect.gen(function* () {
        const { s } = yield* streamed
        assert.strictEqual(s.provider, "primary")
        assert.deepStrictEqual(
          s.resilience.attempts.map((a) => `${a.provider}:${a.outcome}:${a.class ?? ""}`),
          ["primary:failure:timeout", "secondary:failure:overloaded", "primary:success:"]
        )
      }).pipe(Effect.scoped, Effect.provide(layer))
    })
  )
})
