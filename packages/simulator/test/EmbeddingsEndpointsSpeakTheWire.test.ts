/**
 * The fakes' embeddings endpoints on the wire (raw HTTP, so the exact shapes are visible): OpenAI
 * float and base64 are the same float32 vector, `dimensions` sizes it, bad input gets OpenAI's
 * 400; Gemini `:embedContent` and `:batchEmbedContents` agree with each other; a fault script
 * answers embeddings as it answers chat; fast mode still serves embeddings, not a chat body.
 */
import { assert, describe, it } from "@effect/vitest"
import { startUpstream } from "../src/index.ts"

const post = async (url: string, body: unknown, headers: Record<string, string>) => {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body)
  })
  return { status: response.status, body: (await response.json()) as any }
}

const fromBase64 = (s: string) => {
  const b = Buffer.from(s, "base64")
  return Array.from(new Float32Array(b.buffer, b.byteOffset, b.length / 4))
}

describe("the embeddings endpoints of the fake upstreams", () => {
  it("OpenAI: float and base64 carry the same vector; dimensions sizes it; usage counts the input", async () => {
    const o = await startUpstream({ kind: "openai" })
    try {
      const auth = { authorization: "Bearer sk-test" }
      const url = `${o.baseURL}/embeddings`
      const float = await post(url, { model: "text-embedding-3-small", input: ["a", "b"] }, auth)
      const b64 = await post(
        url,
        { model: "text-embedding-3-small", input: ["a", "b"], encoding_format: "base64" },
        auth
      )
      assert.strictEqual(float.status, 200)
      assert.strictEqual(float.body.object, "list")
      assert.deepStrictEqual(
        float.body.data.map((d: any) => [d.object, d.index, d.embedding.length]),
        [
          ["embedding", 0, 1536],
          ["embedding", 1, 1536]
        ]
      )
      assert.deepStrictEqual(fromBase64(b64.body.data[1].embedding), float.body.data[1].embedding)
      assert.isAbove(float.body.usage.prompt_tokens, 0)
      assert.strictEqual(float.body.usage.total_tokens, float.body.usage.prompt_tokens)
      const small = await post(url, { model: "text-embedding-3-large", input: "a", dimensions: 64 }, auth)
      assert.strictEqual(small.body.data[0].embedding.length, 64)
      const empty = await post(url, { model: "text-embedding-3-small", input: "" }, auth)
      assert.strictEqual(empty.status, 400)
      assert.strictEqual(empty.body.error.param, "input")
      const tooWide = await post(url, { model: "text-embedding-3-small", input: "a", dimensions: 4096 }, auth)
      assert.strictEqual(tooWide.status, 400)
      assert.strictEqual(tooWide.body.error.param, "dimensions")
    } finally {
      await o.close()
    }
  })

  it("Gemini: embedContent and batchEmbedContents give the same vector for the same text", async () => {
    const g = await startUpstream({ kind: "gemini" })
    try {
      const key = { "x-goog-api-key": "AIza-test" }
      const model = "gemini-embedding-001"
      const single = await post(
        `${g.origin}/v1beta/models/${model}:embedContent`,
        { content: { parts: [{ text: "sky" }] }, outputDimensionality: 128 },
        key
      )
      const batch = await post(
        `${g.origin}/v1beta/models/${model}:batchEmbedContents`,
        {
          requests: ["sea", "sky"].map((text) => ({
            model: `models/${model}`,
            content: { parts: [{ text }] },
            outputDimensionality: 128
          }))
        },
        key
      )
      assert.strictEqual(single.status, 200)
      assert.strictEqual(single.body.embedding.values.length, 128)
      assert.deepStrictEqual(batch.body.embeddings[1].values, single.body.embedding.values)
      assert.notDeepEqual(batch.body.embeddings[0].values, single.body.embedding.values)
      assert.isAbove(batch.body.usageMetadata.promptTokenCount, 0)
      const none = await post(`${g.origin}/v1beta/models/${model}:batchEmbedContents`, { requests: [] }, key)
      assert.strictEqual(none.status, 400)
      assert.strictEqual(none.body.error.status, "INVALID_ARGUMENT")
    } finally {
      await g.close()
    }
  })

  it("a fault script answers embeddings like chat; fast mode still answers embeddings", async () => {
    const o = await startUpstream({ kind: "openai", script: [{ sequence: [429, "overloaded"] }] })
    const fast = await startUpstream({ kind: "gemini", fast: true })
    try {
      const auth = { authorization: "Bearer sk-test" }
      const body = { model: "text-embedding-3-small", input: "a" }
      const statuses = []
      for (let i = 0; i < 3; i++) statuses.push((await post(`${o.baseURL}/embeddings`, body, auth)).status)
      assert.deepStrictEqual(statuses, [429, 503, 200])
      assert.deepStrictEqual(
        o.requests.map((r) => r.fault),
        [429, "overloaded", undefined]
      )
      const answer = await post(
        `${fast.origin}/v1beta/models/text-embedding-004:batchEmbedContents`,
        { requests: [{ content: { parts: [{ text: "x" }] } }] },
        { "x-goog-api-key": "AIza-test" }
      )
      assert.strictEqual(answer.body.embeddings[0].values.length, 768)
    } finally {
      await Promise.all([o.close(), fast.close()])
    }
  })
})
