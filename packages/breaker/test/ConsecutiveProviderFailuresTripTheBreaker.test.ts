import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Breakers, CircuitOpen } from "../src/index.ts"
import {
  classify as classify_,
  circuitEvents,
  failWith,
  harness,
  makeUpstream,
  ok,
  providerDown,
  strip
} from "./support.ts"

const target = { provider: "primary", model: "gpt-4o" }

describe("consecutive provider-scoped failures trip the breaker", () => {
  it.effect("the N-th consecutive failure opens both circuits; the next call is rejected without running", () =>
    Effect.gen(function* () {
      const upstream = yield* makeUpstream
      const breakers = yield* Breakers
      for (const _ of [1, 2]) {
        yield* Effect.flip(upstream.call(target, failWith(providerDown())))
        assert.strictEqual(yield* breakers.status(target), "closed")
      }
      const third = yield* Effect.flip(upstream.call(target, failWith(providerDown())))
      assert.strictEqual(third._tag, "Upstream", "the tripping call still returns its own failure")
      assert.strictEqual(yield* breakers.status({ provider: "primary" }), "open")
      assert.strictEqual(yield* breakers.status(target), "open")

      const rejected = yield* Effect.flip(upstream.call(target, ok))
      assert.instanceOf(rejected, CircuitOpen)
      assert.strictEqual(yield* upstream.calls, 3, "a rejected call never reaches the upstream")
      if (rejected instanceof CircuitOpen) {
        assert.strictEqual(rejected.breaker, "provider:primary")
        assert.strictEqual(rejected.provider, "primary")
        assert.isUndefined(rejected.model)
        assert.strictEqual(rejected.retryAfterMs, 10_000)
      }

      assert.deepStrictEqual(strip(yield* circuitEvents), [
        {
          topic: "circuit.tripped",
          breaker: "model:primary/gpt-4o",
          provider: "primary",
          model: "gpt-4o",
          openForMs: 10_000
        },
        { topic: "circuit.tripped", breaker: "provider:primary", provider: "primary", openForMs: 10_000 },
        { topic: "circuit.rejected", breaker: "provider:primary", provider: "primary" }
      ])
    }).pipe(Effect.provide(harness({ defaults: { consecutiveFailures: 3 } })))
  )

  it.effect("a success in between resets the streak", () =>
    Effect.gen(function* () {
      const upstream = yield* makeUpstream
      for (const _ of [1, 2, 3, 4]) yield* Effect.flip(upstream.call(target, failWith(providerDown())))
      yield* upstream.call(target, ok)
      for (const _ of [1, 2, 3, 4]) yield* Effect.flip(upstream.call(target, failWith(providerDown())))
      assert.strictEqual(yield* Breakers.use((b) => b.status(target)), "closed")
      yield* Effect.flip(upstream.call(target, failWith(providerDown())))
      assert.strictEqual(yield* Breakers.use((b) => b.status(target)), "open", "default policy: 5 in a row")
    }).pipe(Effect.provide(harness()))
  )

  it.effect("a provider's own policy overrides the defaults; other providers keep the defaults", () =>
    Effect.gen(function* () {
      const upstream = yield* makeUpstream
      const fragile = { provider: "fragile", model: "m" }
      const sturdy = { provider: "sturdy", model: "m" }
      yield* Effect.flip(upstream.call(fragile, failWith(providerDown())))
      yield* Effect.flip(upstream.call(sturdy, failWith(providerDown())))
      assert.strictEqual(yield* Breakers.use((b) => b.status(fragile)), "open")
      assert.strictEqual(yield* Breakers.use((b) => b.status(sturdy)), "closed")
      const tripped = (yield* circuitEvents).find((e) => e.topic === "circuit.tripped")
      assert.deepInclude(tripped, { provider: "fragile", openForMs: 2_000 })
    }).pipe(
      Effect.provide(
        harness({
          defaults: { consecutiveFailures: 2 },
          providers: { fragile: { consecutiveFailures: 1, openFor: "2 seconds" } }
        })
      )
    )
  )

  it.effect("a defect or an interruption says nothing about the provider", () =>
    Effect.gen(function* () {
      const breakers = yield* Breakers
      // Were a defect or an interruption classified, this would trip the one-failure policy.
      const classify = () => classify_(providerDown())
      yield* Effect.exit(breakers.run(target, Effect.die("bug"), classify))
      yield* Effect.exit(breakers.run(target, Effect.interrupt, classify))
      assert.strictEqual(yield* breakers.status(target), "closed")
    }).pipe(Effect.provide(harness({ defaults: { consecutiveFailures: 1 } })))
  )
})
