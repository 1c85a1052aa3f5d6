import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Engine } from "@am/engine"
import { makeHarness, user } from "./support/Harness.ts"

describe("request-scoped failures fail fast", () => {
  it.effect("400 malformed request → no fallback, one attempt, invalid_request", () =>
    Effect.gen(function* () {
      const h = yield* makeHarness({ openaiScript: [{ sequence: ["malformed_request"], repeat: true }] })
      yield* Effect.gen(function* () {
        const error = yield* Effect.flip((yield* Engine).complete(user("hello")))
        assert.strictEqual(error.code, "invalid_request")
        assert.strictEqual(error.attempts.length, 1)
        assert.strictEqual(error.attempts[0]!.scope, "request")
        assert.strictEqual(h.openai.requests.length, 1)
        assert.strictEqual(h.anthropic.requests.length, 0)
        assert.strictEqual(h.gemini.requests.length, 0)
      }).pipe(Effect.provide(h.layer))
    }).pipe(Effect.scoped)
  )

  it.effect("an unknown route is a no_route error without any call", () =>
    Effect.gen(function* () {
      const h = yield* makeHarness()
      yield* Effect.gen(function* () {
        const error = yield* Effect.flip((yield* Engine).complete({ ...user("x"), route: "nope" }))
        assert.strictEqual(error.code, "no_route")
        assert.include(error.message, "nope")
        assert.strictEqual(h.openai.requests.length + h.anthropic.requests.length + h.gemini.requests.length, 0)
      }).pipe(Effect.provide(h.layer))
    }).pipe(Effect.scoped)
  )
})
