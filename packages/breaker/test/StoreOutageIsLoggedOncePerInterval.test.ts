// While the circuit store is down (Redis unreachable) every call still runs, unrecorded — and the
// outage is logged once per interval with a count, not once per call. The store is Effect's
// memory store with a switch that makes every operation fail as a dropped Redis connection would.
import { EventBus } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Logger } from "effect"
import { CircuitBreaker } from "effect/persistence"
import { TestClock } from "effect/testing"
import { Breakers } from "../src/index.ts"
import { makeUpstream, ok, providerDown } from "./support.ts"

const target = { provider: "primary", model: "gpt-4o" }

const switchableStore = Effect.gen(function* () {
  const inner = yield* CircuitBreaker.CircuitBreakerStore
  const down = { value: false }
  const unavailable = Effect.fail(
    new CircuitBreaker.CircuitBreakerError({
      reason: new CircuitBreaker.CircuitBreakerStoreError({ message: "Connection is closed." })
    })
  )
  const store = CircuitBreaker.CircuitBreakerStore.of({
    admit: (key) => (down.value ? unavailable : inner.admit(key)),
    record: (options) => (down.value ? unavailable : inner.record(options)),
    state: (key) => (down.value ? unavailable : inner.state(key))
  })
  return { store, down }
})

const setup = Effect.gen(function* () {
  const lines: Array<{ level: string; message: string }> = []
  const collect = Logger.make((o) => {
    lines.push({ level: o.logLevel, message: String(Array.isArray(o.message) ? o.message[0] : o.message) })
  })
  const { store, down } = yield* switchableStore.pipe(Effect.provide(CircuitBreaker.layerStoreMemory()))
  const layer = Breakers.layerStore({ defaults: { consecutiveFailures: 2 }, storeErrorLogInterval: "10 seconds" }).pipe(
    Layer.provide([Layer.succeed(CircuitBreaker.CircuitBreakerStore, store), EventBus.layerMemory]),
    Layer.provideMerge(Logger.layer([collect]))
  )
  return { lines, down, layer }
})

describe("a circuit-store outage is logged once per interval, with a count", () => {
  it.effect("twenty calls in one interval: every call runs, one ERROR; the next interval reports the rest", () =>
    Effect.gen(function* () {
      const { lines, down, layer } = yield* setup
      yield* Effect.gen(function* () {
        const upstream = yield* makeUpstream
        down.value = true
        for (let i = 0; i < 20; i++) {
          // Failures too: unrecorded, they must not trip anything once the store is back.
          assert.strictEqual(
            yield* upstream
              .call(target, i % 2 === 0 ? ok : Effect.fail(providerDown()))
              .pipe(Effect.orElseSucceed(() => "failed")),
            i % 2 === 0 ? "ok" : "failed"
          )
          yield* TestClock.adjust(100)
        }
        assert.strictEqual(yield* upstream.calls, 20, "the breaker fails open: every call ran")
        const errors = () => lines.filter((l) => l.level === "Error")
        assert.strictEqual(errors().length, 1, JSON.stringify(lines))
        assert.include(errors()[0]!.message, "store unavailable")
        assert.include(errors()[0]!.message, "(1 failed store operation since the last report")

        // Past the interval the next failure reports everything suppressed since plus itself: each call
        // admits through two circuits (provider, model), so 2 × 20 − 1 suppressed + 1.
        yield* TestClock.adjust("10 seconds")
        yield* upstream.call(target, ok)
        assert.strictEqual(errors().length, 2)
        assert.include(errors()[1]!.message, "(40 failed store operations since the last report")

        // The store is back: one INFO, the circuit works again (two failures trip it).
        down.value = false
        yield* upstream.call(target, ok)
        assert.isTrue(lines.some((l) => l.level === "Info" && l.message.includes("available again")))
        yield* Effect.flip(upstream.call(target, Effect.fail(providerDown())))
        yield* Effect.flip(upstream.call(target, Effect.fail(providerDown())))
        assert.strictEqual(yield* Breakers.use((b) => b.status(target)), "open")
        assert.strictEqual(errors().length, 2)
      }).pipe(Effect.provide(layer))
    })
  )
})
