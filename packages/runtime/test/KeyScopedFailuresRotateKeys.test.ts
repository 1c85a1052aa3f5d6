import { assert, describe, it } from "@effect/vitest"
import { Keyring } from "@am/keyring"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { Engine } from "@am/engine"
import { events, makeHarness, SECRETS, topics, until, user } from "./support/Harness.ts"

describe("key-scoped failures rotate keys (official SDKs against the testkit)", () => {
  it.effect("key 1 invalid → key 2 answers and key 1 is disabled", () =>
    Effect.gen(function* () {
      const h = yield* makeHarness({ openaiKeys: [SECRETS.k2] })
      yield* Effect.gen(function* () {
        const engine = yield* Engine
        const answer = yield* engine.complete(user("hello"))
        assert.strictEqual(answer.resilience.outcome, "SUCCESS")
        assert.deepStrictEqual(
          answer.resilience.attempts.map((a) => [a.keyId, a.outcome, a.class]),
          [
            ["k1", "failure", "auth_invalid"],
            ["k2", "success", undefined]
          ]
        )
        assert.deepStrictEqual(
          h.openai.requests.map((r) => [r.key, r.model]),
          [
            [SECRETS.k1, "gpt-4o"],
            [SECRETS.k2, "gpt-4o"]
          ]
        )
        const keys = yield* (yield* Keyring).snapshot
        const k1 = keys.find((k) => k.provider === "primary" && k.id === "k1")!
        assert.strictEqual(k1.status, "disabled")
        assert.include(topics(yield* events), "api.key.rotation")
        // The disabled key is not leased again.
        yield* engine.complete(user("again"))
        assert.strictEqual(h.openai.requests[2]!.key, SECRETS.k2)
      }).pipe(Effect.provide(h.layer))
    }).pipe(Effect.scoped)
  )

  it.effect("every key of model 1 rate-limited → model 2", () =>
    Effect.gen(function* () {
      const h = yield* makeHarness({
        openaiScript: [{ match: { model: "gpt-4o" }, sequence: ["rate_limit"], repeat: true }]
      })
      yield* Effect.gen(function* () {
        const answer = yield* (yield* Engine).complete(user("hello"))
        assert.deepStrictEqual(
          answer.resilience.attempts.filter((a) => a.outcome !== "skipped").map((a) => [a.model, a.keyId, a.outcome]),
          [
            ["gpt-4o", "k1", "failure"],
            ["gpt-4o", "k2", "failure"],
            ["gpt-4o-mini", "k1", "success"]
          ]
        )
        assert.strictEqual(answer.resilience.model, "gpt-4o-mini")
        assert.strictEqual(h.anthropic.requests.length, 0)
        // Rate limits cool (key, model): both keys still serve gpt-4o-mini.
        const keys = (yield* (yield* Keyring).snapshot).filter((k) => k.provider === "primary")
        assert.isTrue(keys.every((k) => k.status !== "disabled"))
      }).pipe(Effect.provide(h.layer))
    }).pipe(Effect.scoped)
  )

  it.effect("429 with Retry-After → the next attempt on that key waits at least that long", () =>
    Effect.gen(function* () {
      // One provider, one model, one key: nothing to fail over to, so the engine waits for the key.
      const h = yield* makeHarness({
        openaiScript: [{ match: { model: "gpt-4o" }, sequence: [{ fault: "rate_limit", retryAfterMs: 5000 }, "ok"] }],
        config: (raw) => ({
          ...raw,
          providers: { ...raw.providers, primary: { ...raw.providers.primary, keys: [raw.providers.primary.keys[0]] } },
          routes: { default: [{ provider: "primary", models: ["gpt-4o"] }] }
        })
      })
      yield* Effect.gen(function* () {
        const fiber = yield* Effect.forkChild((yield* Engine).complete(user("hello")))
        yield* until(() => h.openai.requests.length === 1 && h.openai.requests[0]!.status === 429)
        // Let the engine observe the failure and start waiting.
        yield* until(() => fiber.pollUnsafe() === undefined)
        yield* TestClock.adjust("4999 millis")
        yield* Effect.yieldNow
        assert.strictEqual(h.openai.requests.length, 1, "no second call before Retry-After elapsed")
        yield* TestClock.adjust("1 millis")
        const answer = yield* Fiber.join(fiber)
        assert.strictEqual(h.openai.requests.length, 2)
        assert.strictEqual(h.openai.requests[1]!.key, SECRETS.k1)
        assert.strictEqual(answer.resilience.outcome, "SUCCESS")
        const failed = answer.resilience.attempts.find((a) => a.outcome === "failure")!
        assert.strictEqual(failed.class, "rate_limit")
        assert.strictEqual(failed.retryAfterMs, 5000)
      }).pipe(Effect.provide(h.layer))
    }).pipe(Effect.scoped)
  )
})
