/**
 * `@anthropic-ai/sdk` against `POST /v1/messages`, behind failover across all three provider kinds:
 * the first kind of the route fails every call and the next one answers — OpenAI → Anthropic,
 * Anthropic → Gemini, Gemini → OpenAI. `messages.create` and `messages.stream` (text events and
 * `finalMessage`) get Anthropic's message and event sequence whoever answered, with the system
 * prompt (string or blocks) and stop sequences reaching the answering upstream in its own format.
 */
import type Anthropic from "@anthropic-ai/sdk"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { failing, type Kind, type ThreeKinds, startThreeKinds } from "./support/MessagesUpstreams.ts"

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

/** What the answering upstream was sent as the system prompt and stop sequences, in its own wire format. */
const systemAndStop = (kind: Kind, body: any): { system: string; stop: unknown } => {
  switch (kind) {
    case "openai":
      return {
        system: body.messages
          .filter((m: { role: string }) => m.role === "system")
          .map((m: { content: string }) => m.content)
          .join("\n\n"),
        stop: body.stop
      }
    case "anthropic":
      return { system: body.system, stop: body.stop_sequences }
    case "gemini":
      return {
        system: body.systemInstruction.parts.map((p: { text: string }) => p.text).join("\n\n"),
        stop: body.generationConfig.stopSequences
      }
  }
}

const PAIRS: ReadonlyArray<readonly [Kind, Kind]> = [
  ["openai", "anthropic"],
  ["anthropic", "gemini"],
  ["gemini", "openai"]
]

describe.each(PAIRS)("%s fails, %s answers", (down, up) => {
  const model = `${down}-first`

  it("messages.create with a string system prompt and stop_sequences", async () => {
    failing(env, down)
    const { data, response } = await env.client.messages
      .create({
        model,
        max_tokens: 512,
        system: "Answer in one sentence.",
        stop_sequences: ["END"],
        messages: [{ role: "user", content: "Say hello" }]
      })
      .withResponse()
    expect(data.type).toBe("message")
    expect(data.role).toBe("assistant")
    expect(data.content).toHaveLength(1)
    const block = data.content[0] as Anthropic.TextBlock
    expect(block.type).toBe("text")
    expect(block.text).toContain(`fake ${up} upstream`)
    expect(data.stop_reason).toBe("end_turn")
    expect(data.usage.input_tokens).toBeGreaterThan(0)
    expect(data.usage.output_tokens).toBeGreaterThan(0)
    const requestId = response.headers.get("x-am-request-id")
    expect(data.id).toBe(`msg_${requestId}`)
    expect(response.headers.get("request-id")).toBe(requestId)
    expect(response.headers.get("x-am-provider")).toBe(up)
    expect(Number(response.headers.get("x-am-attempts"))).toBeGreaterThanOrEqual(2)
    expect(env.upstreams[down].requests.length).toBeGreaterThan(0)
    const sent = env.sent(up).at(-1)!.body
    expect(systemAndStop(up, sent)).toEqual({ system: "Answer in one sentence.", stop: ["END"] })
  })

  it("messages.create with the system prompt as text blocks", async () => {
    failing(env, down)
    const data = await env.client.messages.create({
      model,
      max_tokens: 512,
      system: [
        { type: "text", text: "You are terse." },
        { type: "text", text: "Never use emoji." }
      ],
      messages: [{ role: "user", content: [{ type: "text", text: "Say hello" }] }]
    })
    expect((data.content[0] as Anthropic.TextBlock).text).toContain(`fake ${up} upstream`)
    const sent = env.sent(up).at(-1)!.body
    // Anthropic gets the client's own blocks (same-wire passthrough); the others a joined prompt.
    if (up === "anthropic")
      expect(sent.system).toEqual([
        { type: "text", text: "You are terse." },
        { type: "text", text: "Never use emoji." }
      ])
    else expect(systemAndStop(up, sent).system).toBe("You are terse.\n\nNever use emoji.")
  })

  it("messages.stream: text events add up to finalMessage, in Anthropic's event order", async () => {
    failing(env, down)
    const stream = env.client.messages.stream({
      model,
      max_tokens: 512,
      messages: [{ role: "user", content: "Tell me something" }]
    })
    const texts: Array<string> = []
    const events: Array<string> = []
    stream.on("text", (t) => texts.push(t))
    stream.on("streamEvent", (e) => events.push(e.type === "content_block_start" ? `start:${e.index}` : e.type))
    const final = await stream.finalMessage()
    const { response } = await stream.withResponse()
    expect(texts.length).toBeGreaterThan(1)
    const text = (final.content[0] as Anthropic.TextBlock).text
    expect(texts.join("")).toBe(text)
    expect(text).toContain(`fake ${up} upstream`)
    expect(final.stop_reason).toBe("end_turn")
    expect(final.usage.output_tokens).toBeGreaterThan(0)
    expect(final.usage.input_tokens).toBeGreaterThan(0)
    expect(response.headers.get("x-am-provider")).toBe(up)
    expect(response.headers.get("content-type")).toContain("text/event-stream")
    const collapsed = events.filter((e, i) => e !== "content_block_delta" || events[i - 1] !== "content_block_delta")
    expect(collapsed).toEqual([
      "message_start",
      "start:0",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop"
    ])
  })
})

describe("answers a stop sequence and a length stop in Anthropic's terms", () => {
  it("max_tokens cuts the answer with stop_reason max_tokens, streamed and not", async () => {
    failing(env, "openai")
    const params = {
      model: "openai-first",
      max_tokens: 3,
      messages: [{ role: "user" as const, content: "Tell me a long story" }]
    }
    const data = await env.client.messages.create(params)
    expect(data.stop_reason).toBe("max_tokens")
    const final = await env.client.messages.stream(params).finalMessage()
    expect(final.stop_reason).toBe("max_tokens")
  })
})
