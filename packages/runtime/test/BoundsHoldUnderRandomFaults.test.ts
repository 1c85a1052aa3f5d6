import { assert, describe, it } from "@effect/vitest"
import { EventLog } from "@am/core"
import { type MemoryStep, MemoryProvider } from "@am/testkit"
import { Arbitrary, Clock, Effect, Exit, Fiber, Logger, References, Schema } from "effect"
import { TestClock } from "effect/testing"
import { Engine, type EngineError } from "@am/engine"
import { layerConfigMemory, loadConfig } from "../src/index.ts"

const SECRET = {
  p1: "sk-prop-secret-alpha-000000",
  p2: "sk-prop-secret-beta-1111111",
  s1: "sk-ant-prop-secret-gamma-22"
}

const rawConfig = (maxAttempts: number, deadlineMs: number, breakerFailures = 1000) => ({
  providers: {
    primary: {
      kind: "openai",
      keys: [
        { id: "p1", secret: SECRET.p1 },
        { id: "p2", secret: SECRET.p2 }
      ],
      models: [{ name: "m1" }, { name: "m2" }],
      breaker: { consecutiveFailures: breakerFailures }
    },
    secondary: {
      kind: "openai",
      keys: [{ id: "s1", secret: SECRET.s1 }],
      models: [{ name: "m3" }],
      breaker: { consecutiveFailures: breakerFailures }
    }
  },
  routes: {
    default: [
      { provider: "primary", models: ["m1", "m2"] },
      { provider: "secondary", models: ["m3"] }
    ]
  },
  retry: { base: "100 millis", max: "1 second", maxAttempts, deadline: deadlineMs, providerRetries: 2 }
})

// OpenAI-shaped failures, as the adapter reports them.
const STEPS: ReadonlyArray<MemoryStep> = [
  "ok",
  "refusal",
  { fail: { kind: "http", status: 503, message: "The engine is currently overloaded" } },
  { fail: { kind: "http", status: 500, errorType: "server_error" } },
  { fail: { kind: "http", status: 429, errorCode: "rate_limit_exceeded", errorType: "requests", retryAfterMs: 700 } },
  { fail: { kind: "http", status: 429, errorCode: "insufficient_quota", errorType: "insufficient_quota" } },
  {
    fail: {
      kind: "http",
      status: 401,
      errorCode: "invalid_api_key",
      message: `Incorrect API key provided: ${SECRET.p1}`
    }
  },
  { fail: { kind: "http", status: 404, errorCode: "model_not_found" } },
  { fail: { kind: "http", status: 400, errorType: "invalid_request_error" } },
  { fail: { kind: "timeout", responseBytesReceived: false } },
  { fail: { kind: "network", responseBytesReceived: false } },
  { delayMs: 1500 },
  { delayMs: 4000, next: { fail: { kind: "http", status: 503 } } }
]

const Scenario = Schema.Struct({
  p: Schema.Array(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: STEPS.length - 1 }))).check(
    Schema.isMaxLength(12)
  ),
  s: Schema.Array(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: STEPS.length - 1 }))).check(
    Schema.isMaxLength(12)
  ),
  maxAttempts: Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 8 })),
  deadlineMs: Schema.Int.check(Schema.isBetween({ minimum: 500, maximum: 6000 })),
  requests: Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 4 }))
})

const TICK_MS = 10

/** Runs `n` concurrent requests, advancing the TestClock by one tick until all are done. */
const runAll = (n: number) =>
  Effect.gen(function* () {
    const engine = yield* Engine
    const fibers = yield* Effect.forEach(
      Array.from({ length: n }, (_, i) => i),
      (i) =>
        Effect.forkChild(
          Effect.gen(function* () {
            const start = yield* Clock.currentTimeMillis
            const exit = yield* Effect.exit(engine.complete({ messages: [{ role: "user", content: `request ${i}` }] }))
            return { exit, elapsed: (yield* Clock.currentTimeMillis) - start }
          })
        )
    )
    const drive: Effect.Effect<void> = Effect.suspend(() =>
      fibers.every((f) => f.pollUnsafe() !== undefined) ? Effect.void : Effect.andThen(TestClock.adjust(TICK_MS), drive)
    )
    yield* drive
    return yield* Effect.forEach(fibers, Fiber.join)
  })

const callsOf = (attempts: ReadonlyArray<{ readonly outcome: string }>) =>
  attempts.filter((a) => a.outcome !== "skipped").length

describe("bounds hold under random fault scripts (properties)", () => {
  it.effect(
    "attempts never exceed the maximum; the deadline is never exceeded by more than one tick; no secret leaks",
    () =>
      Effect.gen(function* () {
        const lines: Array<string> = []
        const collect = Logger.make((options) => {
          lines.push(
            JSON.stringify({
              message: options.message,
              annotations: options.fiber.getRef(References.CurrentLogAnnotations)
            })
          )
        })
        const result = yield* Arbitrary.checkEffect(
          Arbitrary.schema(Scenario),
          (sc) =>
            Effect.gen(function* () {
              const config = yield* loadConfig(rawConfig(sc.maxAttempts, sc.deadlineMs), { env: {} }).pipe(Effect.orDie)
              const providers = [
                MemoryProvider.make({ id: "primary", script: sc.p.map((i) => STEPS[i]!) }),
                MemoryProvider.make({ id: "secondary", script: sc.s.map((i) => STEPS[i]!) })
              ]
              return yield* Effect.gen(function* () {
                const results = yield* runAll(sc.requests)
                const events = yield* (yield* EventLog).all
                const scan =
                  JSON.stringify(events) +
                  lines.join("\n") +
                  JSON.stringify(results.map((r) => (Exit.isFailure(r.exit) ? r.exit.cause : r.exit.value)))
                const leaked = Object.values(SECRET).some((s) => scan.includes(s))
                const ok = results.every(({ exit, elapsed }) => {
                  const attempts = Exit.isSuccess(exit)
                    ? exit.value.resilience.attempts
                    : ((exit.cause.reasons.find((r) => r._tag === "Fail") as { error: EngineError } | undefined)?.error
                        .attempts ?? [])
                  return callsOf(attempts) <= sc.maxAttempts && elapsed <= sc.deadlineMs + TICK_MS
                })
                return ok && !leaked
              }).pipe(Effect.provide(layerConfigMemory(config, { providers })))
            }).pipe(Effect.provide(Logger.layer([collect]))),
          { runs: 60 }
        )
        assert.strictEqual(Arbitrary.formatCheckFailure(result), undefined)
      })
  )

  it.effect(
    "under a 100 % outage the retry budget keeps total attempts within (1 + ratio) × requests + a constant",
    () =>
      Effect.gen(function* () {
        const requests = 200
        const config = yield* loadConfig(
          {
            ...rawConfig(10, 60_000),
            retry: { ...rawConfig(10, 60_000).retry, budget: { maxTokens: 10, tokenRatio: 0.1 } }
          },
          { env: {} }
        ).pipe(Effect.orDie)
        const down: ReadonlyArray<MemoryStep> = [{ fail: { kind: "http", status: 503 } }]
        const providers = [
          MemoryProvider.make({ id: "primary", script: down }),
          MemoryProvider.make({ id: "secondary", script: down })
        ]
        const total = yield* Effect.gen(function* () {
          const results = yield* Effect.forEach(Array.from({ length: requests / 20 }), () => runAll(20))
          assert.isTrue(results.flat().every((r) => Exit.isFailure(r.exit)))
          return providers.reduce((n, p) => n + p.calls.length, 0)
        }).pipe(Effect.provide(layerConfigMemory(config, { providers })))
        // Without a budget each request would make up to maxAttempts (10) calls: 2,000.
        const bound = (1 + 0.1) * requests + 2 * 10
        assert.isAtMost(total, bound, `total attempts ${total} > ${bound}`)
        assert.isAtLeast(total, requests, "every request still gets its first attempt")
      })
  )
})
