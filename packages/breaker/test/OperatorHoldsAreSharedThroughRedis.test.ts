// Operator holds (force open / close / reset) are shared between replicas: two
// `Breakers.layerRedis` instances, each with its own Redis connection, on one prefix (real
// Redis, real time). A hold set through one replica takes effect in the other once it re-reads
// the holds (`overrideRefresh`, short here; the test polls for the condition, bounded), a
// replica started later sees it from the start, and a reset hands the circuit back everywhere.
import { EventBus } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { Breakers, type BreakersConfig, CircuitOpen } from "../src/index.ts"
import { cleanupAfter, connection, skipRedis, uniquePrefix } from "./redis.ts"
import { failWith, makeUpstream, ok, providerDown, type Upstream } from "./support.ts"

const target = { provider: "primary", model: "gpt-4o" }
const config: BreakersConfig = {
  defaults: { consecutiveFailures: 2, openFor: "1 minute" },
  providers: { primary: {} },
  models: { primary: ["gpt-4o"] }
}

/** One replica: breakers over Redis with a connection and an event bus of its own. */
const replica = (prefix: string) =>
  Effect.gen(function* () {
    const context = yield* Layer.build(
      Breakers.layerRedis(config, { prefix, overrideRefresh: "50 millis" }).pipe(
        Layer.provideMerge(EventBus.layerMemory),
        Layer.provide(connection())
      )
    )
    const made = yield* makeUpstream
    const call = <A>(outcome: Effect.Effect<A, Upstream>) => Effect.provideContext(made.call(target, outcome), context)
    return { breakers: Context.get(context, Breakers), call, calls: made.calls }
  })

/** Polls `condition` (real time) until it holds, at most ~5 s. */
const eventually = (condition: Effect.Effect<boolean>, what: string) =>
  Effect.gen(function* () {
    for (let i = 0; i < 200; i++) {
      if (yield* condition) return
      yield* Effect.sleep("25 millis")
    }
    return yield* Effect.die(new Error(`never held: ${what}`))
  })

describe.skipIf(skipRedis)("operator holds are shared between replicas through Redis", () => {
  it.live("force open, force closed and reset through one replica apply in the others", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix()
      yield* cleanupAfter(prefix)
      const a = yield* replica(prefix)
      const b = yield* replica(prefix)
      assert.strictEqual(yield* b.call(ok), "ok")

      // Force open through A: B rejects without calling, as held by an operator.
      yield* a.breakers.override({ provider: "primary" }, "open")
      yield* eventually(
        Effect.map(b.breakers.status({ provider: "primary" }), (s) => s === "open"),
        "B reads the hold"
      )
      const callsBefore = yield* b.calls
      const rejected = yield* Effect.flip(b.call(ok))
      assert.instanceOf(rejected, CircuitOpen)
      assert.isTrue((rejected as CircuitOpen).forced)
      assert.strictEqual(yield* b.calls, callsBefore, "B never called the upstream")
      const held = (yield* b.breakers.snapshot).find((s) => s.name === "provider:primary")
      assert.deepInclude(held, { status: "open", override: "open" })

      // A replica started now sees the hold before its first call.
      const c = yield* replica(prefix)
      assert.instanceOf(yield* Effect.flip(c.call(ok)), CircuitOpen)

      // Reset through B: A and C call through again.
      yield* b.breakers.override({ provider: "primary" }, undefined)
      yield* eventually(
        Effect.map(
          Effect.all([a.breakers.status({ provider: "primary" }), c.breakers.status({ provider: "primary" })]),
          (all) => all.every((s) => s === "closed")
        ),
        "A and C read the reset"
      )
      assert.strictEqual(yield* a.call(ok), "ok")
      assert.strictEqual(yield* c.call(ok), "ok")

      // Trip the shared circuit, then force it closed through A: B's calls go through it.
      yield* Effect.flip(a.call(failWith(providerDown())))
      yield* Effect.flip(a.call(failWith(providerDown())))
      assert.instanceOf(yield* Effect.flip(b.call(ok)), CircuitOpen)
      yield* a.breakers.override({ provider: "primary", model: "gpt-4o" }, "closed")
      yield* a.breakers.override({ provider: "primary" }, "closed")
      yield* eventually(
        Effect.map(b.breakers.status(target), (s) => s === "closed"),
        "B reads the closed holds"
      )
      assert.strictEqual(yield* b.call(ok), "ok")

      // Handed back: the learned (open) state resumes in every replica.
      yield* a.breakers.override({ provider: "primary", model: "gpt-4o" }, undefined)
      yield* a.breakers.override({ provider: "primary" }, undefined)
      yield* eventually(
        Effect.map(b.breakers.status({ provider: "primary" }), (s) => s === "open"),
        "B reads the circuit's own state again"
      )
      const again = yield* Effect.flip(b.call(ok))
      assert.instanceOf(again, CircuitOpen)
      assert.isUndefined((again as CircuitOpen).forced)
    })
  )
})
