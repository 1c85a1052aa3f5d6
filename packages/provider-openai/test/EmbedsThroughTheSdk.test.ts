import { Upstream } from "@am/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { make } from "../src/index.ts"
import { key1, SECRET_1, spied } from "./support.ts"

const norm = (v: ReadonlyArray<number>) => Math.sqrt(v.reduce((s, x) => s + x * x, 0))

/** The JSON bodies a provider sent. */
const bodies = (requests: ReadonlyArray<RequestInit | undefined>) =>
  requests.map((init) => JSON.parse(String(init?.body)) as Record<string, unknown>)

describe("embed() through the official openai SDK against the fake /v1/embeddings", () => {
  it.effect("a batch comes back in input order, sized by the model, with usage and the request id", () =>
    Effect.gen(function* () {
      const upstream = yield* Upstream.scoped({ kind: "openai", keys: [SECRET_1] })
      const provider = make({ id: "primary", baseURL: upstream.baseURL })
      const e = yield* provider.embed!({
        request: { input: ["alpha", "beta", "alpha"] },
        model: "text-embedding-3-small",
        key: key1,
        timeoutMs: 10_000
      })
      assert.strictEqual(e.vectors.length, 3)
      for (const v of e.vectors) {
        assert.strictEqual(v.length, 1536)
        assert.closeTo(norm(v), 1, 1e-4)
      }
      // The same text gets the same vector, another text another one: the order is the inputs'.
      assert.deepStrictEqual(e.vectors[0], e.vectors[2])
      assert.notDeepEqual(e.vectors[0], e.vectors[1])
      assert.strictEqual(e.provider, "openai")
      assert.strictEqual(e.model, "text-embedding-3-small")
      assert.isAbove(e.usage.inputTokens, 0)
      assert.strictEqual(e.usage.outputTokens, 0)
      assert.strictEqual(e.usage.totalTokens, e.usage.inputTokens)
      assert.match(e.providerRequestId ?? "", /^req_/)
      assert.strictEqual(upstream.requests.length, 1, "one HTTP call for the whole batch")
      assert.deepInclude(upstream.requests[0], {
        path: "/v1/embeddings",
        model: "text-embedding-3-small",
        prompt: "alpha"
      })
    })
  )

  it.effect("dimensions is sent and honoured; OpenAI gets base64 on the wire, a compatible server float", () =>
    Effect.gen(function* () {
      const upstream = yield* Upstream.scoped({ kind: "openai" })
      const sent: Array<RequestInit | undefined> = []
      const spy = (kind: "openai" | "openai-compatible") =>
        make({
          id: kind,
          kind,
          baseURL: upstream.baseURL,
          fetch: (input, init) => {
            sent.push(init)
            return fetch(input, init)
          }
        })
      const viaOpenAI = yield* spy("openai").embed!({
        request: { input: ["one"], dimensions: 256 },
        model: "text-embedding-3-large",
        key: key1
      })
      const viaCompatible = yield* spy("openai-compatible").embed!({
        request: { input: ["one"], dimensions: 256 },
        model: "text-embedding-3-large",
        key: key1
      })
      assert.strictEqual(viaOpenAI.vectors[0]!.length, 256)
      // Base64 float32 decoded by the SDK and JSON floats are the same vector.
      assert.deepStrictEqual(
        viaOpenAI.vectors[0]!.map((x) => Math.fround(x)),
        viaCompatible.vectors[0]!.map((x) => Math.fround(x))
      )
      const [a, b] = bodies(sent)
      assert.deepInclude(a, { dimensions: 256, encoding_format: "base64", input: ["one"] })
      assert.deepInclude(b, { dimensions: 256, encoding_format: "float" })
    })
  )

  it.effect("provider and transport faults of the catalogue become classified ProviderFailures", () =>
    Effect.gen(function* () {
      const upstream = yield* Upstream.scoped({ kind: "openai" })
      const { provider } = spied({ id: "primary", baseURL: upstream.baseURL })
      const failure = (script: Parameters<typeof upstream.setScript>[0], model = "text-embedding-3-small") =>
        Effect.suspend(() => {
          upstream.setScript(script)
          return Effect.flip(provider.embed!({ request: { input: ["x"] }, model, key: key1, timeoutMs: 5_000 }))
        })
      const overloaded = yield* failure([{ sequence: ["overloaded"] }])
      assert.deepInclude(overloaded, { kind: "http", status: 503 })
      const limited = yield* failure([{ sequence: ["rate_limit"] }])
      assert.deepInclude(limited, { status: 429, errorCode: "rate_limit_exceeded" })
      assert.isDefined(limited.rateLimit, "the rate-limit headers travel with the failure")
      const reset = yield* failure([{ sequence: ["reset_before_headers"] }])
      assert.deepInclude(reset, { kind: "network", responseBytesReceived: false })
      const cut = yield* failure([{ sequence: ["truncated_body"] }])
      assert.notStrictEqual(cut.kind, "http")
      upstream.setScript([])
      const unsupported = yield* Effect.flip(
        provider.embed!({ request: { input: ["x"], dimensions: 8 }, model: "text-embedding-ada-002", key: key1 })
      )
      assert.deepInclude(unsupported, { kind: "http", status: 400 })
      assert.include(unsupported.message, "dimensions")
    })
  )
})
