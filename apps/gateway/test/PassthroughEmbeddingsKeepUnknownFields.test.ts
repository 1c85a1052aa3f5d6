/**
 * Same-wire passthrough for `/v1/embeddings` with the official `openai` client: the body the
 * client sent (its own `encoding_format`, a made-up `x_future_field`) reaches the OpenAI upstream
 * byte for byte apart from the model, and the vectors come back in the format the client asked
 * for; an upstream rate limit is the same 429 the SDK path gives.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { OPENAI_KEY, startWires, type WiresEnv, withModel } from "./support/PassthroughWires.ts"

let env: WiresEnv
beforeAll(async () => {
  env = await startWires()
})
afterAll(() => env.close())
beforeEach(() => env.reset())

describe("same wire: the OpenAI upstream gets the client's own embeddings bytes", () => {
  it("embeddings.create (the client's default base64) with an unknown field", async () => {
    const { data, response } = await env.openaiClient.embeddings
      .create({
        model: "embeddings",
        input: ["the quick brown fox", "jumps"],
        dimensions: 64,
        x_future_field: { n: [1, 2.5], s: "é ☃" }
      } as never)
      .withResponse()
    expect(response.headers.get("x-am-provider")).toBe("openai")
    expect(data.data.map((d) => d.embedding.length)).toEqual([64, 64])
    expect(data.data[0]!.embedding).not.toEqual(data.data[1]!.embedding)
    const sent = env.sentToOpenAI("/embeddings")
    expect(sent).toHaveLength(1)
    expect(sent[0]!.text).toBe(withModel(env.bodies[0]!, "embeddings", "text-embedding-3-small"))
    expect(sent[0]!.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`)
  })

  it("float asked, floats answered; a hand-written body keeps its spelling", async () => {
    const text = `{ "input" : "hello",  "encoding_format":"float", "x_future_field": 1.50, "model" : "embeddings" }`
    const response = await fetch(`${env.gateway.url}/v1/embeddings`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${env.openaiClient.apiKey}` },
      body: text
    })
    expect(response.status).toBe(200)
    const json = (await response.json()) as { data: Array<{ embedding: Array<number> }> }
    expect(Array.isArray(json.data[0]!.embedding)).toBe(true)
    expect(json.data[0]!.embedding.length).toBeGreaterThan(0)
    expect(env.sentToOpenAI("/embeddings").map((r) => r.text)).toEqual([
      text.replace('"model" : "embeddings"', '"model" : "text-embedding-3-small"')
    ])
  })

  it("a rate limit upstream is a 429 RateLimitError for the client", async () => {
    env.openai.setScript([{ sequence: ["rate_limit"], repeat: true }])
    const failure = env.openaiClient.embeddings.create({ model: "embeddings", input: "hello" })
    await expect(failure).rejects.toMatchObject({ status: 429 })
    expect(env.sentToOpenAI("/embeddings").length).toBeGreaterThan(0)
  })
})
