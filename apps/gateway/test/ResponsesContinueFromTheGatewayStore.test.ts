/**
 * Conversation state kept by the gateway itself: `previous_response_id` continues a stored
 * response (its input and output go upstream again, its instructions do not), a tool round trip
 * continues from the call alone, `item_reference` points at a stored output item, a streamed
 * answer is stored before its `response.completed`, `store: false` keeps nothing, another
 * workspace can neither continue nor read it, and `retrieve`/`delete` work on what is stored.
 */
import OpenAI from "openai"
import { afterEach, describe, expect, it } from "vitest"
import { GATEWAY_KEY, OTHER_KEY, type ThreeKinds, threeKinds } from "./support/ResponsesUpstreams.ts"

let running: ThreeKinds | undefined

afterEach(async () => {
  await running?.close()
  running = undefined
})

const start = async (script?: Parameters<typeof threeKinds>[0]["scripts"]) => {
  running = await threeKinds({ order: ["anthropic", "openai"], ...(script !== undefined ? { scripts: script } : {}) })
  const client = (key: string) => new OpenAI({ baseURL: `${running!.gateway.url}/v1`, apiKey: key, maxRetries: 0 })
  return { a: client(GATEWAY_KEY), b: client(OTHER_KEY) }
}

/** The messages the Anthropic upstream received in its last call. */
const lastSent = () => running!.recorded.anthropic.bodies.at(-1) as { system?: unknown; messages: Array<any> }

const failure = async (p: Promise<unknown>) => {
  try {
    await p
  } catch (e) {
    if (e instanceof OpenAI.APIError) return e
    throw e
  }
  throw new Error("expected the call to fail")
}

describe("Responses conversation state in the gateway's store", () => {
  it("previous_response_id sends the earlier turn upstream again, without its instructions", async () => {
    const { a } = await start()
    const first = await a.responses.create({
      model: "default",
      instructions: "Speak like a pirate.",
      input: "My name is Ada."
    })
    const second = await a.responses.create({
      model: "default",
      previous_response_id: first.id,
      instructions: "Be brief.",
      input: "What is my name?"
    })
    expect(second.previous_response_id).toBe(first.id)
    const sent = lastSent()
    expect(sent.messages.map((m) => m.role)).toEqual(["user", "assistant", "user"])
    expect(JSON.stringify(sent.messages[0])).toContain("My name is Ada.")
    expect(JSON.stringify(sent.messages[1])).toContain(first.output_text)
    expect(JSON.stringify(sent.system)).toContain("Be brief.")
    expect(JSON.stringify(sent)).not.toContain("pirate")
  })

  it("a tool round trip continues from the call with only the function_call_output", async () => {
    const { a } = await start({ anthropic: [{ sequence: ["tool_call", "ok"] }] })
    const tools = [{ type: "function" as const, name: "get_weather", parameters: { type: "object" }, strict: false }]
    const first = await a.responses.create({ model: "default", input: "Weather in Paris?", tools })
    const call = first.output.find((o) => o.type === "function_call")
    if (call?.type !== "function_call") throw new Error("no function call")
    const second = await a.responses.create({
      model: "default",
      previous_response_id: first.id,
      tools,
      input: [{ type: "function_call_output", call_id: call.call_id, output: "18C and sunny" }]
    })
    expect(second.status).toBe("completed")
    const sent = lastSent()
    expect(sent.messages.map((m) => m.role)).toEqual(["user", "assistant", "user"])
    expect(JSON.stringify(sent.messages[1])).toContain(call.call_id)
    expect(JSON.stringify(sent.messages[2])).toContain("18C and sunny")
  })

  it("item_reference names a stored output item", async () => {
    const { a } = await start()
    const first = await a.responses.create({ model: "default", input: "Tell me something." })
    await a.responses.create({
      model: "default",
      input: [
        { role: "user", content: "Tell me something." },
        { type: "item_reference", id: first.output[0]!.id! },
        { role: "user", content: "And again." }
      ]
    })
    expect(JSON.stringify(lastSent().messages[1])).toContain(first.output_text)
    const e = await failure(
      a.responses.create({ model: "default", input: [{ type: "item_reference", id: "msg_unknown" }] })
    )
    expect(e.status).toBe(400)
    expect(e.param).toBe("input.0.id")
  })

  it("a streamed response is stored by the time response.completed arrives", async () => {
    const { a } = await start()
    const stream = await a.responses.create({ model: "default", input: "Remember: 42.", stream: true })
    let id = ""
    for await (const e of stream) if (e.type === "response.completed") id = e.response.id
    const next = await a.responses.create({ model: "default", previous_response_id: id, input: "What number?" })
    expect(next.status).toBe("completed")
    expect(JSON.stringify(lastSent().messages[0])).toContain("Remember: 42.")
  })

  it("store: false keeps nothing: continuing from it is a 400 naming previous_response_id", async () => {
    const { a } = await start()
    const first = await a.responses.create({ model: "default", input: "Secret turn", store: false })
    expect((first as unknown as { store: boolean }).store).toBe(false)
    const calls = running!.upstreams.anthropic.requests.length
    const e = await failure(a.responses.create({ model: "default", previous_response_id: first.id, input: "And?" }))
    expect(e).toBeInstanceOf(OpenAI.BadRequestError)
    expect(e.param).toBe("previous_response_id")
    expect(e.headers?.get("x-should-retry")).toBe("false")
    expect(running!.upstreams.anthropic.requests.length).toBe(calls)
    await expect(a.responses.retrieve(first.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError)
  })

  it("another workspace can neither continue nor read a stored response", async () => {
    const { a, b } = await start()
    const first = await a.responses.create({ model: "default", input: "Team A only" })
    const e = await failure(b.responses.create({ model: "default", previous_response_id: first.id, input: "Peek" }))
    expect(e.status).toBe(400)
    await expect(b.responses.retrieve(first.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError)
  })

  it("retrieve returns the stored response; delete removes it", async () => {
    const { a } = await start()
    const first = await a.responses.create({ model: "default", input: "Keep me", metadata: { run: "7" } })
    const again = await a.responses.retrieve(first.id)
    expect(again.id).toBe(first.id)
    expect(again.output_text).toBe(first.output_text)
    expect(again.metadata).toEqual({ run: "7" })
    await a.responses.delete(first.id)
    await expect(a.responses.retrieve(first.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError)
  })
})
