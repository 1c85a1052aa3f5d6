import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { Breakers, CircuitOpen } from "../src/index.ts"
import { circuitEvents, failure, failWith, harness, makeUpstream, ok, providerDown, strip } from "./support.ts"

const target = { provider: "primary", model: "gpt-4o" }
const policy = { consecutiveFailures: 2, openFor: "10 seconds", maxOpenFor: "25 seconds" } as const
const providerEvents = Effect.map(circuitEvents, (events) =>
  strip(events.filter((e) => "breaker" in e && e.breaker === "provider:primary"))
)

describe("after openFor the circuit half-opens and one probe decides", () => {
  it.effect("a successful probe closes the circuit (circuit.half_open, then circuit.reset)", () =>
    Effect.gen(function* () {
      const upstream = yield* makeUpstream
      const breakers = yield* Breakers
      yield* Effect.flip(upstream.call(target, failWith(providerDown())))
      yield* Effect.flip(upstream.call(target, failWith(providerDown())))
      yield* TestClock.adjust("9999 millis")
      assert.strictEqual(yield* breakers.status(target), "open")
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(yield* breakers.status(target), "half_open")

      assert.strictEqual(yield* upstream.call(target, ok), "ok")
      assert.strictEqual(yield* breakers.status(target), "closed")
      assert.deepStrictEqual(yield* providerEvents, [
        { topic: "circuit.tripped", breaker: "provider:primary", provider: "primary", openForMs: 10_000 },
        { topic: "circuit.half_open", breaker: "provider:primary", provider: "primary" },
        { topic: "circuit.reset", breaker: "provider:primary", provider: "primary" }
      ])
    }).pipe(Effect.provide(harness({ defaults: policy })))
  )

  it.effect("a failed probe reopens the circuit for longer each time, up to maxOpenFor", () =>
    Effect.gen(function* () {
      const upstream = yield* makeUpstream
      const breakers = yield* Breakers
      yield* Effect.flip(upstream.call(target, failWith(providerDown())))
      yield* Effect.flip(upstream.call(target, failWith(providerDown())))
      // openings last 10 s, 20 s, then 25 s (40 s capped), then 25 s
      for (const waited of [10_000, 20_000, 25_000]) {
        yield* TestClock.adjust(waited - 1)
        assert.strictEqual(yield* breakers.status(target), "open")
        yield* TestClock.adjust(1)
        yield* Effect.flip(upstream.call(target, failWith(providerDown())))
      }
      const opened = (yield* providerEvents).flatMap((e) => (e.topic === "circuit.tripped" ? [e.openForMs] : []))
      assert.deepStrictEqual(opened, [10_000, 20_000, 25_000, 25_000])
      assert.strictEqual(yield* upstream.calls, 5, "two trips' worth of failures plus three probes")
    }).pipe(Effect.provide(harness({ defaults: policy })))
  )

  it.effect("while the probe runs every other call is rejected with CircuitOpen, at every model", () =>
    Effect.gen(function* () {
      const upstream = yield* makeUpstream
      const breakers = yield* Breakers
      yield* Effect.flip(upstream.call(target, failWith(providerDown())))
      yield* Effect.flip(upstream.call(target, failWith(providerDown())))
      yield* TestClock.adjust("10 seconds")

      const release = yield* Deferred.make<void>()
      const probe = yield* Effect.forkChild(upstream.call(target, Effect.as(Deferred.await(release), "probe")), {
        startImmediately: true
      })
      const same = yield* Effect.flip(upstream.call(target, ok))
      const other = yield* Effect.flip(upstream.call({ provider: "primary", model: "gpt-4o-mini" }, ok))
      for (const rejected of [same, other]) {
        assert.instanceOf(rejected, CircuitOpen)
        assert.deepInclude(rejected, { breaker: "provider:primary", provider: "primary" })
        assert.isUndefined((rejected as CircuitOpen).retryAfterMs, "half-open has no known end")
      }
      assert.strictEqual(yield* breakers.status(target), "half_open")

      yield* Deferred.succeed(release, undefined)
      assert.strictEqual(yield* Fiber.join(probe), "probe")
      assert.strictEqual(yield* breakers.status(target), "closed")
      assert.strictEqual(yield* upstream.calls, 3, "only the probe reached the upstream")
      const rejections = (yield* providerEvents).filter((e) => e.topic === "circuit.rejected")
      assert.strictEqual(rejections.length, 2)
    }).pipe(Effect.provide(harness({ defaults: policy })))
  )

  it.effect("a probe that fails at a narrower scope frees the slot instead of deciding", () =>
    Effect.gen(function* () {
      const upstream = yield* makeUpstream
      const breakers = yield* Breakers
      yield* Effect.flip(upstream.call(target, failWith(providerDown())))
      yield* Effect.flip(upstream.call(target, failWith(providerDown())))
      yield* TestClock.adjust("10 seconds")
      yield* Effect.flip(upstream.call(target, failWith(failure("key", "auth_invalid"))))
      assert.strictEqual(yield* breakers.status(target), "half_open")
      assert.strictEqual(yield* upstream.call(target, ok), "ok", "the next call becomes the probe")
      assert.strictEqual(yield* breakers.status(target), "closed")
    }).pipe(Effect.provide(harness({ defaults: policy })))
  )
})
