import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { Breakers, CircuitOpen } from "../src/index.ts"
import { circuitEvents, failure, failWith, harness, makeUpstream, ok, providerDown } from "./support.ts"

const target = { provider: "primary", model: "gpt-4o" }
const trippedFor = Effect.map(circuitEvents, (events) =>
  events.flatMap((e) => (e.topic === "circuit.tripped" && e.breaker === "provider:primary" ? [e.openForMs] : []))
)

describe("a Retry-After is the floor of the open duration", () => {
  it.effect("Retry-After longer than openFor keeps the circuit open at least that long", () =>
    Effect.gen(function* () {
      const upstream = yield* makeUpstream
      const breakers = yield* Breakers
      yield* Effect.flip(upstream.call(target, failWith(providerDown(90_000))))
      assert.deepStrictEqual(yield* trippedFor, [90_000])

      yield* TestClock.adjust("30 seconds")
      assert.strictEqual(yield* breakers.status(target), "open", "openFor alone would have ended here")
      const rejected = yield* Effect.flip(upstream.call(target, ok))
      assert.instanceOf(rejected, CircuitOpen)
      assert.strictEqual((rejected as CircuitOpen).retryAfterMs, 60_000)

      yield* TestClock.adjust(59_999)
      assert.strictEqual(yield* breakers.status(target), "open")
      yield* TestClock.adjust(1)
      assert.strictEqual(yield* breakers.status(target), "half_open")
      assert.strictEqual(yield* upstream.call(target, ok), "ok")
      assert.strictEqual(yield* breakers.status(target), "closed")
      assert.strictEqual(yield* upstream.calls, 2)
    }).pipe(Effect.provide(harness({ defaults: { consecutiveFailures: 1, openFor: "30 seconds" } })))
  )

  it.effect("a shorter Retry-After never shortens openFor", () =>
    Effect.gen(function* () {
      const upstream = yield* makeUpstream
      yield* Effect.flip(upstream.call(target, failWith(providerDown(1_000))))
      assert.deepStrictEqual(yield* trippedFor, [30_000])
    }).pipe(Effect.provide(harness({ defaults: { consecutiveFailures: 1, openFor: "30 seconds" } })))
  )

  it.effect("a Retry-After beyond maxOpenFor is capped at maxOpenFor", () =>
    Effect.gen(function* () {
      const upstream = yield* makeUpstream
      yield* Effect.flip(upstream.call(target, failWith(providerDown(3_600_000))))
      assert.deepStrictEqual(yield* trippedFor, [120_000])
      yield* TestClock.adjust("2 minutes")
      assert.strictEqual(yield* Breakers.use((b) => b.status(target)), "half_open")
    }).pipe(
      Effect.provide(harness({ defaults: { consecutiveFailures: 1, openFor: "30 seconds", maxOpenFor: "2 minutes" } }))
    )
  )

  it.effect("a Retry-After on a key-scoped failure does not open anything", () =>
    Effect.gen(function* () {
      const upstream = yield* makeUpstream
      yield* Effect.flip(upstream.call(target, failWith(failure("key", "rate_limit", 90_000))))
      assert.strictEqual(yield* Breakers.use((b) => b.status(target)), "closed")
    }).pipe(Effect.provide(harness({ defaults: { consecutiveFailures: 1 } })))
  )
})
