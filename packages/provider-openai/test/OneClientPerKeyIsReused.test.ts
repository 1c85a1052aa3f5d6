import { ApiKey } from "@am/core"
import { Upstream } from "@am/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Stream } from "effect"
import { key1, key2, request, SECRET_1, SECRET_2, spied } from "./support.ts"

describe("one SDK client per key", () => {
  it.effect("clients are built on first use per key and reused for every later call", () =>
    Effect.gen(function* () {
      const upstream = yield* Upstream.scoped({ kind: "openai" })
      const { provider, constructions } = spied({
        id: "primary",
        baseURL: upstream.baseURL,
        timeoutMs: 12_345,
        headers: { "x-team": "a" }
      })
      assert.strictEqual(constructions.length, 0, "nothing is built before the first call")
      yield* Effect.all(
        [key1, key1, key2, key1, key2].map((key) => provider.complete({ request, model: "gpt-4o", key })),
        { concurrency: "unbounded" }
      )
      yield* Stream.runDrain(provider.stream({ request, model: "gpt-4o", key: key1 }))
      assert.strictEqual(constructions.length, 2)
      assert.deepStrictEqual(
        constructions.map((o) => o.apiKey),
        [SECRET_1, SECRET_2]
      )
      for (const options of constructions) {
        assert.strictEqual(options.maxRetries, 0)
        assert.strictEqual(options.baseURL, upstream.baseURL)
        assert.strictEqual(options.timeout, 12_345)
        assert.deepStrictEqual(options.defaultHeaders, { "x-team": "a" })
      }
      const keys = upstream.requests.map((r) => r.key)
      assert.strictEqual(keys.filter((k) => k === SECRET_1).length, 4)
      assert.strictEqual(keys.filter((k) => k === SECRET_2).length, 2)
    })
  )

  it.effect("a rotated secret under the same key id gets a fresh client", () =>
    Effect.gen(function* () {
      const upstream = yield* Upstream.scoped({ kind: "openai" })
      const { provider, constructions } = spied({ id: "primary", baseURL: upstream.baseURL })
      yield* provider.complete({ request, model: "gpt-4o", key: key1 })
      const rotated = ApiKey.make("k1", Redacted.make("sk-proj-rotatedSecret99998888777766"))
      yield* provider.complete({ request, model: "gpt-4o", key: rotated })
      yield* provider.complete({ request, model: "gpt-4o", key: rotated })
      assert.strictEqual(constructions.length, 2)
      assert.strictEqual(upstream.requests[1]?.key, "sk-proj-rotatedSecret99998888777766")
    })
  )
})
