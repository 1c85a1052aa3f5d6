import { EventStore, type ResilienceEvent } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { backends } from "./support/backends.ts"

const T0 = 1_700_000_000_000

for (const backend of backends) {
  describe.skipIf(backend.skip)(`telemetry events on ${backend.name}`, () => {
    it.effect("writes batches and reads them back from a time on, in time order", () =>
      Effect.gen(function* () {
        const events = yield* EventStore
        const a: ResilienceEvent = { topic: "circuit.reset", at: T0 + 20, breaker: "openai", provider: "openai" }
        const b: ResilienceEvent = {
          topic: "circuit.reset",
          at: T0,
          breaker: "anthropic",
          provider: "anthropic",
          requestId: "q1"
        }
        const c: ResilienceEvent = {
          topic: "circuit.reset",
          at: T0 + 10,
          breaker: "gemini",
          provider: "gemini",
          model: "gemini-2.5"
        }
        yield* events.write([a, b])
        yield* events.write([c])
        yield* events.write([])
        assert.deepStrictEqual(yield* events.since(0, 10), [b, c, a])
        assert.deepStrictEqual(yield* events.since(T0 + 10, 10), [c, a])
        assert.deepStrictEqual(yield* events.since(T0, 2), [b, c])
        assert.deepStrictEqual(yield* events.since(T0 + 21, 10), [])
      }).pipe(Effect.provide(backend.layer()))
    )
  })
}
