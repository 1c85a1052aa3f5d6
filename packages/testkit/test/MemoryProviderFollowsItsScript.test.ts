/**
 * `MemoryProvider` answers each call with the next step of its script and records the calls:
 * the README's smallest example, run.
 */
import { ApiKey, ProviderFailure } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { MemoryProvider } from "../src/index.ts"

describe("MemoryProvider", () => {
  it.effect("fails, then answers, as scripted, and records each call", () =>
    Effect.gen(function* () {
      const provider = MemoryProvider.make({ id: "primary", script: [{ fail: { kind: "http", status: 503 } }, "ok"] })
      const call = provider.complete({
        request: { messages: [{ role: "user", content: "hi" }] },
        model: "gpt-4o-mini",
        key: ApiKey.make("k1", Redacted.make("sk-test"))
      })
      const failure = yield* Effect.flip(call)
      assert.instanceOf(failure, ProviderFailure)
      assert.strictEqual(failure.kind, "http")
      assert.strictEqual(failure.status, 503)
      const answer = yield* call
      assert.isString(answer.message.content)
      assert.deepStrictEqual(provider.calls, [
        { model: "gpt-4o-mini", keyId: "k1", prompt: "hi" },
        { model: "gpt-4o-mini", keyId: "k1", prompt: "hi" }
      ])
    })
  )
})
