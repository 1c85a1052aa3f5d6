/**
 * What the engine holds feeds `Router.plan` as it is: the real keyring's and breakers' snapshots,
 * `ModelHealth.unavailable`, the engine's `EngineConfig` and the core request types fit the
 * router's inputs (checked by the compiler here), and their meaning is the router's: a key
 * rate-limited on one model leaves that model keyless, a tripped provider is demoted.
 */
import { ApiKey, type CompletionRequest, type EmbeddingRequest, EventBus } from "@am/core"
import { Effect, Layer, Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { Breakers } from "../../breaker/src/index.ts"
import { makeEngineConfig } from "../../engine/src/EngineConfig.ts"
import { ModelHealth } from "../../engine/src/ModelHealth.ts"
import { Keyring } from "../../keyring/src/index.ts"
import { type HealthSnapshot, type RoutableRequest, Router, type RoutingTable } from "../src/index.ts"

const config = makeEngineConfig({
  providers: [
    { id: "a", kind: "openai", models: [{ name: "gpt-4o" }, { name: "gpt-4o-mini" }] },
    { id: "b", kind: "anthropic", models: [{ name: "claude-haiku-4-5" }] }
  ],
  routes: {
    default: [
      { provider: "a", models: ["gpt-4o", "gpt-4o-mini"] },
      { provider: "b", models: ["claude-haiku-4-5"] }
    ]
  }
})
// The engine's config and the core requests are router inputs without conversion.
const table: RoutingTable = {
  providers: new Map([...config.providers].map(([id, p]) => [id, id === "a" ? { ...p, keys: [{ id: "a1" }] } : p])),
  routes: config.routes
}
export const fromChat = (request: CompletionRequest): RoutableRequest => request
export const fromEmbedding = (request: EmbeddingRequest): RoutableRequest => request
const chat = fromChat({ messages: [{ role: "user", content: "hi" }] })

const rateLimited = {
  class: "rate_limit" as const,
  scope: "key" as const,
  retryable: true,
  errorType: "rate_limit_error",
  rule: "test.rate_limit",
  retryAfterMs: 30_000
}
const down = {
  ...rateLimited,
  class: "server_error" as const,
  scope: "provider" as const,
  errorType: "server_error",
  rule: "test.5xx"
}

describe("the engine's state feeds the plan", () => {
  it("keyring, breaker and model-health snapshots order the plan as the router documents", async () => {
    const program = Effect.gen(function* () {
      const keyring = yield* Keyring
      const breakers = yield* Breakers
      const health = yield* ModelHealth
      const router = yield* Router
      yield* keyring.report("a", "gpt-4o", "a1", { _tag: "Failure", classification: rateLimited })
      yield* breakers
        .run({ provider: "b", model: "claude-haiku-4-5" }, Effect.fail("boom"), () => down)
        .pipe(Effect.ignore)
      const snapshot: HealthSnapshot = {
        keys: yield* keyring.snapshot,
        circuits: yield* breakers.snapshot,
        unavailableModels: yield* health.unavailable
      }
      return yield* router.plan({ requestId: "r1", request: chat, health: snapshot })
    })
    const layers = Layer.mergeAll(
      Keyring.layerMemory({ pools: { a: { keys: [ApiKey.make("a1", Redacted.make("sk-a1"))] } } }),
      Breakers.layerMemory({ defaults: { consecutiveFailures: 1, openFor: "1 minute" } }),
      ModelHealth.layerMemory({ quarantineMs: 60_000 }),
      Router.layer(table)
    ).pipe(Layer.provide(EventBus.layerNoop))
    const plan = await Effect.runPromise(program.pipe(Effect.provide(layers)))
    expect(plan.candidates.map((c) => [`${c.provider}/${c.model.name}`, c.demoted ?? "-", c.keys])).toEqual([
      ["a/gpt-4o-mini", "-", ["a1"]],
      ["a/gpt-4o", "no_available_key", []],
      ["b/claude-haiku-4-5", "circuit_open", []]
    ])
  })
})
