/**
 * A thinking request gets the model's thinking first — Anthropic a `thinking` block with a
 * signature (streamed as thinking and signature deltas), Gemini a `thought` part — and the
 * Anthropic upstream checks what comes back as Anthropic does: an altered signature is a 400, and
 * so is a thinking tool loop whose last assistant turn does not start with a thinking block.
 */
import Anthropic from "@anthropic-ai/sdk"
import { GoogleGenAI } from "@google/genai"
import { afterEach, describe, expect, it } from "vitest"
import { startUpstream, type Upstream } from "../src/index.ts"

let upstream: Upstream | undefined
afterEach(async () => {
  await upstream?.close()
  upstream = undefined
})

const anthropic = async () => {
  upstream = await startUpstream({ kind: "anthropic" })
  return new Anthropic({ apiKey: "sk-ant-test", baseURL: upstream.baseURL, maxRetries: 0 })
}

describe("thinking on the simulated upstreams", () => {
  it("Anthropic answers a thinking request with a signed thinking block, also streamed", async () => {
    const client = await anthropic()
    const params = {
      model: "claude-sonnet-4-6",
      max_tokens: 4096,
      thinking: { type: "enabled" as const, budget_tokens: 2048 },
      messages: [{ role: "user" as const, content: "What is 2 + 2?" }]
    }
    const message = await client.messages.create(params)
    expect(message.content.map((b) => b.type)).toEqual(["thinking", "text"])
    const thinking = message.content[0] as Anthropic.ThinkingBlock
    expect(thinking.thinking).toContain("2 + 2")
    expect(thinking.signature.length).toBeGreaterThan(10)
    const streamed = await client.messages.stream(params).finalMessage()
    expect(streamed.content[0]).toEqual(thinking)
    const plain = await client.messages.create({ ...params, thinking: undefined })
    expect(plain.content.map((b) => b.type)).toEqual(["text"])
  })

  it("Anthropic accepts its own signature back and refuses an altered one", async () => {
    const client = await anthropic()
    const first = await client.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 4096,
      thinking: { type: "enabled", budget_tokens: 2048 },
      tools: [{ name: "get_weather", input_schema: { type: "object" } }],
      messages: [{ role: "user", content: "Weather in Paris?" }]
    })
    upstream!.setScript([{ sequence: ["ok"] }])
    const thinking = first.content[0] as Anthropic.ThinkingBlock
    const turn = (content: Array<Anthropic.ContentBlockParam>) =>
      client.messages.create({
        model: "claude-sonnet-4-6",
        max_tokens: 4096,
        thinking: { type: "enabled", budget_tokens: 2048 },
        messages: [
          { role: "user", content: "Weather in Paris?" },
          { role: "assistant", content },
          { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "sunny" }] }
        ]
      })
    const toolUse = { type: "tool_use" as const, id: "toolu_1", name: "get_weather", input: {} }
    await expect(turn([thinking, toolUse])).resolves.toMatchObject({ type: "message" })
    await expect(turn([{ ...thinking, signature: `${thinking.signature}x` }, toolUse])).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining("Invalid `signature`")
    })
    await expect(turn([toolUse])).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining("must start with a thinking block")
    })
  })

  it("Gemini answers includeThoughts with a thought part before the answer", async () => {
    upstream = await startUpstream({ kind: "gemini" })
    const ai = new GoogleGenAI({ apiKey: "g-test", httpOptions: { baseUrl: upstream.baseURL } })
    const r = await ai.models.generateContent({
      model: "gemini-2.5-flash",
      contents: "What is 2 + 2?",
      config: { thinkingConfig: { includeThoughts: true, thinkingBudget: 1024 } }
    })
    const parts = r.candidates![0]!.content!.parts!
    expect(parts[0]!.thought).toBe(true)
    expect(parts[0]!.thoughtSignature).toBeTruthy()
    expect(r.text).not.toContain("The user asked")
  })
})
