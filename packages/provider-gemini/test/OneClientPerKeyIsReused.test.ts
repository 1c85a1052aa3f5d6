import { ApiKey } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { GoogleGenAI, type GoogleGenAIOptions } from "@google/genai"
import { Effect, Redacted, Stream } from "effect"
import { call, gemini, keyA, keyB, SECRET_B } from "./support.ts"

describe("one SDK client per key, created on first use and reused", () => {
  it.live("five calls over two keys build two clients, each with its own key and the SDK's retries off", () =>
    Effect.gen(function* () {
      const built: Array<GoogleGenAIOptions> = []
      const clientFactory = (options: GoogleGenAIOptions) => {
        built.push(options)
        return new GoogleGenAI(options)
      }
      const { upstream, provider } = yield* gemini({}, { clientFactory, timeoutMs: 5000, headers: { "x-team": "a" } })
      yield* provider.complete(call({ key: keyA }))
      yield* provider.complete(call({ key: keyB }))
      yield* provider.complete(call({ key: keyA }))
      yield* Stream.runDrain(provider.stream(call({ key: keyA })))
      yield* provider.complete(call({ key: keyB }))
      assert.strictEqual(built.length, 2)
      assert.deepStrictEqual(
        upstream.requests.map((r) => r.key),
        [keyA, keyB, keyA, keyA, keyB].map((k) => Redacted.value(k.secret))
      )
      for (const options of built) {
        assert.isFalse(options.vertexai)
        assert.isUndefined(options.httpOptions?.retryOptions)
        assert.strictEqual(options.httpOptions?.baseUrl, upstream.baseURL)
        assert.strictEqual(options.httpOptions?.timeout, 5000)
        assert.deepStrictEqual(options.httpOptions?.headers, { "x-team": "a" })
      }
    }).pipe(Effect.scoped)
  )

  it.live("a key whose secret changed (same id, new fingerprint) gets a fresh client", () =>
    Effect.gen(function* () {
      let constructions = 0
      const clientFactory = (options: GoogleGenAIOptions) => {
        constructions++
        return new GoogleGenAI(options)
      }
      const { upstream, provider } = yield* gemini({}, { clientFactory })
      const rotated = ApiKey.make(keyA.id, Redacted.make(SECRET_B))
      yield* provider.complete(call({ key: keyA }))
      yield* provider.complete(call({ key: rotated }))
      yield* provider.complete(call({ key: rotated }))
      assert.strictEqual(constructions, 2)
      assert.strictEqual(upstream.requests[2]!.key, SECRET_B)
    }).pipe(Effect.scoped)
  )
})
