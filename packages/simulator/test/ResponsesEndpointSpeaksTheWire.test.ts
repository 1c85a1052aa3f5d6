/**
 * The OpenAI fake's `POST /v1/responses` as the official `openai` client sees it: a JSON
 * `response`, the event stream through the SDK's own accumulating `responses.stream` helper
 * (which rejects an inconsistent sequence), function calls, truncation as `incomplete`, and the
 * fault catalogue — a rate limit is a `RateLimitError`, an in-stream overload an `error` event
 * the SDK raises, a cut stream a connection error — as for chat completions.
 */
import OpenAI from "openai"
import { afterEach, describe, expect, it } from "vitest"
import { startUpstream, type Upstream } from "../src/index.ts"

let upstream: Upstream | undefined

afterEach(async () => {
  await upstream?.close()
  upstream = undefined
})

const start = async (config?: Omit<Parameters<typeof startUpstream>[0], "kind">) => {
  upstream = await startUpstream({ kind: "openai", ...config })
  return new OpenAI({ apiKey: "sk-test-responses-0000000000001", baseURL: upstream.baseURL, maxRetries: 0 })
}

const tool = {
  type: "function" as const,
  name: "lookup",
  parameters: { type: "object", properties: { location: { type: "string" } } },
  strict: false
}

describe("the OpenAI fake's Responses API", () => {
  it("answers a response object with output_text and usage, and logs the request", async () => {
    const client = await start({ reply: "Bonjour." })
    const r = await client.responses.create({ model: "gpt-4o", instructions: "French.", input: "Hello there" })
    expect(r.object).toBe("response")
    expect(r.status).toBe("completed")
    expect(r.output_text).toBe("Bonjour.")
    expect(r.usage!.total_tokens).toBe(r.usage!.input_tokens + r.usage!.output_tokens)
    expect(upstream!.requests[0]).toMatchObject({ path: "/v1/responses", model: "gpt-4o", prompt: "Hello there" })
  })

  it("streams events the SDK's responses.stream accepts, numbered in order", async () => {
    const client = await start()
    const stream = client.responses.stream({ model: "gpt-4o", input: [{ role: "user", content: "Count" }] })
    const sequence: Array<number> = []
    stream.on("event", (e) => sequence.push(e.sequence_number))
    const final = await stream.finalResponse()
    expect(final.output_text).toContain("fake openai upstream")
    expect(sequence).toEqual(sequence.map((_, i) => i))
    expect(upstream!.requests[0]!.stream).toBe(true)
  })

  it("answers a scripted tool call as a function_call item, named after the request's first tool", async () => {
    const client = await start({ script: [{ sequence: ["tool_call", "tool_call"] }] })
    const r = await client.responses.create({ model: "gpt-4o", input: "Weather?", tools: [tool] })
    const call = r.output[0]
    expect(call?.type === "function_call" && call.name).toBe("lookup")
    expect(call?.type === "function_call" && JSON.parse(call.arguments)).toEqual({ location: "Paris, France" })
    const streamed = await client.responses
      .stream({ model: "gpt-4o", input: "Weather?", tools: [tool] })
      .finalResponse()
    expect(streamed.output[0]?.type).toBe("function_call")
  })

  it("answers max_tokens as an incomplete response", async () => {
    const client = await start({ script: [{ sequence: ["max_tokens"] }] })
    const r = await client.responses.create({ model: "gpt-4o", input: "Long story" })
    expect(r.status).toBe("incomplete")
    expect(r.incomplete_details?.reason).toBe("max_output_tokens")
  })

  it("fails as OpenAI does: 429 RateLimitError, 400 for a missing model, an in-stream error event", async () => {
    const client = await start({
      script: [{ sequence: ["rate_limit", { fault: "overloaded_in_stream", afterChunks: 3 }] }]
    })
    await expect(client.responses.create({ model: "gpt-4o", input: "x" })).rejects.toBeInstanceOf(OpenAI.RateLimitError)
    const stream = await client.responses.create({ model: "gpt-4o", input: "x", stream: true })
    const seen: Array<string> = []
    const failure = await (async () => {
      try {
        for await (const e of stream) seen.push(e.type)
      } catch (e) {
        return e
      }
      return undefined
    })()
    expect(failure).toBeInstanceOf(OpenAI.APIError)
    expect(seen).toEqual(["response.created", "response.in_progress", "response.output_item.added"])
    const bad = await fetch(`${upstream!.baseURL}/responses`, {
      method: "POST",
      headers: { authorization: "Bearer sk-test", "content-type": "application/json" },
      body: JSON.stringify({ input: "x" })
    })
    expect(bad.status).toBe(400)
  })

  it("a cut stream reaches the SDK as a failure, not a finished response", async () => {
    const client = await start({ script: [{ sequence: [{ fault: "stream_cut", afterChunks: 4 }] }] })
    await expect(client.responses.stream({ model: "gpt-4o", input: "x" }).finalResponse()).rejects.toThrow()
  })
})
