/**
 * Test harness: three testkit upstreams (OpenAI, Anthropic, Gemini wire formats) and an
 * engine built from a real config over the official-SDK adapters — nothing mocked.
 */
import type { Breakers } from "@am/breaker"
import { EventBus, EventLog, type ResilienceEvent } from "@am/core"
import type { Keyring } from "@am/keyring"
import { type FaultScript, Upstream } from "@am/testkit"
import { Context, Effect, Fiber, Layer } from "effect"
import { TestClock } from "effect/testing"
import type { Engine } from "@am/engine"
import type { AmConfig } from "../../src/index.ts"
import { layerConfig, loadConfig } from "../../src/index.ts"

export const SECRETS = {
  k1: "sk-test-primary-key-one-0000000000",
  k2: "sk-test-primary-key-two-1111111111",
  a1: "sk-ant-test-secondary-aaaaaaaaaaaa",
  g1: "AIzaTestTertiaryKey-g1-fake"
}

export interface HarnessOptions {
  readonly openaiScript?: FaultScript
  readonly anthropicScript?: FaultScript
  readonly geminiScript?: FaultScript
  /** Keys the OpenAI upstream accepts (default both). */
  readonly openaiKeys?: ReadonlyArray<string>
  /** Models the OpenAI upstream knows (default both). */
  readonly openaiModels?: ReadonlyArray<string>
  /** Edit the raw config before it is loaded. */
  readonly config?: (raw: any) => any
}

export const baseConfig = (urls: { openai: string; anthropic: string; gemini: string }) => ({
  providers: {
    primary: {
      kind: "openai",
      baseURL: urls.openai,
      keys: [
        { id: "k1", secret: "env:T_K1" },
        { id: "k2", secret: "env:T_K2" }
      ],
      models: [
        { name: "gpt-4o", contextWindow: 8192, capabilities: ["tools", "json", "streaming"] },
        { name: "gpt-4o-mini", contextWindow: 128000, capabilities: ["tools", "json", "streaming"] }
      ],
      timeout: "10 seconds",
      breaker: { consecutiveFailures: 5, openFor: "30 seconds" }
    },
    secondary: {
      kind: "anthropic",
      baseURL: urls.anthropic,
      keys: [{ id: "a1", secret: "env:T_A1" }],
      models: [{ name: "claude-sonnet-4-6", contextWindow: 200000, capabilities: ["tools", "streaming"] }],
      timeout: "10 seconds"
    },
    tertiary: {
      kind: "gemini",
      baseURL: urls.gemini,
      keys: [{ id: "g1", secret: "env:T_G1" }],
      models: [{ name: "gemini-2.5-flash", contextWindow: 1048576, capabilities: ["tools", "json", "streaming"] }],
      timeout: "10 seconds"
    }
  },
  routes: {
    default: [
      { provider: "primary", models: ["gpt-4o", "gpt-4o-mini"] },
      { provider: "secondary", models: ["claude-sonnet-4-6"] },
      { provider: "tertiary", models: ["gemini-2.5-flash"] }
    ]
  },
  retry: { base: "100 millis", max: "2 seconds", maxAttempts: 10, deadline: "60 seconds", providerRetries: 2 },
  mitigation: { contentPolicy: "rewrite", rewriter: { kind: "rule" } }
})

export const env = { T_K1: SECRETS.k1, T_K2: SECRETS.k2, T_A1: SECRETS.a1, T_G1: SECRETS.g1 }

export interface Harness {
  readonly openai: Upstream
  readonly anthropic: Upstream
  readonly gemini: Upstream
  readonly config: AmConfig
  readonly layer: Layer.Layer<Engine | EventBus | EventLog | Keyring | Breakers>
}

export const makeHarness = (options: HarnessOptions = {}) =>
  Effect.gen(function* () {
    const openai = yield* Upstream.scoped({
      kind: "openai",
      keys: options.openaiKeys ?? [SECRETS.k1, SECRETS.k2],
      models: options.openaiModels ?? ["gpt-4o", "gpt-4o-mini"],
      ...(options.openaiScript ? { script: options.openaiScript } : {})
    })
    const anthropic = yield* Upstream.scoped({
      kind: "anthropic",
      keys: [SECRETS.a1],
      ...(options.anthropicScript ? { script: options.anthropicScript } : {})
    })
    const gemini = yield* Upstream.scoped({
      kind: "gemini",
      keys: [SECRETS.g1],
      ...(options.geminiScript ? { script: options.geminiScript } : {})
    })
    const raw = baseConfig({ openai: openai.baseURL, anthropic: anthropic.baseURL, gemini: gemini.baseURL })
    const config = yield* loadConfig(options.config ? options.config(raw) : raw, { env }).pipe(Effect.orDie)
    const layer = Layer.provideMerge(layerConfig(config), EventBus.layerMemory)
    return { openai, anthropic, gemini, config, layer } satisfies Harness
  })

/** Yields to the event loop until `pred` holds: waits on real I/O (the upstream), never on time. */
export const until = (pred: () => boolean): Effect.Effect<void> =>
  Effect.suspend(() =>
    pred()
      ? Effect.void
      : Effect.flatMap(
          Effect.promise(() => new Promise<void>((r) => setImmediate(r))),
          () => until(pred)
        )
  )

export const events = Effect.flatMap(Effect.service(EventLog), (log) => log.all)

export const topics = (xs: ReadonlyArray<ResilienceEvent>) => xs.map((e) => e.topic)

export const user = (content: string) => ({ messages: [{ role: "user" as const, content }] as const })

export { Context }

const yieldToIO = Effect.promise(() => new Promise<void>((r) => setImmediate(r)))

/**
 * Runs `effect` and drives the TestClock while it waits: virtual time moves in `step` jumps,
 * but only while no provider call is in flight (every `api.call.started` has finished), so
 * backoff and cool-down waits elapse without real sleeping and a slow real HTTP exchange
 * never eats the request's virtual deadline.
 */
export const runDriven = <A, E, R>(effect: Effect.Effect<A, E, R>, step = "50 millis") =>
  Effect.gen(function* () {
    const log = yield* Effect.service(EventLog)
    const fiber = yield* Effect.forkChild(effect)
    const idle = Effect.map(log.all, (xs) => {
      const started = xs.filter((e) => e.topic === "api.call.started").length
      const finished = xs.filter((e) => e.topic === "api.call.success" || e.topic === "api.call.failure").length
      return started === finished
    })
    const drive: Effect.Effect<void> = Effect.suspend(() =>
      fiber.pollUnsafe() !== undefined
        ? Effect.void
        : yieldToIO.pipe(
            Effect.andThen(idle),
            Effect.flatMap((isIdle) => (isIdle ? TestClock.adjust(step as any) : Effect.void)),
            Effect.andThen(drive)
          )
    )
    yield* drive
    return yield* Fiber.join(fiber)
  })
