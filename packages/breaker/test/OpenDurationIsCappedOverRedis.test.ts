// The capped growth and the half-open probe over the real Redis store (open times on the Redis
// server's clock, so real time with short durations; every wait polls a condition, bounded).
import { EventBus, EventLog } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Schedule } from "effect"
import { Breakers } from "../src/index.ts"
import { failWith, makeUpstream, ok, providerDown } from "./support.ts"
import { cleanupAfter, connection, skipRedis, uniquePrefix } from "./redis.ts"

const target = { provider: "primary", model: "gpt-4o" }

const untilProbeDue = Breakers.use((b) => b.status(target)).pipe(
  Effect.filterOrFail((s) => s !== "open"),
  Effect.retry({ schedule: Schedule.spaced("20 millis"), times: 100 })
)

describe.skipIf(skipRedis)("over Redis the open duration grows to maxOpenFor and no further", () => {
  it.live("failed probes reopen for 100, 200, 300, 300 ms; a successful probe closes the circuit", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix()
      yield* cleanupAfter(prefix)
      const layer = Breakers.layerRedis(
        { defaults: { consecutiveFailures: 1, openFor: "100 millis", maxOpenFor: "300 millis" } },
        { prefix }
      ).pipe(Layer.provideMerge(EventBus.layerMemory), Layer.provide(connection()))
      yield* Effect.gen(function* () {
        const upstream = yield* makeUpstream
        yield* Effect.flip(upstream.call(target, failWith(providerDown())))
        for (let probe = 0; probe < 3; probe++) {
          yield* untilProbeDue
          yield* Effect.flip(upstream.call(target, failWith(providerDown())))
        }
        yield* untilProbeDue
        assert.strictEqual(yield* upstream.call(target, ok), "ok")
        assert.strictEqual(yield* Breakers.use((b) => b.status(target)), "closed")
        const events = yield* EventLog.use((log) => log.all)
        const opened = events.flatMap((e) =>
          e.topic === "circuit.tripped" && e.breaker === "provider:primary" ? [e.openForMs] : []
        )
        assert.deepStrictEqual(opened, [100, 200, 300, 300])
        assert.strictEqual(yield* upstream.calls, 5, "one trip, three failed probes, one good probe")
        assert.isTrue(events.some((e) => e.topic === "circuit.reset" && e.breaker === "provider:primary"))
      }).pipe(Effect.provide(layer))
    })
  )
})
