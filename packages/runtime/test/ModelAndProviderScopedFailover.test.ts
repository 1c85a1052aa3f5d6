import { assert, describe, it } from "@effect/vitest"
import { Breakers } from "@am/breaker"
import { Keyring } from "@am/keyring"
import { Effect } from "effect"
import { Engine } from "@am/engine"
import { events, makeHarness, runDriven, topics, user } from "./support/Harness.ts"

const calls = (attempts: ReadonlyArray<{ provider: string; model: string; outcome: string; class?: string }>) =>
  attempts
    .filter((a) => a.outcome !== "skipped")
    .map((a) => `${a.provider}/${a.model}:${a.outcome}${a.class ? `:${a.class}` : ""}`)

describe("model- and provider-scoped failures fail over (official SDKs against the testkit)", () => {
  it.effect("a retired model → next model, and the key is not penalised", () =>
    Effect.gen(function* () {
      const h = yield* makeHarness({ openaiModels: ["gpt-4o-mini"] })
      yield* Effect.gen(function* () {
        const answer = yield* (yield* Engine).complete(user("hello"))
        assert.deepStrictEqual(calls(answer.resilience.attempts), [
          "primary/gpt-4o:failure:model_not_found",
          "primary/gpt-4o-mini:success"
        ])
        // Model scope neither rotates on the key's account nor penalises it.
        assert.notInclude(topics(yield* events), "api.key.rotation")
        const k = (yield* (yield* Keyring).snapshot).find((s) => s.provider === "primary" && s.id === "k1")!
        assert.strictEqual(k.status, "healthy")
        assert.strictEqual(k.penalty, 0)
        assert.include(topics(yield* events), "model.failover")
        assert.notInclude(topics(yield* events), "resource.penalized")
        // The retired model is quarantined: the next request skips it without a call.
        const second = yield* (yield* Engine).complete(user("again"))
        assert.strictEqual(second.resilience.attempts[0]!.skipped, "model_unavailable")
        assert.deepStrictEqual(
          h.openai.requests.map((r) => r.model),
          ["gpt-4o", "gpt-4o-mini", "gpt-4o-mini"]
        )
      }).pipe(Effect.provide(h.layer))
    }).pipe(Effect.scoped)
  )

  it.effect("every model of a provider fails → the next provider answers", () =>
    Effect.gen(function* () {
      const h = yield* makeHarness({ openaiScript: [{ sequence: ["server_error"], repeat: true }] })
      yield* Effect.gen(function* () {
        const answer = yield* runDriven((yield* Engine).complete(user("hello")))
        assert.strictEqual(answer.resilience.provider, "secondary")
        assert.strictEqual(answer.provider, "anthropic")
        // gpt-4o: first call + 2 backoff retries (providerRetries: 2), then the provider is abandoned —
        // gpt-4o-mini on the same failing provider is not tried.
        assert.deepStrictEqual(calls(answer.resilience.attempts), [
          "primary/gpt-4o:failure:server_error",
          "primary/gpt-4o:failure:server_error",
          "primary/gpt-4o:failure:server_error",
          "secondary/claude-sonnet-4-6:success"
        ])
        assert.include(topics(yield* events), "provider.failover")
        assert.include(topics(yield* events), "retry.scheduled")
      }).pipe(Effect.provide(h.layer))
    }).pipe(Effect.scoped)
  )

  it.effect("the breaker trips mid-plan → that provider is skipped without a call", () =>
    Effect.gen(function* () {
      const h = yield* makeHarness({
        openaiScript: [{ sequence: ["overloaded"], repeat: true }],
        config: (raw) => ({
          ...raw,
          providers: {
            ...raw.providers,
            primary: { ...raw.providers.primary, breaker: { consecutiveFailures: 2, openFor: "30 seconds" } }
          }
        })
      })
      yield* Effect.gen(function* () {
        const engine = yield* Engine
        const first = yield* runDriven(engine.complete(user("one")))
        // Two failures trip the provider breaker: the third (a retry) is rejected unsent.
        assert.strictEqual(first.resilience.provider, "secondary")
        assert.strictEqual(h.openai.requests.length, 2)
        assert.isTrue(first.resilience.attempts.some((a) => a.provider === "primary" && a.skipped === "circuit_open"))
        const snapshot = yield* (yield* Breakers).snapshot
        assert.isTrue(snapshot.some((b) => b.provider === "primary" && b.model === undefined && b.status === "open"))
        // The next request skips the open provider without calling it.
        const second = yield* runDriven(engine.complete(user("two")))
        assert.strictEqual(h.openai.requests.length, 2)
        assert.strictEqual(second.resilience.provider, "secondary")
        assert.strictEqual(calls(second.resilience.attempts).length, 1)
        assert.include(topics(yield* events), "circuit.tripped")
        assert.include(topics(yield* events), "circuit.rejected")
      }).pipe(Effect.provide(h.layer))
    }).pipe(Effect.scoped)
  )

  it.effect("context length exceeded → only models with a larger window are tried", () =>
    Effect.gen(function* () {
      const h = yield* makeHarness({
        openaiScript: [{ match: { model: "gpt-4o" }, sequence: ["context_length_exceeded"] }],
        config: (raw) => ({
          ...raw,
          routes: {
            default: [
              { provider: "primary", models: ["gpt-4o"] },
              { provider: "secondary", models: ["claude-sonnet-4-6"] },
              { provider: "primary", models: ["gpt-4o-mini"] }
            ]
          },
          providers: {
            ...raw.providers,
            // A model with a window no larger than gpt-4o's: must be skipped.
            secondary: { ...raw.providers.secondary, models: [{ name: "claude-sonnet-4-6", contextWindow: 8192 }] }
          }
        })
      })
      yield* Effect.gen(function* () {
        const answer = yield* (yield* Engine).complete(user("a long prompt"))
        assert.deepStrictEqual(calls(answer.resilience.attempts), [
          "primary/gpt-4o:failure:context_length_exceeded",
          "primary/gpt-4o-mini:success"
        ])
        assert.strictEqual(h.anthropic.requests.length, 0)
      }).pipe(Effect.provide(h.layer))
    }).pipe(Effect.scoped)
  )

  it.effect("a request whose estimate exceeds a model's window skips that model before any call", () =>
    Effect.gen(function* () {
      const h = yield* makeHarness()
      yield* Effect.gen(function* () {
        // ~10k tokens: more than gpt-4o's 8192 window in this config.
        const answer = yield* (yield* Engine).complete(user("word ".repeat(8000)))
        assert.strictEqual(answer.resilience.model, "gpt-4o-mini")
        assert.deepStrictEqual(
          h.openai.requests.map((r) => r.model),
          ["gpt-4o-mini"]
        )
      }).pipe(Effect.provide(h.layer))
    }).pipe(Effect.scoped)
  )
})
