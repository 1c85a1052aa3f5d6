/**
 * Issue 11, same-wire passthrough for `/v1/messages` beyond client tools, with the official
 * `@anthropic-ai/sdk` (what Claude Code's web search and PDF reading send): a server tool
 * (`web_search_20250305`) and a `document` block reach the Anthropic upstream as the client's own
 * bytes, and the upstream's server-tool blocks (`server_tool_use`, `web_search_tool_result`) come
 * back to the client — in the JSON message where the upstream had them (a cited text block with
 * its citations), and streamed (whole, after the streamed blocks) into the SDK's final message. A translated fallback proceeds without
 * them and names them in `x-am-dropped-fields` (this env's `drop-and-report`); with input guards
 * on, a block they cannot read is a 400 naming it, never sent unread.
 */
import Anthropic from "@anthropic-ai/sdk"
import { startUpstreams, type Upstream } from "@am/testkit"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { GATEWAY_KEY, type RunningGateway, startGateway } from "./support/Harness.ts"
import { ANTHROPIC_KEY, startWires, type WiresEnv, withModel } from "./support/PassthroughWires.ts"

let env: WiresEnv
beforeAll(async () => {
  env = await startWires()
})
afterAll(() => env.close())
beforeEach(() => env.reset())

const search = { type: "web_search_20250305", name: "web_search", max_uses: 2 } as const
const pdf = {
  type: "document",
  source: { type: "base64", media_type: "application/pdf", data: "JVBERi0xLjQKJcfsj6IKNSAwIG9iago=" }
} as const

describe("same wire: server tools and documents reach Anthropic and their blocks come back", () => {
  it("messages.create: the bytes as sent, and the search blocks before the answer's text", async () => {
    const { data, response } = await env.anthropicClient.messages
      .create({
        model: "anthropic-only",
        max_tokens: 256,
        tools: [search],
        messages: [{ role: "user", content: [{ type: "text", text: "What does this say?" }, pdf] }]
      } as never)
      .withResponse()
    expect(response.headers.get("x-am-provider")).toBe("anthropic")
    expect(response.headers.get("x-am-dropped-fields")).toBeNull()
    const sent = env.sentToAnthropic()
    expect(sent).toHaveLength(1)
    expect(sent[0]!.text).toBe(withModel(env.bodies[0]!, "anthropic-only", "claude-sonnet-4-6"))
    const message = data as Anthropic.Message
    expect(message.content.map((b) => b.type)).toEqual(["server_tool_use", "web_search_tool_result", "text"])
    expect(message.content[0]).toMatchObject({
      type: "server_tool_use",
      name: "web_search",
      input: { query: expect.any(String) }
    })
    expect(message.content[1]).toMatchObject({
      type: "web_search_tool_result",
      content: [expect.objectContaining({ type: "web_search_result", url: "https://example.test/result" })]
    })
    // The answer's text block keeps its citations of the result.
    expect(message.content[2]).toMatchObject({
      type: "text",
      citations: [expect.objectContaining({ type: "web_search_result_location", url: "https://example.test/result" })]
    })
  })

  it("messages.stream: the SDK's final message has the search blocks, the call's input whole", async () => {
    const final = await env.anthropicClient.messages
      .stream({
        model: "anthropic-only",
        max_tokens: 256,
        tools: [search],
        messages: [{ role: "user", content: "Search for the news" }]
      } as never)
      .finalMessage()
    const types = final.content.map((b) => b.type)
    expect(types).toContain("server_tool_use")
    expect(types).toContain("web_search_tool_result")
    expect(types).toContain("text")
    const call = final.content.find((b) => b.type === "server_tool_use") as Anthropic.ServerToolUseBlock
    expect(call.input).toEqual({ query: "Search for the news" })
  })

  it("the next turn sends the search blocks and the document back as the client wrote them", async () => {
    const first = await env.anthropicClient.messages.create({
      model: "anthropic-only",
      max_tokens: 256,
      tools: [search],
      messages: [{ role: "user", content: "Search for the news" }]
    } as never)
    env.reset()
    await env.anthropicClient.messages.create({
      model: "anthropic-only",
      max_tokens: 256,
      tools: [search],
      messages: [
        { role: "user", content: "Search for the news" },
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "text", text: "And this file?" }, pdf] }
      ]
    } as never)
    expect(env.sentToAnthropic()[0]!.text).toBe(withModel(env.bodies[0]!, "anthropic-only", "claude-sonnet-4-6"))
  })

  it("a translated fallback answers without them and the header names each", async () => {
    env.anthropic.setScript([{ sequence: [503], repeat: true }])
    const { response } = await env.anthropicClient.messages
      .create({
        model: "anthropic-then-openai",
        max_tokens: 256,
        tools: [search],
        messages: [{ role: "user", content: [{ type: "text", text: "What does this say?" }, pdf] }]
      } as never)
      .withResponse()
    expect(response.headers.get("x-am-provider")).toBe("openai")
    expect(response.headers.get("x-am-dropped-fields")?.split(",").sort()).toEqual(["messages.0.content.1", "tools.0"])
    const toOpenAI = JSON.parse(env.sentToOpenAI("/chat/completions").at(-1)!.text)
    expect(toOpenAI.tools).toBeUndefined()
    expect(JSON.stringify(toOpenAI.messages)).not.toContain("JVBERi0")
  })
})

describe("with input guards on", () => {
  let upstreams: ReadonlyArray<Upstream> = []
  let guarded: RunningGateway | undefined
  let client: Anthropic
  beforeAll(async () => {
    upstreams = await startUpstreams([{ kind: "anthropic", keys: [ANTHROPIC_KEY], models: ["claude-sonnet-4-6"] }])
    guarded = await startGateway({
      providers: {
        anthropic: {
          kind: "anthropic",
          baseURL: upstreams[0]!.origin,
          keys: [{ id: "a1", secret: ANTHROPIC_KEY }],
          models: [{ name: "claude-sonnet-4-6" }]
        }
      },
      routes: { default: [{ provider: "anthropic", models: ["claude-sonnet-4-6"] }] },
      ledger: { store: "memory" },
      gatewayKeys: [{ id: "team-a", secret: GATEWAY_KEY, workspace: "team-a" }],
      guards: { pii: "redact" }
    })
    client = new Anthropic({ baseURL: guarded.url, apiKey: GATEWAY_KEY, maxRetries: 0 })
  })
  afterAll(async () => {
    await guarded?.close()
    await Promise.all(upstreams.map((u) => u.close()))
  })

  it("a document block they cannot read is a 400 naming it, and nothing is sent", async () => {
    const e = await client.messages
      .create({
        model: "default",
        max_tokens: 64,
        messages: [{ role: "user", content: [{ type: "text", text: "Read it" }, pdf] }]
      } as never)
      .then(
        () => undefined,
        (err: unknown) => err
      )
    expect(e).toBeInstanceOf(Anthropic.BadRequestError)
    expect(String((e as Error).message)).toContain("messages.0.content.1.type")
    expect(String((e as Error).message)).toContain("input guards")
    expect(upstreams[0]!.requests).toHaveLength(0)
  })

  it("a server tool still reaches Anthropic (a tool definition carries no user content)", async () => {
    const message = await client.messages.create({
      model: "default",
      max_tokens: 64,
      tools: [search],
      messages: [{ role: "user", content: "Search for the news" }]
    } as never)
    expect(message.content.map((b) => b.type)).toContain("web_search_tool_result")
  })
})
