/**
 * Same-wire passthrough for `/v1/responses` with the official `openai` client: a request carrying
 * fields the gateway does not know (`prediction`, `web_search_options`, a made-up
 * `x_future_field`) reaches the OpenAI upstream's `/v1/responses` as the bytes the client sent —
 * only the model substituted (and `store: false` when the client did not say so), the gateway key
 * replaced by the provider's — and its answers come back whole and streamed: text, a function
 * tool round trip, usage.
 */
import type OpenAI from "openai"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import {
  OPENAI_KEY,
  type ResponsesSameWireEnv,
  startResponsesSameWire,
  withModel
} from "./support/ResponsesSameWireEnv.ts"

let env: ResponsesSameWireEnv
beforeAll(async () => {
  env = await startResponsesSameWire()
})
afterAll(() => env.close())
beforeEach(() => env.reset())

const UNKNOWN = {
  prediction: { type: "content", content: "Hello there" },
  web_search_options: { search_context_size: "low", user_location: { type: "approximate", city: "Zürich" } },
  x_future_field: { nested: [1, 2.5, { deep: "é ☃ \u2028" }], flag: true }
} as const

const weather = {
  type: "function" as const,
  name: "get_weather",
  parameters: { type: "object", properties: { city: { type: "string" } } },
  strict: false
}

describe("same wire: the upstream's /v1/responses gets the client's own bytes", () => {
  it("responses.create with unknown fields and store: false — identical apart from model", async () => {
    const { data, response } = await env.client.responses
      .create({
        model: "openai-only",
        instructions: "Be brief.",
        input: "Say hello",
        store: false,
        temperature: 0.7,
        ...UNKNOWN
      } as never)
      .withResponse()
    expect((data as OpenAI.Responses.Response).output_text).toContain("fake openai upstream")
    expect(response.headers.get("x-am-provider")).toBe("openai")
    expect(response.headers.get("x-am-dropped-fields")).toBeNull()
    const sent = env.sentToOpenAI()
    expect(sent).toHaveLength(1)
    expect(env.bodies).toHaveLength(1)
    expect(sent[0]!.body).toBe(withModel(env.bodies[0]!, "openai-only", "gpt-4o"))
    expect(sent[0]!.key).toBe(OPENAI_KEY)
  })

  it("OpenAI-only hints (prompt_cache_key, truncation, text.verbosity) reach it as sent and are echoed", async () => {
    // What Codex and the Agents SDK send: refused only where a translated candidate would drop them.
    const hints = {
      prompt_cache_key: "codex-session-1",
      prompt_cache_retention: "24h",
      truncation: "auto",
      text: { verbosity: "low" }
    }
    const r = (await env.client.responses.create({
      model: "openai-only",
      input: "Say hello",
      store: false,
      ...hints
    } as never)) as OpenAI.Responses.Response
    expect(r.status).toBe("completed")
    expect(r.truncation).toBe("auto")
    expect(r.text?.verbosity).toBe("low")
    const sent = env.sentToOpenAI()
    expect(sent).toHaveLength(1)
    expect(sent[0]!.body).toBe(withModel(env.bodies[0]!, "openai-only", "gpt-4o"))
    expect(JSON.parse(sent[0]!.body)).toMatchObject(hints)
  })

  it("without store the upstream is told store: false (the gateway keeps the response), the rest as sent", async () => {
    const r = await env.client.responses.create({ model: "openai-only", input: "Say hello", ...UNKNOWN } as never)
    const sent = env.sentToOpenAI()[0]!.body
    expect(sent).toBe(`{"store":false,${withModel(env.bodies[0]!, "openai-only", "gpt-4o").slice(1)}`)
    // Stored by the gateway all the same.
    const stored = await env.client.responses.retrieve((r as OpenAI.Responses.Response).id)
    expect(stored.output_text).toBe((r as OpenAI.Responses.Response).output_text)
  })

  it("a hand-written body keeps its spacing, key order, escapes and number spellings", async () => {
    const text = `{\n  "x_future_field" : { "n": 1.50, "e": 1E2, "s": "caf\\u00e9" },\n  "input": [ {"role":"user","content":"Say hello"} ],\n  "store" : false,\n  "model" : "openai-only",\n  "prediction": {"type":"content","content":"Hi"}\n}`
    const response = await fetch(`${env.gateway.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${env.client.apiKey}` },
      body: text
    })
    expect(response.status).toBe(200)
    expect(env.sentToOpenAI().map((r) => r.body)).toEqual([
      text.replace('"model" : "openai-only"', '"model" : "gpt-4o"')
    ])
  })

  it("streamed: the bytes are kept and the events arrive with text and usage", async () => {
    const stream = await env.client.responses.create({
      model: "openai-only",
      input: "Say hello",
      store: false,
      stream: true,
      ...UNKNOWN
    } as never)
    let text = ""
    let completed: OpenAI.Responses.Response | undefined
    for await (const event of stream as unknown as AsyncIterable<OpenAI.Responses.ResponseStreamEvent>) {
      if (event.type === "response.output_text.delta") text += event.delta
      if (event.type === "response.completed") completed = event.response
    }
    expect(text).toContain("fake openai upstream")
    const final = (completed?.output ?? [])
      .flatMap((o) => (o.type === "message" ? o.content : []))
      .map((c) => (c.type === "output_text" ? c.text : ""))
      .join("")
    expect(final).toBe(text)
    expect(completed?.usage?.output_tokens).toBeGreaterThan(0)
    expect(completed?.usage?.total_tokens).toBe(
      (completed?.usage?.input_tokens ?? 0) + (completed?.usage?.output_tokens ?? 0)
    )
    const sent = env.sentToOpenAI()
    expect(sent).toHaveLength(1)
    expect(sent[0]!.body).toBe(withModel(env.bodies[0]!, "openai-only", "gpt-4o"))
  })
})

describe("answers through the same wire", () => {
  it("whole: text and usage as the upstream reported them", async () => {
    const r = await env.client.responses.create({ model: "openai-only", input: "Say hello", ...UNKNOWN } as never)
    const answer = r as OpenAI.Responses.Response
    expect(answer.status).toBe("completed")
    expect(answer.output_text).toContain("fake openai upstream")
    expect(answer.usage?.input_tokens).toBeGreaterThan(0)
    expect(answer.usage?.output_tokens).toBeGreaterThan(0)
    expect(answer.usage?.input_tokens_details.cached_tokens).toBe(0)
  })

  it("a function tool round trip, whole then streamed: the call, its result, the answer", async () => {
    env.openai.setScript([{ sequence: ["tool_call"] }])
    const first = await env.client.responses.create({
      model: "openai-only",
      input: "Weather in Paris?",
      tools: [weather],
      ...UNKNOWN
    } as never)
    const call = (first as OpenAI.Responses.Response).output.find((o) => o.type === "function_call")
    expect(call?.type).toBe("function_call")
    if (call?.type !== "function_call") throw new Error("no function call")
    expect(call.name).toBe("get_weather")
    expect(() => JSON.parse(call.arguments)).not.toThrow()
    const sentCall = env.sentToOpenAI()[0]!
    expect(JSON.parse(sentCall.body).tools).toEqual([weather])

    // The result goes back with the call item (the gateway's ids): the upstream gets its own input.
    const stream = await env.client.responses.create({
      model: "openai-only",
      input: [
        { role: "user", content: "Weather in Paris?" },
        call,
        { type: "function_call_output", call_id: call.call_id, output: "sunny, 24°C" }
      ],
      tools: [weather],
      stream: true,
      ...UNKNOWN
    } as never)
    let text = ""
    for await (const event of stream as unknown as AsyncIterable<OpenAI.Responses.ResponseStreamEvent>)
      if (event.type === "response.output_text.delta") text += event.delta
    expect(text).toContain("fake openai upstream")
    const second = JSON.parse(env.sentToOpenAI()[1]!.body)
    expect(second.x_future_field).toEqual(UNKNOWN.x_future_field)
    expect(second.stream).toBe(true)
    // The client's own items, only the gateway's item id left off (the upstream never stored it).
    const { id: _gatewayId, ...callAsSent } = call
    expect(second.input).toEqual([
      { role: "user", content: "Weather in Paris?" },
      callAsSent,
      { type: "function_call_output", call_id: call.call_id, output: "sunny, 24°C" }
    ])
  })

  it("a streamed tool call arrives as the function call item with its arguments", async () => {
    env.openai.setScript([{ sequence: ["tool_call"] }])
    const stream = await env.client.responses.create({
      model: "openai-only",
      input: "Weather in Paris?",
      tools: [weather],
      stream: true
    })
    let args = ""
    let done: OpenAI.Responses.Response | undefined
    for await (const event of stream) {
      if (event.type === "response.function_call_arguments.delta") args += event.delta
      if (event.type === "response.completed") done = event.response
    }
    const call = done?.output.find((o) => o.type === "function_call")
    expect(call?.type === "function_call" && call.name).toBe("get_weather")
    expect(call?.type === "function_call" && call.arguments).toBe(args)
    expect(() => JSON.parse(args)).not.toThrow()
  })
})
