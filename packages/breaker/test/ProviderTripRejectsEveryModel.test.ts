import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Breakers, CircuitOpen } from "../src/index.ts"
import { failWith, harness, makeUpstream, ok, providerDown } from "./support.ts"

describe("provider and provider+model circuits", () => {
  it.effect("a provider-level trip rejects every model of that provider, even one never called", () =>
    Effect.gen(function* () {
      const upstream = yield* makeUpstream
      const breakers = yield* Breakers
      // One failure per model: no model circuit reaches 3, the provider circuit does.
      for (const model of ["a", "b", "c"]) {
        yield* Effect.flip(upstream.call({ provider: "primary", model }, failWith(providerDown())))
        assert.strictEqual(yield* breakers.status({ provider: "primary", model }), model === "c" ? "open" : "closed")
      }
      for (const model of ["a", "b", "c", "never-called"]) {
        const rejected = yield* Effect.flip(upstream.call({ provider: "primary", model }, ok))
        assert.instanceOf(rejected, CircuitOpen)
        assert.strictEqual((rejected as CircuitOpen).breaker, "provider:primary")
        assert.strictEqual(yield* breakers.status({ provider: "primary", model }), "open")
      }
      assert.strictEqual(yield* upstream.calls, 3)
      assert.strictEqual(yield* upstream.call({ provider: "secondary", model: "a" }, ok), "ok", "other providers run")
      assert.strictEqual(yield* breakers.status({ provider: "secondary" }), "closed")
    }).pipe(Effect.provide(harness({ defaults: { consecutiveFailures: 3 } })))
  )

  it.effect("a model-level trip rejects that model only; the provider's other models keep running", () =>
    Effect.gen(function* () {
      const upstream = yield* makeUpstream
      const breakers = yield* Breakers
      const sick = { provider: "primary", model: "sick" }
      const well = { provider: "primary", model: "well" }
      // The successes on `well` keep resetting the provider streak; `sick` alone reaches 3.
      for (const _ of [1, 2, 3]) {
        yield* Effect.flip(upstream.call(sick, failWith(providerDown())))
        yield* upstream.call(well, ok)
      }
      assert.strictEqual(yield* breakers.status(sick), "open")
      assert.strictEqual(yield* breakers.status({ provider: "primary" }), "closed")
      assert.strictEqual(yield* breakers.status(well), "closed")

      const rejected = yield* Effect.flip(upstream.call(sick, ok))
      assert.instanceOf(rejected, CircuitOpen)
      assert.deepInclude(rejected, { breaker: "model:primary/sick", provider: "primary", model: "sick" })
      assert.strictEqual((rejected as CircuitOpen).retryAfterMs, 10_000)
      assert.strictEqual(yield* upstream.call(well, ok), "ok")

      // A model-level rejection is not a provider failure: many of them never trip the provider.
      for (const _ of [1, 2, 3, 4, 5]) yield* Effect.flip(upstream.call(sick, ok))
      assert.strictEqual(yield* breakers.status({ provider: "primary" }), "closed")
    }).pipe(Effect.provide(harness({ defaults: { consecutiveFailures: 3 } })))
  )
})
