/**
 * `pnpm bench engine-parts` — what the pieces on the engine's per-request path cost on their own,
 * against an empty loop measured in the same run: the deadline timeout, one Effect
 * CircuitBreaker, our two breakers (provider + model), a keyring lease + report, and four event
 * publishes. Prints figures; asserts nothing.
 */
import { Breakers } from "@am/breaker"
import { ApiKey, EventBus } from "@am/core"
import { Keyring } from "@am/keyring"
import { Duration, Effect, Layer, Redacted } from "effect"
import { CircuitBreaker } from "effect/persistence"
const N = 20000
const time = async (label: string, eff: Effect.Effect<unknown, unknown, never>) => {
  await Effect.runPromise(eff)
  const t0 = performance.now()
  await Effect.runPromise(eff)
  console.log(`  ${label.padEnd(40)} ${(((performance.now() - t0) * 1000) / N).toFixed(2).padStart(7)} µs per call`)
}
console.log(`engine parts — Node ${process.version}, ${N} calls each`)
const loop = <R>(once: Effect.Effect<unknown, unknown, R>) =>
  Effect.gen(function* () {
    for (let i = 0; i < N; i++) yield* once
  })
const ok = Effect.succeed(1)
const cls = () => ({ class: "unknown", scope: "provider", retryable: true, errorType: "x", rule: "x" }) as const
const layer = Layer.mergeAll(
  Breakers.layerMemory({}),
  Keyring.layerMemory({ pools: { a: { keys: [ApiKey.make("k1", Redacted.make("s"))] } } })
).pipe(Layer.provideMerge(EventBus.layerMemory))
await time("baseline loop", loop(ok))
await time("Effect.timeoutOrElse", loop(Effect.timeoutOrElse(ok, { duration: Duration.seconds(60), orElse: () => ok })))
await time(
  "CircuitBreaker.execute (memory)",
  Effect.gen(function* () {
    const cb = yield* CircuitBreaker.make({ tripPolicy: CircuitBreaker.consecutive(5), openDuration: "30 seconds" })
    yield* loop(cb.execute(ok, { key: "p" }))
  }).pipe(Effect.scoped, Effect.provide(CircuitBreaker.layerStoreMemory())) as any
)
await time(
  "Breakers.run (2 circuits)",
  Effect.gen(function* () {
    const b = yield* Breakers
    yield* loop(b.run({ provider: "a", model: "m" }, ok, cls))
  }).pipe(Effect.provide(layer)) as any
)
await time(
  "Keyring lease+report",
  Effect.gen(function* () {
    const k = yield* Keyring
    yield* loop(Effect.flatMap(k.lease("a", "m"), (key) => k.report("a", "m", key.id, { _tag: "Success" })))
  }).pipe(Effect.provide(layer)) as any
)
await time(
  "EventBus.publish x4",
  Effect.gen(function* () {
    const bus = yield* EventBus
    const e = bus.publish({ topic: "resource.healed.all", provider: "a" })
    yield* loop(Effect.andThen(e, Effect.andThen(e, Effect.andThen(e, e))))
  }).pipe(Effect.provide(EventBus.layerMemory)) as any
)
