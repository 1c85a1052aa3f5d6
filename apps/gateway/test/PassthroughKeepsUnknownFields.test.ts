/**
 * Same-wire passthrough with the official `openai` client: a Chat Completions request carrying
 * fields the gateway does not know (`prediction`, `web_search_options`, a made-up
 * `x_future_field`) reaches the OpenAI upstream as the bytes the client sent, only the model
 * substituted and the gateway key replaced by the provider's — whole and streamed — and still
 * fails over: the OpenAI upstream answers 503 and the Anthropic fallback (cross-wire) answers.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { OPENAI_KEY, type PassthroughEnv, startPassthroughEnv } from "./support/PassthroughUpstreams.ts"

let env: PassthroughEnv
beforeAll(async () => {
  env = await startPassthroughEnv("drop-and-report")
})
afterAll(() => env.close())
beforeEach(() => env.reset())

const UNKNOWN = {
  prediction: { type: "content", content: "Hello there" },
  web_search_options: { search_context_size: "low" },
  x_future_field: { nested: [1, 2.5, { deep: "é ☃ \u2028" }], flag: true }
} as const

/** The client's text with the route name replaced by the concrete model — nothing else. */
const expectedUpstreamText = (clientText: string, route: string, model: string) => {
  const needle = `"model":${JSON.stringify(route)}`
  expect(clientText.split(needle)).toHaveLength(2)
  return clientText.replace(needle, `"model":${JSON.stringify(model)}`)
}

describe("same wire: the upstream gets the client's own bytes", () => {
  it("chat.completions.create with unknown fields", async () => {
    const { data, response } = await env.client.chat.completions
      .create({
        model: "openai-only",
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "Say hello" }
        ],
        temperature: 0.7,
        ...UNKNOWN
      } as never)
      .withResponse()
    expect(data.choices[0]?.message.content).toContain("fake openai upstream")
    expect(response.headers.get("x-am-provider")).toBe("openai")
    expect(response.headers.get("x-am-dropped-fields")).toBeNull()
    const sent = env.sentToOpenAI()
    expect(sent).toHaveLength(1)
    expect(env.bodies).toHaveLength(1)
    expect(sent[0]!.text).toBe(expectedUpstreamText(env.bodies[0]!, "openai-only", "gpt-4o"))
    expect(sent[0]!.authorization).toBe(`Bearer ${OPENAI_KEY}`)
  })

  it("a hand-written body keeps its spacing, key order, escapes and number spellings", async () => {
    const text = `{\n  "x_future_field" : { "n": 1.50, "e": 1E2, "s": "caf\\u00e9" },\n  "messages": [ {"role":"user","content":"Say hello"} ],\n  "model" : "openai-only",\n  "prediction": {"type":"content","content":"Hi"}\n}`
    const response = await fetch(`${env.gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${env.client.apiKey}` },
      body: text
    })
    expect(response.status).toBe(200)
    const sent = env.sentToOpenAI()
    expect(sent.map((r) => r.text)).toEqual([text.replace('"model" : "openai-only"', '"model" : "gpt-4o"')])
  })

  it("chat.completions.create streamed with include_usage: bytes kept, usage delivered", async () => {
    const stream = await env.client.chat.completions.create({
      model: "openai-only",
      messages: [{ role: "user", content: "Say hello" }],
      stream: true,
      stream_options: { include_usage: true },
      ...UNKNOWN
    } as never)
    let text = ""
    let usage: { total_tokens: number } | undefined
    for await (const chunk of stream as unknown as AsyncIterable<any>) {
      text += chunk.choices[0]?.delta?.content ?? ""
      if (chunk.usage) usage = chunk.usage
    }
    expect(text).toContain("fake openai upstream")
    expect(usage?.total_tokens).toBeGreaterThan(0)
    const sent = env.sentToOpenAI()
    expect(sent).toHaveLength(1)
    expect(sent[0]!.text).toBe(expectedUpstreamText(env.bodies[0]!, "openai-only", "gpt-4o"))
  })

  it("a stream without include_usage: only stream_options is added (the ledger's usage), the rest kept", async () => {
    const stream = await env.client.chat.completions.create({
      model: "openai-only",
      messages: [{ role: "user", content: "Say hello" }],
      stream: true,
      ...UNKNOWN
    } as never)
    const chunks: Array<any> = []
    for await (const chunk of stream as unknown as AsyncIterable<any>) chunks.push(chunk)
    // The client did not ask for usage, so it gets no usage chunk.
    expect(chunks.some((c) => c.usage != null)).toBe(false)
    const sent = JSON.parse(env.sentToOpenAI()[0]!.text)
    const client = JSON.parse(env.bodies[0]!)
    expect(sent).toEqual({ ...client, model: "gpt-4o", stream_options: { include_usage: true } })
  })
})

describe("failover still works", () => {
  it("the passthrough primary answers 503, the Anthropic fallback answers and reports what it could not honour", async () => {
    env.openai.setScript([{ sequence: ["overloaded"], repeat: true }])
    const { data, response } = await env.client.chat.completions
      .create({
        model: "openai-then-anthropic",
        messages: [{ role: "user", content: "Say hello" }],
        ...UNKNOWN
      } as never)
      .withResponse()
    expect(data.choices[0]?.message.content).toContain("fake anthropic upstream")
    expect(response.headers.get("x-am-provider")).toBe("anthropic")
    expect(Number(response.headers.get("x-am-attempts"))).toBeGreaterThanOrEqual(2)
    expect(response.headers.get("x-am-dropped-fields")?.split(",")).toEqual([
      "prediction",
      "web_search_options",
      "x_future_field"
    ])
    // The primary was tried with the passthrough bytes; the fallback got a translation without them.
    const sent = env.sentToOpenAI()
    expect(sent.length).toBeGreaterThan(0)
    for (const r of sent) expect(r.text).toBe(expectedUpstreamText(env.bodies[0]!, "openai-then-anthropic", "gpt-4o"))
    const toAnthropic = env.anthropic.requests.filter((r) => r.path.endsWith("/messages"))
    expect(toAnthropic).toHaveLength(1)
    const body = JSON.parse(toAnthropic[0]!.body!)
    expect(body.model).toBe("claude-sonnet-4-6")
    for (const field of Object.keys(UNKNOWN)) expect(body).not.toHaveProperty(field)
  })

  it("streamed: 503 on the primary, the fallback streams, the header names the dropped fields", async () => {
    env.openai.setScript([{ sequence: ["overloaded"], repeat: true }])
    const { data, response } = await env.client.chat.completions
      .create({
        model: "openai-then-anthropic",
        messages: [{ role: "user", content: "Say hello" }],
        stream: true,
        ...UNKNOWN
      } as never)
      .withResponse()
    let text = ""
    for await (const chunk of data as unknown as AsyncIterable<any>) text += chunk.choices[0]?.delta?.content ?? ""
    expect(text).toContain("fake anthropic upstream")
    expect(response.headers.get("x-am-provider")).toBe("anthropic")
    expect(response.headers.get("x-am-dropped-fields")).toBe("prediction,web_search_options,x_future_field")
  })
})
