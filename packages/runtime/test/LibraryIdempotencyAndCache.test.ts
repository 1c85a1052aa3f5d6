/**
 * The library (`createEngine`) runs a request with an `idempotencyKey` once per workspace and key
 * and serves a cached route's repeated request from `@am/cache`, as the gateway does: a repeat
 * resolves with the first answer (same request id, `resilience.replayed`) and no call; a repeat
 * while the first runs rejects with `IdempotencyInProgressError`; another request under the key
 * rejects with `IdempotencyKeyReusedError`; `cache: "off"` bypasses the cache.
 */
import { startUpstream } from "@am/testkit"
import { assert, describe, it } from "@effect/vitest"
import { createEngine, IdempotencyInProgressError, IdempotencyKeyReusedError } from "../src/index.ts"

const config = (baseURL: string) => ({
  providers: {
    primary: {
      kind: "openai",
      baseURL,
      keys: [{ id: "k1", secret: "sk-library-idem-000001" }],
      models: [{ name: "gpt-4o" }]
    }
  },
  routes: { default: [{ provider: "primary", models: ["gpt-4o"] }] },
  cache: { routes: { default: { ttl: "10 minutes" } } }
})

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 600 && !cond(); i++) await new Promise((r) => setTimeout(r, 10))
  assert.isTrue(cond())
}

describe("createEngine: idempotency keys and the response cache", () => {
  it("replays a finished key, refuses it while it runs and with another request", async () => {
    const upstream = await startUpstream({ kind: "openai", latencyMs: 5 })
    try {
      await using engine = createEngine(config(upstream.baseURL))
      const ask = (content: string, key: string) =>
        engine.complete({ messages: [{ role: "user", content }], idempotencyKey: key, cache: "off" })
      const first = await ask("once", "k-1")
      const again = await ask("once", "k-1")
      assert.strictEqual(again.resilience.requestId, first.resilience.requestId)
      assert.strictEqual(again.resilience.replayed, true)
      assert.isUndefined(first.resilience.replayed)
      assert.deepStrictEqual(again.message, first.message)
      assert.strictEqual(upstream.requests.length, 1)

      const reused = await ask("another", "k-1").catch((e: unknown) => e)
      assert.instanceOf(reused, IdempotencyKeyReusedError)
      assert.strictEqual(upstream.requests.length, 1)

      upstream.setScript([{ sequence: [{ fault: "ok", latencyMs: 1000 }], repeat: false }])
      const slow = ask("slow", "k-2")
      await until(() => upstream.requests.length === 2)
      const busy = await ask("slow", "k-2").catch((e: unknown) => e)
      assert.instanceOf(busy, IdempotencyInProgressError)
      assert.isAbove((busy as IdempotencyInProgressError).retryAfterMs!, 0)
      await slow
      assert.strictEqual(upstream.requests.length, 2)
    } finally {
      await upstream.close()
    }
  })

  it("serves a cached route's repeated request from the cache, unless cache is off", async () => {
    const upstream = await startUpstream({ kind: "openai", latencyMs: 1 })
    try {
      await using engine = createEngine(config(upstream.baseURL))
      const ask = (cache?: "off" | "refresh") =>
        engine.complete({
          messages: [{ role: "user", content: "cache me" }],
          ...(cache !== undefined ? { cache } : {})
        })
      const first = await ask()
      const second = await ask()
      assert.strictEqual(first.resilience.cache, "miss")
      assert.strictEqual(second.resilience.cache, "hit")
      assert.strictEqual(second.resilience.originalRequestId, first.resilience.requestId)
      assert.strictEqual(second.resilience.attempts.length, 0)
      assert.deepStrictEqual(second.message, first.message)
      assert.strictEqual(upstream.requests.length, 1)
      assert.strictEqual((await ask("off")).resilience.cache, "off")
      assert.strictEqual(upstream.requests.length, 2)
    } finally {
      await upstream.close()
    }
  })
})
