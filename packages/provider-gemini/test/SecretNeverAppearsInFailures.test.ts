import { FaultNames, type Step } from "@am/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Stream } from "effect"
import { call, gemini, SECRET_A, SECRET_B } from "./support.ts"

const leaks = (value: unknown) => {
  const json = JSON.stringify(value)
  return json.includes(SECRET_A) || json.includes(SECRET_B)
}

describe("the key's secret never appears in a ProviderFailure or a Completion", () => {
  it.live("for every fault the fake upstream knows, on complete and on stream", () =>
    Effect.gen(function* () {
      const steps: ReadonlyArray<Step> = [...FaultNames]
      const { provider } = yield* gemini({
        script: [{ sequence: steps.flatMap((s) => [s, s]) }],
        reply: "Several words so the stream has more than one event in it"
      })
      let failures = 0
      for (const _ of steps) {
        const completed = yield* Effect.exit(provider.complete(call({ timeoutMs: 300 })))
        const streamed = yield* Effect.exit(Stream.runCollect(provider.stream(call({ timeoutMs: 300 }))))
        for (const exit of [completed, streamed] as ReadonlyArray<Exit.Exit<unknown, unknown>>) {
          if (Exit.isFailure(exit)) {
            failures++
            const error = Cause.squash(exit.cause)
            // The failure's fields, its message and the rendered cause (what a log line would print).
            assert.isFalse(
              leaks(error) || leaks(String(error)) || leaks(Cause.pretty(exit.cause)),
              Cause.pretty(exit.cause)
            )
          } else {
            assert.isFalse(leaks(exit.value), JSON.stringify(exit.value))
          }
        }
      }
      // Most faults fail; the scan covered real failures, not only successes.
      assert.isAbove(failures, steps.length)
    }).pipe(Effect.scoped)
  )

  it.live("an upstream that echoes the key in its error message is scrubbed", () =>
    Effect.gen(function* () {
      const { provider } = yield* gemini({
        script: [
          {
            sequence: [
              { fault: "invalid_key", message: `API key not valid: ${SECRET_A}` },
              { fault: "overloaded_in_stream", message: `overloaded for key=${SECRET_A}` }
            ]
          }
        ]
      })
      const f = yield* Effect.flip(provider.complete(call()))
      assert.isFalse(leaks(f))
      assert.include(f.message, "[REDACTED]")
      assert.strictEqual(f.errorCode, "API_KEY_INVALID")
      const s = yield* Effect.flip(Stream.runDrain(provider.stream(call())))
      assert.strictEqual(s.kind, "stream")
      assert.isFalse(leaks(s))
      assert.include(s.message, "[REDACTED]")
    }).pipe(Effect.scoped)
  )
})
