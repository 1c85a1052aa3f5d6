// Two replicas: two `Breakers.layerRedis` instances, each with its own Redis connection and event
// bus, sharing one key prefix. Real Redis, real time: open durations run on the server's clock,
// so the only wait (for a short open time to pass) polls, bounded.
import { EventBus, EventLog } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Schedule } from "effect"
import { Breakers, type BreakersConfig, CircuitOpen } from "../src/index.ts"
import { failWith, makeUpstream, ok, providerDown, type Upstream } from "./support.ts"
import { cleanupAfter, connection, skipRedis, uniquePrefix } from "./redis.ts"

const target = { provider: "primary", model: "gpt-4o" }

/** One replica: breakers over Redis with a connection and an event log of its own. */
const replica = (config: BreakersConfig, prefix: string) =>
  Effect.gen(function* () {
    const context = yield* Layer.build(
      Breakers.layerRedis(config, { prefix }).pipe(
        Layer.provideMerge(EventBus.layerMemory),
        Layer.provide(connection())
      )
    )
    const on = <A, E>(effect: Effect.Effect<A, E, Breakers | EventLog>) => Effect.provideContext(effect, context)
    const made = yield* makeUpstream
    // The upstream's calls read the Breakers service when they run: this replica's.
    const upstream = {
      calls: made.calls,
      call: <A>(t: typeof target, outcome: Effect.Effect<A, Upstream>) => on(made.call(t, outcome))
    }
    const breakers = Context.get(context, Breakers)
    const topics = on(EventLog.use((log) => Effect.map(log.all, (all) => all.map((e) => e.topic))))
    return { on, upstream, breakers, topics }
  })

const setup = (config: BreakersConfig) =>
  Effect.gen(function* () {
    const prefix = uniquePrefix()
    yield* cleanupAfter(prefix)
    return { a: yield* replica(config, prefix), b: yield* replica(config, prefix) }
  })

describe.skipIf(skipRedis)("circuits are shared between replicas through Redis", () => {
  it.live("a circuit tripped through one replica rejects in the other and reads open in its snapshot", () =>
    Effect.gen(function* () {
      const { a, b } = yield* setup({
        defaults: { consecutiveFailures: 2, openFor: "1 minute" },
        providers: { primary: {} },
        models: { primary: ["gpt-4o", "gpt-4o-mini"] }
      })
      // B lists the configured circuits before it has called anything.
      assert.deepStrictEqual(
        (yield* b.breakers.snapshot).map((s) => [s.name, s.status]),
        [
          ["provider:primary", "closed"],
          ["model:primary/gpt-4o", "closed"],
          ["model:primary/gpt-4o-mini", "closed"]
        ]
      )

      yield* Effect.flip(a.upstream.call(target, failWith(providerDown())))
      yield* Effect.flip(a.upstream.call(target, failWith(providerDown())))

      const rejected = yield* Effect.flip(b.upstream.call(target, ok))
      assert.instanceOf(rejected, CircuitOpen)
      assert.strictEqual((rejected as CircuitOpen).breaker, "provider:primary")
      assert.isDefined((rejected as CircuitOpen).retryAfterMs)
      assert.strictEqual(yield* b.upstream.calls, 0, "B never called the upstream")
      // A model B never ran is rejected too: the provider circuit is shared.
      assert.instanceOf(
        yield* Effect.flip(b.upstream.call({ provider: "primary", model: "gpt-4o-mini" }, ok)),
        CircuitOpen
      )
      assert.strictEqual(yield* b.breakers.status({ provider: "primary" }), "open")

      const snapshot = yield* b.breakers.snapshot
      assert.deepStrictEqual(
        snapshot.map((s) => [s.name, s.status]),
        [
          ["provider:primary", "open"],
          ["model:primary/gpt-4o", "open"],
          ["model:primary/gpt-4o-mini", "closed"]
        ]
      )
      assert.isDefined(snapshot[0]!.openUntil)

      // Each replica publishes only its own transitions.
      assert.include(yield* a.topics, "circuit.tripped")
      const bTopics = yield* b.topics
      assert.notInclude(bTopics, "circuit.tripped")
      assert.include(bTopics, "circuit.rejected")
    })
  )

  it.live("after the open time the other replica's probe closes the circuit for both", () =>
    Effect.gen(function* () {
      const { a, b } = yield* setup({ defaults: { consecutiveFailures: 1, openFor: "200 millis" } })
      yield* Effect.flip(a.upstream.call(target, failWith(providerDown())))
      assert.strictEqual(yield* b.breakers.status({ provider: "primary" }), "open")

      // Bounded wait (at most 40 polls 50 ms apart) for the server's clock to pass the open time.
      yield* b.breakers.status({ provider: "primary" }).pipe(
        Effect.filterOrFail((s) => s !== "open"),
        Effect.retry({ schedule: Schedule.spaced("50 millis"), times: 40 })
      )

      assert.strictEqual(yield* b.upstream.call(target, ok), "ok", "B's call is the probe")
      assert.strictEqual(yield* a.breakers.status(target), "closed")
      assert.strictEqual(yield* a.upstream.call(target, ok), "ok")
      const bTopics = yield* b.topics
      assert.includeMembers(bTopics, ["circuit.half_open", "circuit.reset"])
      assert.notInclude(yield* a.topics, "circuit.reset")
    })
  )

  it.live("failures recorded concurrently through both replicas all count, none lost", () =>
    Effect.gen(function* () {
      const { a, b } = yield* setup({ defaults: { consecutiveFailures: 10, openFor: "1 minute" } })
      const fail = (r: typeof a) => Effect.flip(r.upstream.call(target, failWith(providerDown())))
      yield* Effect.all([...Array.from({ length: 5 }, () => fail(a)), ...Array.from({ length: 4 }, () => fail(b))], {
        concurrency: "unbounded"
      })
      assert.strictEqual(yield* a.breakers.status({ provider: "primary" }), "closed", "9 failures: not yet")
      yield* fail(b)
      assert.strictEqual(yield* a.breakers.status({ provider: "primary" }), "open", "the 10th trips it")
      assert.strictEqual((yield* a.upstream.calls) + (yield* b.upstream.calls), 10)
    })
  )
})
