import { EventBus } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Layer, ManagedRuntime } from "effect"
import { CircuitBreaker } from "effect/persistence"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import { Breakers } from "../src/index.ts"
import * as CleanCircuits from "../src/internal/CleanCircuits.ts"
import { circuitEvents, failure, failWith, makeUpstream, ok, providerDown, strip } from "./support.ts"

// `layerMemory` takes the clean-circuit fast path; `layerStore` over the same kind of store always
// goes through `CircuitBreaker.execute`. Any script of calls must leave both in the same state.
const fastPath = Breakers.layerMemory({ defaults: { consecutiveFailures: 3 } }).pipe(
  Layer.provideMerge(EventBus.layerMemory)
)
const executeAlways = Breakers.layerStore({ defaults: { consecutiveFailures: 3 } }).pipe(
  Layer.provide(CircuitBreaker.layerStoreMemory()),
  Layer.provideMerge(EventBus.layerMemory)
)

type Step =
  | { readonly _tag: "ok"; readonly target: number }
  | { readonly _tag: "down"; readonly target: number }
  | { readonly _tag: "keyScoped"; readonly target: number }
  | { readonly _tag: "wait"; readonly ms: number }
  | { readonly _tag: "together"; readonly down: number; readonly up: number }

const targets = [
  { provider: "primary", model: "a" },
  { provider: "primary", model: "b" },
  { provider: "backup", model: "a" }
]

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ _tag: fc.constant("ok" as const), target: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ _tag: fc.constant("down" as const), target: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ _tag: fc.constant("keyScoped" as const), target: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ _tag: fc.constant("wait" as const), ms: fc.integer({ min: 1, max: 25_000 }) }),
  // Calls in flight together: failures and successes interleave inside the circuits.
  fc.record({
    _tag: fc.constant("together" as const),
    down: fc.integer({ min: 0, max: 4 }),
    up: fc.integer({ min: 0, max: 4 })
  })
)

const play = (script: ReadonlyArray<Step>) =>
  Effect.gen(function* () {
    const upstream = yield* makeUpstream
    const breakers = yield* Breakers
    const seen: Array<string> = []
    const outcome = (exit: Exit.Exit<unknown, unknown>) =>
      Exit.isSuccess(exit) ? "ok" : String((Exit.findErrorOption(exit) as any).value?._tag)
    for (const s of script) {
      if (s._tag === "wait") {
        yield* TestClock.adjust(Duration.millis(s.ms))
        continue
      }
      if (s._tag === "together") {
        const t = targets[0]!
        const slow = (e: Effect.Effect<string, any>) => Effect.andThen(Effect.sleep(Duration.millis(10)), e)
        const exits = yield* Effect.forEach(
          [
            ...Array.from({ length: s.down }, () => upstream.call(t, slow(failWith(providerDown())))),
            ...Array.from({ length: s.up }, () => upstream.call(t, slow(ok)))
          ],
          Effect.exit,
          { concurrency: "unbounded" }
        ).pipe(Effect.forkChild)
        yield* TestClock.adjust(Duration.millis(10))
        const done = yield* Fiber.await(exits)
        if (Exit.isSuccess(done)) seen.push(done.value.map(outcome).join(","))
        continue
      }
      const t = targets[s.target]!
      const call =
        s._tag === "ok"
          ? upstream.call(t, ok)
          : upstream.call(t, failWith(s._tag === "down" ? providerDown() : failure("key", "auth_invalid")))
      seen.push(outcome(yield* Effect.exit(call)))
      for (const x of targets) seen.push(`${x.provider}/${x.model}:${yield* breakers.status(x)}`)
    }
    return { seen, calls: yield* upstream.calls, events: strip(yield* circuitEvents) }
  })

const run = (layer: typeof fastPath, script: ReadonlyArray<Step>) => {
  const rt = ManagedRuntime.make(Layer.merge(layer, TestClock.layer()))
  return rt.runPromise(play(script)).finally(() => rt.dispose())
}

describe("the clean-circuit fast path keeps the store's semantics", () => {
  it("any script of successes, provider failures, ignored failures, waits and concurrent calls ends the same both ways", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (script) => {
        const [fast, slow] = [await run(fastPath, script), await run(executeAlways, script)]
        assert.deepStrictEqual(fast, slow)
      }),
      { numRuns: 150, seed: 20261203 }
    )
  })

  it("a success after failures still resets the streak (replayed through the store)", () =>
    Effect.runPromise(
      Effect.gen(function* () {
        const upstream = yield* makeUpstream
        const breakers = yield* Breakers
        const t = targets[0]!
        for (const _ of [1, 2, 3, 4]) {
          yield* Effect.exit(upstream.call(t, failWith(providerDown())))
          yield* Effect.exit(upstream.call(t, failWith(providerDown())))
          yield* upstream.call(t, ok)
        }
        // Never three in a row: the circuit stays closed; the third in a row trips it.
        assert.strictEqual(yield* breakers.status(t), "closed")
        for (const _ of [1, 2, 3]) yield* Effect.exit(upstream.call(t, failWith(providerDown())))
        assert.strictEqual(yield* breakers.status(t), "open")
      }).pipe(Effect.provide(Layer.merge(fastPath, TestClock.layer())))
    ))

  it("the replay decision is the store's: ignored records nothing, an opening since the start drops the record", () => {
    assert.strictEqual(CleanCircuits.replayOf("Ignored", false, 0, 0), "none")
    assert.strictEqual(CleanCircuits.replayOf("Success", true, 0, 0), "none")
    assert.strictEqual(CleanCircuits.replayOf("Success", false, 0, 0), "record")
    assert.strictEqual(CleanCircuits.replayOf("Failure", true, 0, 0), "record")
    assert.strictEqual(CleanCircuits.replayOf("Failure", false, 1, 2), "none")
  })
})
