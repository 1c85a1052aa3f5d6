import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Breakers, CircuitOpen } from "../src/index.ts"
import { circuitEvents, failure, failWith, harness, makeUpstream, ok, providerDown } from "./support.ts"

const target = { provider: "primary", model: "gpt-4o" }
const rate = { failureRate: { threshold: 0.5, minimumCalls: 4, window: 4 } } as const

describe("the failure-rate policy trips at the threshold", () => {
  it.effect("no rate below minimumCalls; opens when failures / window reaches the threshold", () =>
    Effect.gen(function* () {
      const upstream = yield* makeUpstream
      const breakers = yield* Breakers
      const status = breakers.status({ provider: "primary" })
      // 3 failures in a row are below minimumCalls (4): still closed, which consecutive(3) would not be.
      yield* upstream.call(target, ok)
      yield* upstream.call(target, ok)
      yield* upstream.call(target, ok)
      assert.strictEqual(yield* status, "closed")
      yield* Effect.flip(upstream.call(target, failWith(providerDown()))) // [ok ok ok F] = 0.25
      assert.strictEqual(yield* status, "closed")
      yield* Effect.flip(upstream.call(target, failWith(failure("model", "model_not_found")))) // ignored, not recorded
      yield* Effect.flip(upstream.call(target, failWith(failure("key", "rate_limit")))) // ignored, not recorded
      assert.strictEqual(yield* status, "closed")
      yield* Effect.flip(upstream.call(target, failWith(providerDown()))) // [ok ok F F] = 0.5
      assert.strictEqual(yield* status, "open")
      assert.instanceOf(yield* Effect.flip(upstream.call(target, ok)), CircuitOpen)
      const tripped = (yield* circuitEvents).filter((e) => e.topic === "circuit.tripped")
      assert.deepStrictEqual(
        tripped.map((e) => ("breaker" in e ? e.breaker : "")),
        ["model:primary/gpt-4o", "provider:primary"]
      )
    }).pipe(Effect.provide(harness({ defaults: rate })))
  )

  it.effect("a rate just under the threshold keeps it closed as old outcomes slide out", () =>
    Effect.gen(function* () {
      const upstream = yield* makeUpstream
      const status = Breakers.use((b) => b.status({ provider: "primary" }))
      // Alternating F ok F ok… over a window of 5 is at most 3/5 = 0.6 < 0.75.
      for (const i of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) {
        yield* Effect.exit(upstream.call(target, i % 2 === 0 ? failWith(providerDown()) : ok))
        assert.strictEqual(yield* status, "closed", `after call ${i}`)
      }
      yield* Effect.exit(upstream.call(target, failWith(providerDown()))) // [F ok F ok F] = 0.6
      yield* Effect.exit(upstream.call(target, failWith(providerDown()))) // [ok F ok F F] = 0.6
      assert.strictEqual(yield* status, "closed")
      yield* Effect.exit(upstream.call(target, failWith(providerDown()))) // [F ok F F F] = 0.8
      assert.strictEqual(yield* status, "open")
    }).pipe(Effect.provide(harness({ defaults: { failureRate: { threshold: 0.75, window: 5 } } })))
  )
})
