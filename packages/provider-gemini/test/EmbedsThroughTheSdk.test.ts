import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { fromEmbedContentResponse } from "../src/index.ts"
import { gemini, keyA, SECRET_A } from "./support.ts"

const norm = (v: ReadonlyArray<number>) => Math.sqrt(v.reduce((s, x) => s + x * x, 0))

describe("embed() through @google/genai against the fake batchEmbedContents", () => {
  it.effect("a batch is one call; vectors in input order, outputDimensionality honoured, usage read", () =>
    Effect.gen(function* () {
      const { upstream, provider } = yield* gemini()
      const e = yield* provider.embed!({
        request: { input: ["red", "green", "red"], dimensions: 768 },
        model: "gemini-embedding-001",
        key: keyA,
        timeoutMs: 10_000
      })
      assert.strictEqual(e.vectors.length, 3)
      for (const v of e.vectors) {
        assert.strictEqual(v.length, 768)
        assert.closeTo(norm(v), 1, 1e-4)
      }
      assert.deepStrictEqual(e.vectors[0], e.vectors[2])
      assert.notDeepEqual(e.vectors[0], e.vectors[1])
      assert.strictEqual(e.provider, "gemini")
      assert.strictEqual(e.model, "gemini-embedding-001")
      assert.isAbove(e.usage.inputTokens, 0)
      assert.isUndefined(e.usageEstimated, "the API reported usage")
      assert.strictEqual(upstream.requests.length, 1)
      assert.deepInclude(upstream.requests[0], {
        path: "/v1beta/models/gemini-embedding-001:batchEmbedContents",
        model: "gemini-embedding-001",
        key: SECRET_A
      })
    }).pipe(Effect.scoped)
  )

  it.effect("without dimensions the model's own size comes back", () =>
    Effect.gen(function* () {
      const { provider } = yield* gemini()
      const e = yield* provider.embed!({ request: { input: ["x"] }, model: "text-embedding-004", key: keyA })
      assert.strictEqual(e.vectors[0]!.length, 768)
    }).pipe(Effect.scoped)
  )

  it.effect("faults of the catalogue become classified ProviderFailures", () =>
    Effect.gen(function* () {
      const { upstream, provider } = yield* gemini()
      const failure = (fault: "rate_limit" | "overloaded" | "invalid_key" | "reset_before_headers") =>
        Effect.suspend(() => {
          upstream.setScript([{ sequence: [fault] }])
          return Effect.flip(
            provider.embed!({ request: { input: ["x"] }, model: "gemini-embedding-001", key: keyA, timeoutMs: 5_000 })
          )
        })
      assert.deepInclude(yield* failure("rate_limit"), { kind: "http", status: 429, errorType: "RESOURCE_EXHAUSTED" })
      assert.deepInclude(yield* failure("overloaded"), { kind: "http", status: 503 })
      assert.deepInclude(yield* failure("invalid_key"), { kind: "http", status: 400 })
      assert.deepInclude(yield* failure("reset_before_headers"), { kind: "network" })
      upstream.setScript([])
      const tooBig = yield* Effect.flip(
        provider.embed!({ request: { input: ["x"], dimensions: 5000 }, model: "gemini-embedding-001", key: keyA })
      )
      assert.deepInclude(tooBig, { kind: "http", status: 400, errorType: "INVALID_ARGUMENT" })
    }).pipe(Effect.scoped)
  )

  it("no usageMetadata: usage is estimated from the text (~4 characters a token) and says so", () => {
    const e = fromEmbedContentResponse(
      { embeddings: [{ values: [0.6, 0.8] }] },
      { request: { input: ["twelve chars"] }, model: "gemini-embedding-001", key: keyA }
    )
    assert.notStrictEqual(typeof e, "string")
    if (typeof e === "string") return
    assert.strictEqual(e.usage.inputTokens, 3)
    assert.isTrue(e.usageEstimated)
  })

  it("an answer without embeddings is a failure reason, not an empty success", () => {
    const e = fromEmbedContentResponse({}, { request: { input: ["x"] }, model: "m", key: keyA })
    assert.strictEqual(typeof e, "string")
  })
})
