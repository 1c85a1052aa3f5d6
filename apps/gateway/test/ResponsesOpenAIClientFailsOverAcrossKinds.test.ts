/**
 * The official `openai` client's Responses API against the gateway, behind failover across all
 * three provider kinds: for each pair, the first provider answers 503 and the answer comes from
 * the next — an OpenAI, Anthropic or Gemini upstream, each in its own wire format — as a JSON
 * response, a raw event stream, the SDK's `responses.stream` helper (which checks the event
 * sequence), a function-tool round trip and a `text.format` json_schema answer.
 */
import type { FaultScript } from "@am/testkit"
import { LedgerStore } from "@am/core"
import { Effect } from "effect"
import OpenAI from "openai"
import { zodTextFormat } from "openai/helpers/zod"
import { afterEach, describe, expect, it } from "vitest"
import { z } from "zod"
import { down, FAILOVERS, GATEWAY_KEY, MODELS, type ThreeKinds, threeKinds } from "./support/ResponsesUpstreams.ts"

let running: ThreeKinds | undefined

afterEach(async () => {
  await running?.close()
  running = undefined
})

/** The ledger entries written so far for `requestId`. */
const ledgered = (r: ThreeKinds, requestId: string) =>
  r.gateway.run(
    Effect.map(
      Effect.flatMap(Effect.service(LedgerStore), (s) => s.range(1, 10_000)),
      (all) => all.filter((e) => e.requestId === requestId)
    )
  )

const client = (r: ThreeKinds) => new OpenAI({ baseURL: `${r.gateway.url}/v1`, apiKey: GATEWAY_KEY, maxRetries: 0 })

const weatherTool = {
  type: "function" as const,
  name: "get_weather",
  description: "The weather in a city",
  parameters: {
    type: "object",
    properties: { location: { type: "string" } },
    required: ["location"],
    additionalProperties: false
  },
  strict: false
}

describe.each(FAILOVERS)("Responses API: $failing fails with 503, $answering answers", ({ failing, answering }) => {
  const start = async (options?: { answerScript?: FaultScript; reply?: string }) => {
    running = await threeKinds({
      order: [failing, answering],
      scripts: {
        [failing]: down,
        ...(options?.answerScript !== undefined ? { [answering]: options.answerScript } : {})
      },
      ...(options?.reply !== undefined ? { reply: { [answering]: options.reply } } : {})
    })
    return client(running)
  }

  it("responses.create answers JSON with output_text, usage and the x-am-* headers", async () => {
    const openai = await start()
    const { data, response } = await openai.responses
      .create({
        model: "default",
        instructions: "Be brief.",
        input: "Say hi",
        max_output_tokens: 200,
        metadata: { ticket: "T-1" }
      })
      .withResponse()
    expect(data.object).toBe("response")
    expect(data.status).toBe("completed")
    expect(data.output_text).toContain(`fake ${answering} upstream`)
    expect(data.output[0]!.type).toBe("message")
    expect(data.usage!.input_tokens).toBeGreaterThan(0)
    expect(data.usage!.total_tokens).toBe(data.usage!.input_tokens + data.usage!.output_tokens)
    expect(data.metadata).toEqual({ ticket: "T-1" })
    expect(data.instructions).toBe("Be brief.")
    const requestId = response.headers.get("x-am-request-id")
    expect(data.id).toBe(`resp_${requestId}`)
    expect(response.headers.get("x-am-provider")).toBe(answering)
    expect(response.headers.get("x-am-model")).toBe(MODELS[answering])
    expect(Number(response.headers.get("x-am-attempts"))).toBeGreaterThanOrEqual(2)
    expect(response.headers.get("x-am-outcome")).toBe("SUCCESS")
    expect(running!.upstreams[failing].requests.length).toBeGreaterThanOrEqual(1)
    expect(running!.upstreams[answering].requests).toHaveLength(1)
    expect((await ledgered(running!, requestId!)).map((e) => e.outcome)).toEqual(["SUCCESS"])
    // The instructions reached the answering provider, in its own wire format.
    expect(JSON.stringify(running!.recorded[answering].bodies[0])).toContain("Be brief.")
  })

  it("stream: true delivers the Responses event sequence with numbered events and usage at the end", async () => {
    const openai = await start()
    const { data: stream, response } = await openai.responses
      .create({ model: "default", input: "Count", stream: true })
      .withResponse()
    expect(response.headers.get("x-am-provider")).toBe(answering)
    const types: Array<string> = []
    const sequence: Array<number> = []
    let text = ""
    let completed: OpenAI.Responses.Response | undefined
    for await (const event of stream) {
      types.push(event.type)
      sequence.push(event.sequence_number)
      if (event.type === "response.output_text.delta") text += event.delta
      if (event.type === "response.completed") {
        completed = event.response
        // Sent only once the request's ledger entry is written.
        expect(await ledgered(running!, response.headers.get("x-am-request-id")!)).toHaveLength(1)
      }
    }
    expect(types.slice(0, 4)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added"
    ])
    expect(types.slice(-4)).toEqual([
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed"
    ])
    expect(types.filter((t) => t === "response.output_text.delta").length).toBeGreaterThan(1)
    expect(sequence).toEqual(sequence.map((_, i) => i))
    expect(text).toContain(`fake ${answering} upstream`)
    const message = completed!.output.find((o) => o.type === "message")
    expect(message?.type === "message" && message.content[0]).toMatchObject({ type: "output_text", text })
    expect(completed!.usage!.output_tokens).toBeGreaterThan(0)
  })

  it("responses.stream (the SDK's accumulating helper) accepts the stream and its final response", async () => {
    const openai = await start()
    const stream = openai.responses.stream({ model: "default", input: "Tell me" })
    let deltas = ""
    stream.on("response.output_text.delta", (e) => {
      deltas += e.delta
    })
    const final = await stream.finalResponse()
    expect(final.status).toBe("completed")
    expect(final.output_text).toBe(deltas)
    expect(final.output_text.length).toBeGreaterThan(0)
  })

  it("a function tool round trip: call, function_call_output, final answer", async () => {
    const openai = await start({ answerScript: [{ sequence: ["tool_call", "ok"] }] })
    const first = await openai.responses.create({ model: "default", input: "Weather in Paris?", tools: [weatherTool] })
    const call = first.output.find((o) => o.type === "function_call")
    expect(call).toBeDefined()
    if (call?.type !== "function_call") throw new Error("no function call")
    expect(call.name).toBe("get_weather")
    expect(JSON.parse(call.arguments)).toEqual({ location: "Paris, France" })
    const second = await openai.responses.create({
      model: "default",
      input: [
        { role: "user", content: "Weather in Paris?" },
        call,
        { type: "function_call_output", call_id: call.call_id, output: '{"temperature":"18C"}' }
      ],
      tools: [weatherTool]
    })
    expect(second.status).toBe("completed")
    expect(second.output_text.length).toBeGreaterThan(0)
    // The tool's result reached the answering provider with the call it answers.
    const sent = JSON.stringify(running!.recorded[answering].bodies.at(-1))
    expect(sent).toContain("18C")
    // Gemini pairs a result with its call by name; the others by the call's id.
    expect(sent).toContain(answering === "gemini" ? '"functionResponse":{"name":"get_weather"' : call.call_id)
  })

  it("a streamed tool call arrives as function_call_arguments deltas and a done event", async () => {
    const openai = await start({ answerScript: [{ sequence: ["tool_call"] }] })
    const stream = openai.responses.stream({ model: "default", input: "Weather?", tools: [weatherTool] })
    let args = ""
    const types: Array<string> = []
    stream.on("event", (e) => types.push(e.type))
    stream.on("response.function_call_arguments.delta", (e) => {
      args += e.delta
    })
    const final = await stream.finalResponse()
    const call = final.output.find((o) => o.type === "function_call")
    expect(call?.type === "function_call" && call.arguments).toBe(args)
    expect(JSON.parse(args)).toEqual({ location: "Paris, France" })
    expect(types).toContain("response.function_call_arguments.done")
    expect(types.at(-1)).toBe("response.completed")
  })

  it("text.format json_schema reaches the provider as its structured-output setting and parses", async () => {
    const openai = await start({ reply: '{"city":"Paris","celsius":18}' })
    const schema = {
      type: "object",
      properties: { city: { type: "string" }, celsius: { type: "number" } },
      required: ["city", "celsius"],
      additionalProperties: false
    }
    const answer = await openai.responses.create({
      model: "default",
      input: "Weather as JSON",
      text: { format: { type: "json_schema", name: "weather", schema, strict: true } }
    })
    expect(JSON.parse(answer.output_text)).toEqual({ city: "Paris", celsius: 18 })
    expect(answer.text?.format).toMatchObject({ type: "json_schema", name: "weather" })
    // The schema went upstream (as response_format, output_config or responseSchema).
    expect(JSON.stringify(running!.recorded[answering].bodies.at(-1))).toContain('"celsius"')
  })

  it("a truncated answer is incomplete with max_output_tokens, as JSON and as the stream's last event", async () => {
    const openai = await start({ answerScript: [{ sequence: ["max_tokens", "max_tokens"] }] })
    const r = await openai.responses.create({ model: "default", input: "A long story" })
    expect(r.status).toBe("incomplete")
    expect(r.incomplete_details?.reason).toBe("max_output_tokens")
    const stream = await openai.responses.create({ model: "default", input: "A long story", stream: true })
    let last: OpenAI.Responses.ResponseStreamEvent | undefined
    for await (const event of stream) last = event
    expect(last?.type).toBe("response.incomplete")
    if (last?.type !== "response.incomplete") throw new Error("not incomplete")
    expect(last.response.incomplete_details?.reason).toBe("max_output_tokens")
  })

  it("responses.parse with a zod text format returns the parsed object", async () => {
    const openai = await start({ reply: '{"city":"Paris","celsius":18}' })
    const Weather = z.object({ city: z.string(), celsius: z.number() })
    const parsed = await openai.responses.parse({
      model: "default",
      input: "Weather as JSON",
      text: { format: zodTextFormat(Weather, "weather") }
    })
    expect(parsed.output_parsed).toEqual({ city: "Paris", celsius: 18 })
  })
})
