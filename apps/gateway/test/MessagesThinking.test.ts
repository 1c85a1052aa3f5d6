/**
 * Thinking through `POST /v1/messages` (and `reasoning_effort` through `/v1/chat/completions`):
 * the request's thinking reaches each kind as its own knob (Anthropic `thinking`, Gemini
 * `thinkingConfig`, OpenAI `reasoning_effort` on a reasoning model), thinking comes back as
 * thinking blocks — with Anthropic's signature, which round-trips to Anthropic in a tool loop and
 * is verified there, while another provider's thinking gets an empty signature and is never sent
 * to Anthropic — and `anthropic-beta` / `anthropic-version` reach Anthropic upstreams only.
 */
import Anthropic from "@anthropic-ai/sdk"
import OpenAI from "openai"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { GATEWAY_KEY } from "./support/Harness.ts"
import { failing, type ThreeKinds, startThreeKinds } from "./support/MessagesUpstreams.ts"

let env: ThreeKinds
beforeAll(async () => {
  env = await startThreeKinds()
})
afterAll(() => env.close())
beforeEach(() => {
  for (const u of Object.values(env.upstreams)) {
    u.setScript([])
    u.reset()
  }
  for (const p of Object.values(env.proxies)) p.requests.length = 0
})

const thinking = { type: "enabled" as const, budget_tokens: 2048 }
const tools: Array<Anthropic.Tool> = [{ name: "get_weather", input_schema: { type: "object" } }]
const ask: Anthropic.MessageParam = { role: "user", content: "What's the weather in Paris?" }
const isThinking = (b: Anthropic.ContentBlock): b is Anthropic.ThinkingBlock => b.type === "thinking"

describe("thinking through /v1/messages", () => {
  it("Anthropic answers with a signed thinking block; the upstream got the thinking budget", async () => {
    const data = await env.client.messages.create({
      model: "anthropic-first",
      max_tokens: 4096,
      thinking,
      messages: [{ role: "user", content: "What is 2 + 2?" }]
    })
    expect(data.content.map((b) => b.type)).toEqual(["thinking", "text"])
    const block = data.content[0] as Anthropic.ThinkingBlock
    expect(block.thinking).toContain("2 + 2")
    expect(block.signature.length).toBeGreaterThan(10)
    const sent = env.sent("anthropic").at(-1)!.body
    expect(sent.thinking).toEqual(thinking)
    expect(sent.max_tokens).toBe(4096)
  })

  it("Anthropic → Anthropic: the streamed signature round-trips in a tool loop and is verified upstream", async () => {
    env.upstreams.anthropic.setScript([{ sequence: ["tool_call"] }])
    const stream = env.client.messages.stream({
      model: "anthropic-first",
      max_tokens: 4096,
      thinking,
      tools,
      messages: [ask]
    })
    const thoughts: Array<string> = []
    const signatures: Array<string> = []
    stream.on("thinking", (delta) => thoughts.push(delta))
    stream.on("signature", (s) => signatures.push(s))
    const first = await stream.finalMessage()
    expect(first.content.map((b) => b.type)).toEqual(["thinking", "tool_use"])
    const block = first.content.find(isThinking)!
    expect(thoughts.join("")).toBe(block.thinking)
    expect(signatures).toEqual([block.signature])
    const call = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === "tool_use")!
    const next = (assistant: Array<Anthropic.ContentBlockParam>) =>
      env.client.messages.create({
        model: "anthropic-first",
        max_tokens: 4096,
        thinking,
        tools,
        messages: [
          ask,
          { role: "assistant", content: assistant },
          { role: "user", content: [{ type: "tool_result", tool_use_id: call.id, content: "sunny" }] }
        ]
      })
    const second = await next(first.content)
    expect(second.stop_reason).toBe("end_turn")
    const sent = env.sent("anthropic").at(-1)!.body
    expect(sent.messages[1].content[0]).toEqual({
      type: "thinking",
      thinking: block.thinking,
      signature: block.signature
    })
    // The upstream checks the signature: an altered block is Anthropic's 400, kept as a 400.
    const tampered = next([{ ...block, signature: `${block.signature}x` }, call])
    await expect(tampered).rejects.toBeInstanceOf(Anthropic.BadRequestError)
    await expect(tampered).rejects.toMatchObject({ error: { error: { type: "invalid_request_error" } } })
  })

  it("Anthropic fails, Gemini answers: its thoughts are a thinking block with an empty signature", async () => {
    failing(env, "anthropic")
    const params = {
      model: "anthropic-first",
      max_tokens: 4096,
      thinking,
      messages: [{ role: "user" as const, content: "What is 2 + 2?" }]
    }
    const data = await env.client.messages.create(params)
    expect(data.content.map((b) => b.type)).toEqual(["thinking", "text"])
    const block = data.content[0] as Anthropic.ThinkingBlock
    expect(block.thinking).toContain("2 + 2")
    expect(block.signature).toBe("")
    expect((data.content[1] as Anthropic.TextBlock).text).not.toContain("The user asked")
    expect(env.sent("gemini").at(-1)!.body.generationConfig.thinkingConfig).toEqual({
      thinkingBudget: 2048,
      includeThoughts: true
    })
    const streamed = await env.client.messages.stream(params).finalMessage()
    expect(streamed.content).toEqual(data.content)
  })

  it("a tool loop Gemini answered, continued on Anthropic: Gemini's thinking is not sent and thinking is left off", async () => {
    failing(env, "anthropic")
    env.upstreams.gemini.setScript([{ sequence: ["tool_call"] }])
    const first = await env.client.messages.create({
      model: "anthropic-first",
      max_tokens: 4096,
      thinking,
      tools,
      messages: [ask]
    })
    expect(first.content.map((b) => b.type)).toEqual(["thinking", "tool_use"])
    env.upstreams.anthropic.setScript([])
    const call = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === "tool_use")!
    const { data, response } = await env.client.messages
      .create({
        model: "anthropic-first",
        max_tokens: 4096,
        thinking,
        tools,
        messages: [
          ask,
          { role: "assistant", content: first.content },
          { role: "user", content: [{ type: "tool_result", tool_use_id: call.id, content: "sunny" }] }
        ]
      })
      .withResponse()
    expect(response.headers.get("x-am-provider")).toBe("anthropic")
    expect(data.stop_reason).toBe("end_turn")
    const sent = env.sent("anthropic").at(-1)!.body
    expect(sent.messages[1].content.map((b: { type: string }) => b.type)).toEqual(["tool_use"])
    expect(sent.thinking).toBeUndefined()
  })

  it("OpenAI: reasoning_effort goes to a reasoning model only, derived from the budget", async () => {
    failing(env, "anthropic")
    await env.client.messages.create({ model: "reasoning", max_tokens: 4096, thinking, messages: [ask] })
    expect(env.sent("openai").at(-1)!.body).toMatchObject({ model: "o4-mini", reasoning_effort: "medium" })
    // A model that does not reason gets no reasoning_effort (and answers without thinking). Asked
    // directly: behind two failing providers the route's attempt maximum would run out first.
    const data = await env.client.messages.create({
      model: "openai-first",
      max_tokens: 4096,
      thinking,
      messages: [ask]
    })
    expect(data.content.map((b) => b.type)).toEqual(["text"])
    const sent = env.sent("openai").at(-1)!.body
    expect(sent.model).toBe("gpt-4o")
    expect(sent).not.toHaveProperty("reasoning_effort")
  })

  it("anthropic-beta and anthropic-version reach the Anthropic upstream and no other", async () => {
    const headers = { "anthropic-beta": "interleaved-thinking-2025-05-14", "anthropic-version": "2023-06-01" }
    await env.client.messages.create({ model: "anthropic-first", max_tokens: 256, messages: [ask] }, { headers })
    const got = env.sent("anthropic").at(-1)!.headers
    expect(got["anthropic-beta"]).toBe(headers["anthropic-beta"])
    expect(got["anthropic-version"]).toBe(headers["anthropic-version"])
    failing(env, "gemini")
    await env.client.messages.create({ model: "gemini-first", max_tokens: 256, messages: [ask] }, { headers })
    expect(env.sent("openai").at(-1)!.headers).not.toHaveProperty("anthropic-beta")
  })
})

describe("reasoning_effort on /v1/chat/completions", () => {
  it("becomes Anthropic's thinking budget, and the thinking comes back as reasoning_content", async () => {
    const openai = new OpenAI({ baseURL: `${env.gateway.url}/v1`, apiKey: GATEWAY_KEY, maxRetries: 0 })
    const answer = await openai.chat.completions.create({
      model: "anthropic-first",
      reasoning_effort: "low",
      messages: [{ role: "user", content: "What is 2 + 2?" }]
    })
    expect(env.sent("anthropic").at(-1)!.body.thinking).toEqual({ type: "enabled", budget_tokens: 1024 })
    const message = answer.choices[0]!.message as { content: string | null; reasoning_content?: string }
    expect(message.reasoning_content).toContain("2 + 2")
    expect(message.content).not.toContain("The user asked")
  })
})
