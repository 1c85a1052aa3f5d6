/**
 * The dashboard feed's cadence, on `TestClock`: a viewer gets a snapshot at once; a change that
 * comes with an event (the request that tripped a breaker finishing) is in the very next
 * snapshot, one tick later; a change no event announced (a circuit tripped by another replica)
 * is in the heartbeat snapshot, and nothing is sent in between; nothing is built while nobody
 * watches. The feed reads time only from Effect's `Clock`, so no test here waits on a real one.
 */
import type { BreakerSnapshot } from "@am/breaker"
import { EventBus } from "@am/core"
import { Engine, type EngineShape } from "@am/engine"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Queue, Stream } from "effect"
import { TestClock } from "effect/testing"
import type { DashboardSnapshot } from "../src/Dashboard.ts"
import { makeFeed } from "../src/internal/DashboardFeed.ts"

const TICK = 250
const HEARTBEAT = 1_000

const closed: BreakerSnapshot = { name: "provider:primary", provider: "primary", status: "closed" }

/** An engine whose state the test sets; the feed only reads `state` and `config.providers`. */
const fakeEngine = () => {
  let breakers: ReadonlyArray<BreakerSnapshot> = [closed]
  let stateReads = 0
  const shape: EngineShape = {
    complete: () => Effect.die("the feed never calls the engine"),
    stream: () => Effect.die("the feed never calls the engine"),
    embed: () => Effect.die("the feed never calls the engine"),
    state: Effect.sync(() => {
      stateReads++
      return { breakers, keys: [], budget: {} }
    }),
    config: {
      providers: new Map([["primary", { id: "primary", kind: "openai", models: new Map([["gpt-4o", {}]]) }]])
    } as unknown as EngineShape["config"]
  }
  return {
    layer: Layer.succeed(Engine, Engine.of(shape)),
    setBreakers: (next: ReadonlyArray<BreakerSnapshot>) => {
      breakers = next
    },
    stateReads: () => stateReads
  }
}

const decoder = new TextDecoder()
const parse = (frame: Uint8Array): DashboardSnapshot => {
  const data = decoder
    .decode(frame)
    .split("\n")
    .find((l) => l.startsWith("data: "))
  return JSON.parse(data!.slice(6)) as DashboardSnapshot
}

/** Starts the feed and one viewer whose snapshots land in a queue. */
const watch = (engine: ReturnType<typeof fakeEngine>) =>
  Effect.gen(function* () {
    const feed = yield* makeFeed({ tickMs: TICK, heartbeatMs: HEARTBEAT })
    const received = yield* Queue.unbounded<DashboardSnapshot>()
    yield* feed.frames({ role: "admin" }).pipe(
      Stream.runForEach((f) => Queue.offer(received, parse(f))),
      Effect.forkScoped
    )
    const first = yield* Queue.take(received)
    return { received, first, engine }
  })

const provide = (engine: ReturnType<typeof fakeEngine>) =>
  Effect.provide(Layer.merge(engine.layer, EventBus.layerMemory))

/** The snapshot already received: `TestClock.adjust` returns once the fibers it woke are idle. */
const sent = (queue: Queue.Queue<DashboardSnapshot>) =>
  Effect.flatMap(Queue.poll(queue), (o) =>
    Option.isSome(o) ? Effect.succeed(o.value) : Effect.die("no snapshot was sent")
  )

const primary = (s: DashboardSnapshot) => s.breakers.find((b) => b.name === "provider:primary")?.status

describe("dashboard feed cadence (TestClock)", () => {
  it.effect("a viewer gets a snapshot at once", () => {
    const engine = fakeEngine()
    return Effect.gen(function* () {
      const { first } = yield* watch(engine)
      assert.strictEqual(primary(first), "closed")
      assert.strictEqual(first.viewers, 1)
      assert.strictEqual(first.at, yield* Effect.clockWith((c) => c.currentTimeMillis))
    }).pipe(Effect.scoped, provide(engine))
  })

  it.effect("a breaker tripped by a request is in the next snapshot, one tick after the request finished", () => {
    const engine = fakeEngine()
    return Effect.gen(function* () {
      const { received } = yield* watch(engine)
      // Settle: the connect marked the view dirty, so the first tick sends one more snapshot.
      yield* TestClock.adjust(TICK)
      yield* Queue.clear(received)

      const bus = yield* EventBus
      engine.setBreakers([{ ...closed, status: "open", openUntil: 30_000 }])
      yield* bus.publish({
        topic: "circuit.tripped",
        breaker: "provider:primary",
        provider: "primary",
        openForMs: 30_000
      })
      yield* bus.publish({
        topic: "request.succeeded",
        requestId: "r1",
        outcome: "SUCCESS",
        provider: "secondary",
        model: "claude-sonnet-4-6",
        attempts: 3,
        latencyMs: 12
      })
      const publishedAt = yield* Effect.clockWith((c) => c.currentTimeMillis)

      yield* TestClock.adjust(TICK - 1)
      assert.strictEqual(yield* Queue.size(received), 0, "no snapshot before the tick")
      yield* TestClock.adjust(1)
      const next = yield* sent(received)
      assert.strictEqual(primary(next), "open")
      assert.strictEqual(next.at - publishedAt, TICK)
      assert.strictEqual(
        next.rates.requests.reduce((a, b) => a + b, 0),
        1
      )
    }).pipe(Effect.scoped, provide(engine))
  })

  it.effect("a breaker no event announced is in the heartbeat snapshot; nothing is sent in between", () => {
    const engine = fakeEngine()
    return Effect.gen(function* () {
      const { received } = yield* watch(engine)
      yield* TestClock.adjust(TICK)
      const settled = yield* sent(received)
      yield* Queue.clear(received)

      // Another replica tripped the shared circuit: the state changed, no event reached this one.
      engine.setBreakers([{ ...closed, status: "open", openUntil: 30_000 }])
      yield* TestClock.adjust(HEARTBEAT - 1)
      assert.strictEqual(yield* Queue.size(received), 0, "nothing changed that the feed knows of: no snapshot")
      yield* TestClock.adjust(TICK)
      const heartbeat = yield* sent(received)
      assert.strictEqual(primary(heartbeat), "open")
      assert.isAtMost(heartbeat.at - settled.at, HEARTBEAT + TICK)
      assert.isAtLeast(heartbeat.at - settled.at, HEARTBEAT)

      // And it keeps beating while someone watches.
      yield* TestClock.adjust(HEARTBEAT)
      assert.strictEqual(yield* Queue.size(received), 1)
    }).pipe(Effect.scoped, provide(engine))
  })

  it.effect("nothing is built while nobody watches", () => {
    const engine = fakeEngine()
    return Effect.gen(function* () {
      yield* makeFeed({ tickMs: TICK, heartbeatMs: HEARTBEAT })
      yield* TestClock.adjust(10 * HEARTBEAT)
      assert.strictEqual(engine.stateReads(), 0)
    }).pipe(Effect.scoped, provide(engine))
  })
})
