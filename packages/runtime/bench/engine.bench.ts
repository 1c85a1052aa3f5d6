/**
 * `pnpm bench engine` — the engine's own per-request cost on the happy path, side by side in
 * one run with (a) a direct call of the same in-process fake provider and (b) the same call
 * wrapped in cockatiel's retry + circuit breaker + timeout; and the extra time a failover
 * costs when the first provider answers 503 at once. The engine runs as every host runs it without
 * `telemetry.otlp` (no spans built); one more row builds the request's and the attempt's spans, as
 * with `telemetry.otlp` set. Prints figures; asserts nothing.
 */
import type { Completion, Provider, ProviderCall } from "@am/core"
import { ApiKey, ProviderFailure } from "@am/core"
import { ConsecutiveBreaker, circuitBreaker, handleAll, retry, TimeoutStrategy, timeout, wrap } from "cockatiel"
import { Effect, ManagedRuntime, Redacted, References, Stream } from "effect"
import { Engine } from "@am/engine"
import { layerConfigMemory, loadConfig } from "../src/index.ts"

const N = Number(process.env.BENCH_N ?? 50_000)
const ROUNDS = 5

const answer: Completion = {
  message: { role: "assistant", content: "ok" },
  finishReason: "stop",
  usage: { inputTokens: 3, outputTokens: 1, totalTokens: 4 },
  provider: "openai",
  model: "m"
}
// The fake provider: minimal work, the same for every contender.
const fakeSync = (_call: ProviderCall): Completion => answer
const fakeAsync = async (call: ProviderCall): Promise<Completion> => fakeSync(call)

const effectProvider = (id: string, fail = false): Provider => ({
  id,
  kind: "openai",
  complete: (call) =>
    fail
      ? Effect.fail(
          new ProviderFailure({
            provider: "openai",
            kind: "http",
            status: 503,
            message: "overloaded",
            responseBytesReceived: true
          })
        )
      : Effect.sync(() => fakeSync(call)),
  stream: () => Stream.empty
})

const key = ApiKey.make("k1", Redacted.make("sk-bench-0000000000"))
const request = { messages: [{ role: "user" as const, content: "hello" }] }
const call: ProviderCall = { request, model: "m", key }

const config = (routes: Array<{ provider: string; models: Array<string> }>) => ({
  providers: {
    a: { kind: "openai", keys: [{ id: "k1", secret: "sk-bench-a" }], models: [{ name: "m" }] },
    b: { kind: "openai", keys: [{ id: "k1", secret: "sk-bench-b" }], models: [{ name: "m" }] }
  },
  routes: { default: routes },
  // No backoff retries on the failing provider: measure the failover itself, not a sleep.
  retry: { providerRetries: 0, budget: { maxTokens: 1e9, tokenRatio: 1 } }
})

const timeLoop = async (label: string, body: () => Promise<unknown>) => {
  const samples: Array<number> = []
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint()
    await body()
    samples.push(Number(process.hrtime.bigint() - t0) / N / 1000)
  }
  samples.sort((x, y) => x - y)
  const median = samples[Math.floor(samples.length / 2)]!
  return { label, us: median }
}

const main = async () => {
  const happy = await Effect.runPromise(loadConfig(config([{ provider: "a", models: ["m"] }]), { env: {} }))
  const failover = await Effect.runPromise(
    loadConfig(
      config([
        { provider: "a", models: ["m"] },
        { provider: "b", models: ["m"] }
      ]),
      { env: {} }
    )
  )
  // As every host runs without `telemetry.otlp` (`layerObservability`): no logs, no spans built.
  const quiet = <A, E, R>(e: Effect.Effect<A, E, R>) =>
    e.pipe(
      Effect.provideService(References.MinimumLogLevel, "None"),
      Effect.provideService(References.TracerEnabled, false)
    )
  // With `telemetry.otlp` set: the request's and each attempt's span are built (not exported here).
  const traced = <A, E, R>(e: Effect.Effect<A, E, R>) => Effect.provideService(e, References.MinimumLogLevel, "None")
  const rtHappy = ManagedRuntime.make(layerConfigMemory(happy, { providers: [effectProvider("a")] }))
  const rtFailover = ManagedRuntime.make(
    layerConfigMemory(
      {
        ...failover,
        providers: new Map(
          [...failover.providers].map(([id, p]) => [id, { ...p, breaker: { consecutiveFailures: 1e9 } }])
        )
      },
      { providers: [effectProvider("a", true), effectProvider("b")] }
    )
  )
  const direct = effectProvider("a")
  const failing = effectProvider("a", true)

  const loopEffect = <A, E>(once: Effect.Effect<A, E, Engine>) =>
    Effect.gen(function* () {
      for (let i = 0; i < N; i++) yield* once
    })

  const policy = wrap(
    retry(handleAll, { maxAttempts: 3 }),
    circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) }),
    timeout(30_000, TimeoutStrategy.Cooperative)
  )

  const engineOnce = Effect.flatMap(Effect.service(Engine), (e) => e.complete(request))
  const contenders = [
    () =>
      timeLoop("direct async call", async () => {
        for (let i = 0; i < N; i++) await fakeAsync(call)
      }),
    () =>
      timeLoop("direct Effect call (provider.complete)", () =>
        Effect.runPromise(
          Effect.gen(function* () {
            for (let i = 0; i < N; i++) yield* direct.complete(call)
          })
        )
      ),
    () =>
      timeLoop("cockatiel retry+breaker+timeout", async () => {
        for (let i = 0; i < N; i++) await policy.execute(() => fakeAsync(call))
      }),
    () => timeLoop("engine.complete (happy path)", () => rtHappy.runPromise(quiet(loopEffect(engineOnce)))),
    () =>
      timeLoop("engine.complete (happy path, spans built)", () => rtHappy.runPromise(traced(loopEffect(engineOnce)))),
    () =>
      timeLoop("direct calls: 503 then answer", () =>
        Effect.runPromise(
          Effect.gen(function* () {
            for (let i = 0; i < N; i++) {
              yield* Effect.exit(failing.complete(call))
              yield* direct.complete(call)
            }
          })
        )
      ),
    () => timeLoop("engine.complete (503 → failover)", () => rtFailover.runPromise(quiet(loopEffect(engineOnce))))
  ]
  // Warm up every contender once, then measure.
  for (const [i, c] of contenders.entries()) {
    if (process.env.BENCH_DEBUG) console.error("warmup", i)
    await c()
  }
  const results = []
  for (const c of contenders) results.push(await c())
  const by = Object.fromEntries(results.map((r) => [r.label, r.us]))
  const fmt = (x: number) => `${x.toFixed(2).padStart(8)} µs`
  console.log(
    `engine bench — Node ${process.version}, ${N} requests × ${ROUNDS} rounds (median round), in-process fake provider\n`
  )
  for (const r of results) console.log(`  ${r.label.padEnd(42)} ${fmt(r.us)}`)
  const engine = by["engine.complete (happy path)"]!
  const directE = by["direct Effect call (provider.complete)"]!
  const directA = by["direct async call"]!
  const cockatiel = by["cockatiel retry+breaker+timeout"]!
  console.log("")
  console.log(`  engine overhead over a direct Effect call   ${fmt(engine - directE)}   (target ≤ 10 µs)`)
  console.log(`  ratio engine / direct async call            ${(engine / directA).toFixed(1)}×`)
  console.log(`  ratio engine / direct Effect call           ${(engine / directE).toFixed(1)}×`)
  console.log(`  ratio engine / cockatiel wrapper            ${(engine / cockatiel).toFixed(2)}×`)
  const fo = by["engine.complete (503 → failover)"]!
  const foDirect = by["direct calls: 503 then answer"]!
  console.log(
    `  failover cost beyond the upstream's calls   ${fmt(fo - foDirect)}   (engine 503→failover minus the two direct calls)`
  )
  console.log(`  failover vs happy path                      ${fmt(fo - engine)}`)
  await rtHappy.dispose()
  await rtFailover.dispose()
}

main()
