// Two engines built from one config with `state.store` = the Redis on this machine (a key prefix
// per test): each has its own Redis connection, keyring, breakers, budget and event bus, as two
// gateway processes would. What one learns from the upstreams, the other acts on unsent.
import { Breakers } from "@am/breaker"
import { EventBus } from "@am/core"
import { Keyring } from "@am/keyring"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { Engine } from "@am/engine"
import { layerConfig } from "../src/index.ts"
import { type HarnessOptions, makeHarness, SECRETS, user } from "./support/Harness.ts"
import { cleanupAfter, redisUrl, skipRedis, uniquePrefix } from "./support/Redis.ts"

const replicas = (options: HarnessOptions) =>
  Effect.gen(function* () {
    const prefix = uniquePrefix()
    yield* cleanupAfter(prefix)
    const h = yield* makeHarness({
      ...options,
      config: (raw) => ({ ...(options.config?.(raw) ?? raw), state: { store: redisUrl, prefix } })
    })
    const replica = Effect.map(
      Layer.build(Layer.provideMerge(layerConfig(h.config), EventBus.layerMemory)),
      (context) => ({
        engine: Context.get(context, Engine),
        keyring: Context.get(context, Keyring),
        breakers: Context.get(context, Breakers)
      })
    )
    return { h, a: yield* replica, b: yield* replica }
  })

const calls = (attempts: ReadonlyArray<{ provider: string; model: string; outcome: string; skipped?: string }>) =>
  attempts.map((a) => `${a.provider}/${a.model}:${a.skipped ?? a.outcome}`)

describe.skipIf(skipRedis)("engine replicas share their state through Redis (state.store)", () => {
  it.live("a key disabled through one replica is skipped by the other", () =>
    Effect.gen(function* () {
      const { h, a, b } = yield* replicas({ openaiKeys: [SECRETS.k2] })
      const first = yield* a.engine.complete(user("hello"))
      assert.deepStrictEqual(
        first.resilience.attempts.map((x) => [x.keyId, x.outcome]),
        [
          ["k1", "failure"],
          ["k2", "success"]
        ]
      )
      const k1 = (yield* b.keyring.snapshot).find((k) => k.provider === "primary" && k.id === "k1")!
      assert.strictEqual(k1.status, "disabled")

      for (const _ of [1, 2, 3]) yield* b.engine.complete(user("again"))
      assert.deepStrictEqual(
        h.openai.requests.slice(2).map((r) => r.key),
        [SECRETS.k2, SECRETS.k2, SECRETS.k2],
        "B never sends the dead key"
      )
    })
  )

  it.live("a provider breaker tripped through one replica is open in the other, which skips it unsent", () =>
    Effect.gen(function* () {
      const { h, a, b } = yield* replicas({
        openaiScript: [{ sequence: ["server_error"], repeat: true }],
        config: (raw) => ({
          ...raw,
          providers: {
            ...raw.providers,
            primary: { ...raw.providers.primary, breaker: { consecutiveFailures: 1, openFor: "1 minute" } }
          },
          retry: { ...raw.retry, providerRetries: 0 }
        })
      })
      const first = yield* a.engine.complete(user("one"))
      assert.strictEqual(first.resilience.provider, "secondary")
      const sent = h.openai.requests.length
      assert.isAbove(sent, 0)

      assert.strictEqual(yield* b.breakers.status({ provider: "primary" }), "open")
      const state = yield* b.engine.state
      assert.isTrue(
        state.breakers.some((c) => c.name === "provider:primary" && c.status === "open"),
        "B's snapshot shows the shared circuit"
      )
      const second = yield* b.engine.complete(user("two"))
      assert.strictEqual(second.resilience.provider, "secondary")
      assert.strictEqual(h.openai.requests.length, sent, "B sent nothing to the open provider")
      assert.include(calls(second.resilience.attempts), "primary/gpt-4o:circuit_open")
    })
  )

  it.live("a model one replica found missing is skipped by the other without a call", () =>
    Effect.gen(function* () {
      const { h, a, b } = yield* replicas({ openaiModels: ["gpt-4o-mini"] })
      const first = yield* a.engine.complete(user("one"))
      assert.strictEqual(first.resilience.model, "gpt-4o-mini")
      assert.deepStrictEqual(
        h.openai.requests.map((r) => r.model),
        ["gpt-4o", "gpt-4o-mini"]
      )
      const second = yield* b.engine.complete(user("two"))
      assert.strictEqual(second.resilience.model, "gpt-4o-mini")
      assert.deepStrictEqual(
        h.openai.requests.slice(2).map((r) => r.model),
        ["gpt-4o-mini"],
        "B skipped the quarantined model"
      )
      assert.include(
        second.resilience.attempts.map((x) => x.skipped),
        "model_unavailable"
      )
    })
  )
})
