/**
 * Same-wire passthrough for `/v1/messages` with the official `@anthropic-ai/sdk`: a request with
 * fields the gateway does not model (`cache_control` on blocks, `top_k`, `metadata.user_id`,
 * `container`, a made-up `x_future_field`) reaches the Anthropic upstream as the bytes the client
 * sent — only the model substituted and the gateway key replaced by the provider's, the client's
 * `anthropic-version`/`anthropic-beta` forwarded — whole and streamed; a thinking block's signature
 * survives the tool loop; and a 503 on the Anthropic primary still fails over to OpenAI (cross-wire).
 */
import type Anthropic from "@anthropic-ai/sdk"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { ANTHROPIC_KEY, startWires, type WiresEnv, withModel } from "./support/PassthroughWires.ts"

let env: WiresEnv
beforeAll(async () => {
  env = await startWires()
})
afterAll(() => env.close())
beforeEach(() => env.reset())

const UNKNOWN = {
  top_k: 7,
  metadata: { user_id: "user-3f9a" },
  container: "container_011CTa",
  x_future_field: { nested: [1, 2.5, { deep: "é ☃ \u2028" }], flag: true }
} as const

const ask = {
  role: "user" as const,
  content: [{ type: "text" as const, text: "Say hello", cache_control: { type: "ephemeral" as const } }]
}

describe("same wire: the Anthropic upstream gets the client's own bytes", () => {
  it("messages.create with unknown fields and an anthropic-beta header", async () => {
    const { data, response } = await env.anthropicClient.messages
      .create(
        {
          model: "anthropic-only",
          max_tokens: 256,
          system: [{ type: "text", text: "Be brief.", cache_control: { type: "ephemeral" } }],
          messages: [ask],
          ...UNKNOWN
        } as never,
        { headers: { "anthropic-beta": "prompt-caching-2024-07-31" } }
      )
      .withResponse()
    expect((data as Anthropic.Message).content[0]).toMatchObject({ type: "text" })
    expect(response.headers.get("x-am-provider")).toBe("anthropic")
    const sent = env.sentToAnthropic()
    expect(sent).toHaveLength(1)
    expect(env.bodies).toHaveLength(1)
    expect(sent[0]!.text).toBe(withModel(env.bodies[0]!, "anthropic-only", "claude-sonnet-4-6"))
    // The SDK authenticates with a bearer token; the gateway key never reaches the upstream.
    expect(sent[0]!.headers.authorization).toBe(`Bearer ${ANTHROPIC_KEY}`)
    expect(sent[0]!.headers["anthropic-beta"]).toBe("prompt-caching-2024-07-31")
    const version = env.clientHeaders[0]!.get("anthropic-version")
    expect(version).toMatch(/^\d{4}-\d\d-\d\d$/)
    expect(sent[0]!.headers["anthropic-version"]).toBe(version)
  })

  it("a hand-written body keeps its spacing, key order, escapes and number spellings", async () => {
    const text = `{\n  "x_future_field" : { "n": 1.50, "e": 1E2, "s": "caf\\u00e9" },\n  "max_tokens": 64, "top_k" : 3,\n  "messages": [ {"role":"user","content":[{"type":"text","text":"Say hello","cache_control":{"type":"ephemeral","ttl":"5m"}}]} ],\n  "model" : "anthropic-only"\n}`
    const response = await fetch(`${env.gateway.url}/v1/messages`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-api-key": env.anthropicClient.apiKey!,
        "anthropic-version": "2023-06-01"
      },
      body: text
    })
    expect(response.status).toBe(200)
    expect(env.sentToAnthropic().map((r) => r.text)).toEqual([
      text.replace('"model" : "anthropic-only"', '"model" : "claude-sonnet-4-6"')
    ])
  })

  it("messages.stream: bytes kept, the answer streams back", async () => {
    const stream = env.anthropicClient.messages.stream({
      model: "anthropic-only",
      max_tokens: 256,
      messages: [ask],
      ...UNKNOWN
    } as never)
    const final = await stream.finalMessage()
    expect(final.content.some((b) => b.type === "text")).toBe(true)
    const sent = env.sentToAnthropic()
    expect(sent).toHaveLength(1)
    expect(sent[0]!.text).toBe(withModel(env.bodies[0]!, "anthropic-only", "claude-sonnet-4-6"))
  })

  it("thinking: the signed block goes back byte for byte in the tool loop and the upstream verifies it", async () => {
    env.anthropic.setScript([{ sequence: ["tool_call"] }])
    const thinking = { type: "enabled" as const, budget_tokens: 2048 }
    const tools = [
      { name: "get_weather", description: "Weather", input_schema: { type: "object" as const, properties: {} } }
    ]
    const first = await env.anthropicClient.messages.create({
      model: "anthropic-only",
      max_tokens: 4096,
      thinking,
      tools,
      messages: [ask]
    })
    const block = first.content.find((b): b is Anthropic.ThinkingBlock => b.type === "thinking")!
    expect(block.signature.length).toBeGreaterThan(10)
    const call = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === "tool_use")!
    const second = await env.anthropicClient.messages.create({
      model: "anthropic-only",
      max_tokens: 4096,
      thinking,
      tools,
      messages: [
        ask,
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: call.id, content: "sunny" }] }
      ]
    })
    expect(second.stop_reason).toBe("end_turn")
    const sent = env.sentToAnthropic()
    expect(sent).toHaveLength(2)
    expect(sent[1]!.text).toBe(withModel(env.bodies[1]!, "anthropic-only", "claude-sonnet-4-6"))
    expect(JSON.parse(sent[1]!.text).messages[1].content[0]).toEqual({
      type: "thinking",
      thinking: block.thinking,
      signature: block.signature
    })
  })
})

describe("failover still works", () => {
  it("the passthrough primary answers 503, the OpenAI fallback answers and reports what it could not honour", async () => {
    env.anthropic.setScript([{ sequence: ["overloaded"], repeat: true }])
    const { data, response } = await env.anthropicClient.messages
      .create({ model: "anthropic-then-openai", max_tokens: 256, messages: [ask], ...UNKNOWN } as never)
      .withResponse()
    expect(response.headers.get("x-am-provider")).toBe("openai")
    expect(Number(response.headers.get("x-am-attempts"))).toBeGreaterThanOrEqual(2)
    expect(((data as Anthropic.Message).content[0] as Anthropic.TextBlock).text).toContain("fake openai upstream")
    const sent = env.sentToAnthropic()
    expect(sent.length).toBeGreaterThan(0)
    for (const r of sent) expect(r.text).toBe(withModel(env.bodies[0]!, "anthropic-then-openai", "claude-sonnet-4-6"))
    const toOpenAI = env.sentToOpenAI("/chat/completions")
    expect(toOpenAI).toHaveLength(1)
    const body = JSON.parse(toOpenAI[0]!.text)
    expect(body.model).toBe("gpt-4o")
    for (const field of ["top_k", "container", "x_future_field"]) expect(body).not.toHaveProperty(field)
  })

  it("streamed: 503 on the primary, the fallback streams", async () => {
    env.anthropic.setScript([{ sequence: ["overloaded"], repeat: true }])
    const stream = env.anthropicClient.messages.stream({
      model: "anthropic-then-openai",
      max_tokens: 256,
      messages: [ask],
      ...UNKNOWN
    } as never)
    const final = await stream.finalMessage()
    expect((final.content[0] as Anthropic.TextBlock).text).toContain("fake openai upstream")
    expect(env.sentToOpenAI("/chat/completions")).toHaveLength(1)
  })
})
