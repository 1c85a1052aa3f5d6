// A defect thrown inside a provider adapter (a bug in an SDK or in our translation) is a
// provider fault: classified `unknown`, bounded, and the next candidate answers — the request
// does not die with it, and the defect's text reaches no caller with the key in it.
import type { Completion, Provider } from "@am/core"
import { Engine } from "@am/engine"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Stream } from "effect"
import { layerConfigMemory, loadConfig } from "../src/index.ts"

const SECRET = "sk-defect-test-0123456789abcdef"

const answer: Completion = {
  message: { role: "assistant", content: "from b" },
  finishReason: "stop",
  usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 },
  provider: "openai",
  model: "m"
}

const throwing = (calls: { n: number }): Provider => ({
  id: "a",
  kind: "openai",
  complete: (call) =>
    Effect.sync(() => {
      calls.n++
      throw new TypeError(`cannot read properties of undefined (key ${call.key.id}: ${SECRET})`)
    }),
  stream: () => Stream.empty
})

const answering: Provider = {
  id: "b",
  kind: "openai",
  complete: () => Effect.succeed(answer),
  stream: () => Stream.empty
}

const layer = (calls: { n: number }) =>
  Layer.unwrap(
    Effect.map(
      loadConfig(
        {
          providers: {
            a: { kind: "openai", keys: [{ id: "k1", secret: SECRET }], models: [{ name: "m" }] },
            b: { kind: "openai", keys: [{ id: "k1", secret: "sk-other-key-000000000000" }], models: [{ name: "m" }] }
          },
          routes: {
            default: [
              { provider: "a", models: ["m"] },
              { provider: "b", models: ["m"] }
            ]
          },
          retry: { providerRetries: 0 }
        },
        { env: {} }
      ),
      (config) => layerConfigMemory(config, { providers: [throwing(calls), answering] })
    )
  )

describe("a defect thrown inside an adapter fails over", () => {
  it.effect("the next provider answers and the attempt is classified unknown without the key", () => {
    const calls = { n: 0 }
    return Effect.gen(function* () {
      const engine = yield* Engine
      const result = yield* engine.complete({ messages: [{ role: "user", content: "hi" }] })
      assert.strictEqual(result.message.content, "from b")
      assert.strictEqual(result.resilience.provider, "b")
      assert.strictEqual(calls.n, 1)
      const first = result.resilience.attempts[0]!
      assert.strictEqual(first.provider, "a")
      assert.strictEqual(first.outcome, "failure")
      assert.strictEqual(first.class, "unknown")
      assert.notInclude(JSON.stringify(result.resilience), SECRET)
    }).pipe(Effect.provide(layer(calls)))
  })
})
