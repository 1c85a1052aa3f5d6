// `pnpm bench breaker` — what Breakers.run adds to a call on the happy path (both circuits
// closed), next to one bare effect CircuitBreaker.execute and to no breaker at all. Prints
// figures measured side by side in this run; asserts nothing.
import { type Classification, EventBus } from "@am/core"
import { Context, Effect, Layer, Scope } from "effect"
import { CircuitBreaker } from "effect/persistence"
import { Breakers } from "../src/index.ts"

const N = 200_000
const classify = (): Classification => ({
  class: "server_error",
  scope: "provider",
  retryable: true,
  errorType: "500",
  rule: "bench"
})
const target = { provider: "primary", model: "gpt-4o" }

const scope = Effect.runSync(Scope.make())
const context = Effect.runSync(
  Layer.buildWithScope(
    Layer.mergeAll(
      Breakers.layerMemory().pipe(Layer.provide(EventBus.layerNoop)),
      CircuitBreaker.layer({ tripPolicy: CircuitBreaker.consecutive(5), openDuration: "30 seconds" }).pipe(
        Layer.provide(CircuitBreaker.layerStoreMemory())
      )
    ),
    scope
  )
)
const breakers = Context.get(context, Breakers)
const bare = Context.get(context, CircuitBreaker.CircuitBreaker)

const call = Effect.succeed(1)
const cases: ReadonlyArray<readonly [string, () => unknown]> = [
  ["no breaker", () => Effect.runSync(call)],
  ["one CircuitBreaker.execute", () => Effect.runSync(bare.execute(call, { key: "primary" }))],
  ["Breakers.run (provider + model)", () => Effect.runSync(breakers.run(target, call, classify))]
]

const time = (f: () => unknown) => {
  for (let i = 0; i < N / 10; i++) f()
  const start = process.hrtime.bigint()
  for (let i = 0; i < N; i++) f()
  return Number(process.hrtime.bigint() - start) / N
}

const results = cases.map(([name, f]) => [name, time(f)] as const)
const base = results[0]![1]
for (const [name, ns] of results) {
  console.log(
    `${name.padEnd(34)} ${(ns / 1000).toFixed(2).padStart(7)} µs/call   +${((ns - base) / 1000).toFixed(2)} µs`
  )
}
