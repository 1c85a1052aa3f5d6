import { EventBus } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer } from "effect"
import { Breakers, validateBreakersConfig } from "../src/index.ts"

describe("an invalid breaker configuration fails at start with the path of the bad field", () => {
  it("names every bad field", () => {
    assert.deepStrictEqual(validateBreakersConfig({}), [])
    assert.deepStrictEqual(
      validateBreakersConfig({
        defaults: { consecutiveFailures: 0, openFor: "soon" as never },
        providers: {
          primary: { failureRate: { threshold: 1.5, window: 10, minimumCalls: 20 } },
          both: { consecutiveFailures: 3, failureRate: { threshold: 0.5 } },
          timed: { failureRate: { threshold: 0.5, window: "30 seconds" as unknown as number } }
        }
      }),
      [
        "defaults.consecutiveFailures: must be an integer >= 1 (got 0)",
        'defaults.openFor: must be a positive finite duration such as "30 seconds" (got soon)',
        "providers.primary.failureRate.threshold: must be a number in [0, 1] (got 1.5)",
        "providers.primary.failureRate.minimumCalls: must not exceed window (20 > 10)",
        "providers.both: set either consecutiveFailures or failureRate, not both",
        'providers.timed.failureRate.window: must be a whole number of calls >= 1 (got "30 seconds"); the breaker\'s rate window counts calls, not time'
      ]
    )
  })

  it("names a bad known-models list", () => {
    assert.deepStrictEqual(validateBreakersConfig({ models: { primary: ["gpt-4o", ""], other: "gpt-4o" as never } }), [
      "models.primary.1: must be a non-empty string",
      "models.other: must be an array of model names"
    ])
  })

  it("checks the cap against the merged openFor", () => {
    assert.deepStrictEqual(
      validateBreakersConfig({ defaults: { openFor: "1 minute" }, providers: { p: { maxOpenFor: "30 seconds" } } }),
      ["providers.p.maxOpenFor: must be at least openFor (30s < 1m)"]
    )
  })

  it.effect("the layer refuses to build", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        Effect.scoped(Layer.build(Breakers.layerMemory({ defaults: { consecutiveFailures: -1 } })))
      )
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) assert.include(String(Cause.squash(exit.cause)), "defaults.consecutiveFailures")
    }).pipe(Effect.provide(EventBus.layerNoop))
  )
})
