/**
 * Tools through `POST /v1/messages` behind failover across the three kinds: the answering
 * provider's tool call comes back as a `tool_use` block (JSON and streamed as `input_json_delta`),
 * and the client's next turn — the assistant content as the SDK returned it, then a `tool_result`
 * — reaches the answering upstream as its own tool-result format, tied to the same call.
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

const tools: Array<Anthropic.Tool> = [
  {
    name: "get_weather",
    description: "Weather for a city",
    input_schema: { type: "object", properties: { location: { type: "string" } }, required: ["location"] }
  }
]

/** The tool result the answering upstream got, in its own format: [call id or name, result text]. */
const toolResultSent = (kind: Kind, body: any): [string, string] => {
  switch (kind) {
    case "openai": {
      const m = body.messages.find((x: { role: string }) => x.role === "tool")
      return [m.tool_call_id, m.content]
    }
    case "anthropic": {
      const block = body.messages.at(-1).content.find((b: { type: string }) => b.type === "tool_result")
      return [block.tool_use_id, block.content]
    }
    case "gemini": {
      const part = body.contents.at(-1).parts.find((p: { functionResponse?: unknown }) => p.functionResponse)
      return [part.functionResponse.name, part.functionResponse.response.output]
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
  const ask: Anthropic.MessageParam = { role: "user", content: "What's the weather in Paris?" }

  it("tool_use, then the tool_result round trip", async () => {
    failing(env, down)
    env.upstreams[up].setScript([{ sequence: ["tool_call"] }])
    const first = await env.client.messages.create({ model, max_tokens: 512, tools, messages: [ask] })
    expect(first.stop_reason).toBe("tool_use")
    const call = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === "tool_use")!
    expect(call.name).toBe("get_weather")
    expect(call.input).toEqual({ location: "Paris, France" })
    expect(call.id.length).toBeGreaterThan(0)

    const second = await env.client.messages.create({
      model,
      max_tokens: 512,
      tools,
      messages: [
        ask,
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: call.id, content: "sunny, 21 °C" }] }
      ]
    })
    expect(second.stop_reason).toBe("end_turn")
    expect((second.content[0] as Anthropic.TextBlock).text).toContain(`fake ${up} upstream`)
    const [ref, result] = toolResultSent(up, env.sent(up).at(-1)!.body)
    expect(ref).toBe(up === "gemini" ? "get_weather" : call.id)
    expect(result).toBe("sunny, 21 °C")
  })

  it("a streamed tool_use arrives as input_json_delta and parses in finalMessage", async () => {
    failing(env, down)
    env.upstreams[up].setScript([{ sequence: ["tool_call"] }])
    const stream = env.client.messages.stream({ model, max_tokens: 512, tools, messages: [ask] })
    const deltas: Array<string> = []
    stream.on("inputJson", (partial) => deltas.push(partial))
    const final = await stream.finalMessage()
    expect(final.stop_reason).toBe("tool_use")
    const call = final.content.find((b): b is Anthropic.ToolUseBlock => b.type === "tool_use")!
    expect(call.input).toEqual({ location: "Paris, France" })
    expect(JSON.parse(deltas.join(""))).toEqual({ location: "Paris, France" })
  })
})
