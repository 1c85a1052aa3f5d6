import { assert, describe, it } from "@effect/vitest"
import { Effect, Logger, References } from "effect"
import { Engine } from "@am/engine"
import { events, makeHarness, runDriven, SECRETS, user } from "./support/Harness.ts"

describe("secrets never leave (official SDKs against the testkit)", () => {
  it.effect("no key appears in answers, errors, events or log lines — only ids and fingerprints", () =>
    Effect.gen(function* () {
      const lines: Array<string> = []
      const collect = Logger.make((o) => {
        lines.push(JSON.stringify({ m: o.message, a: o.fiber.getRef(References.CurrentLogAnnotations) }))
      })
      // k1 is rejected (the upstream's 401 echoes a masked key), Anthropic is down, Gemini rejects its key.
      const h = yield* makeHarness({
        openaiKeys: [SECRETS.k2],
        anthropicScript: [{ sequence: ["server_error"], repeat: true }],
        geminiScript: [{ sequence: ["invalid_key"], repeat: true }]
      })
      yield* Effect.gen(function* () {
        const engine = yield* Engine
        const ok = yield* runDriven(engine.complete(user("hello")))
        const failed = yield* runDriven(Effect.flip(engine.complete({ ...user("x"), model: "claude-sonnet-4-6" })))
        const state = yield* engine.state
        const scan = [
          JSON.stringify(ok),
          JSON.stringify(failed),
          String(failed),
          JSON.stringify(yield* events),
          JSON.stringify(state),
          lines.join("\n")
        ].join("\n")
        Object.values(SECRETS).forEach((secret) => {
          assert.notInclude(scan, secret)
          assert.notInclude(scan, secret.slice(0, 16))
        })
        assert.isAbove(lines.length, 0, "failures were logged")
        assert.include(scan, "fp_")
      }).pipe(Effect.provide(h.layer), Effect.provide(Logger.layer([collect])))
    }).pipe(Effect.scoped)
  )
})
