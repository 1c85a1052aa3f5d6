/**
 * Issue 11, same-wire passthrough for `/v1/responses` beyond function tools, with the official
 * `openai` client: built-in and custom tools, unknown keys inside a function tool and `text`,
 * `include`, `top_logprobs`, a reasoning summary, file parts and custom tool items in the input
 * reach an OpenAI upstream as the client's own bytes (only the model substituted), and the
 * upstream's own output items the engine has no place for — a `web_search_call`, a
 * `custom_tool_call` — come back to the client in the JSON answer, in the event stream and in the
 * stored response. After `previous_response_id`, or beside the gateway's own items (Codex's
 * stateless turns), the upstream gets the whole conversation as it can take it: the gateway's ids
 * left off, its sealed reasoning opened back into OpenAI's own. A route with a translated candidate
 * still refuses them by path (or proceeds and reports them with `drop-and-report`).
 */
import OpenAI from "openai"
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

const patch = { type: "custom", name: "apply_patch", description: "Apply a patch", format: { type: "text" } } as const

const failure = async (p: Promise<unknown>) => {
  try {
    await p
  } catch (e) {
    if (e instanceof OpenAI.APIError) return e
    throw e
  }
  throw new Error("expected the call to fail")
}

describe("same wire: what only an OpenAI upstream understands goes through as sent", () => {
  it("built-in and custom tools, nested unknown keys, include and a file part reach it byte for byte", async () => {
    const body = {
      model: "openai-only",
      input: [
        {
          role: "user",
          content: [
            { type: "input_text", text: "Summarise the attached file" },
            { type: "input_file", file_id: "file-abc123" }
          ]
        }
      ],
      tools: [
        { type: "web_search", search_context_size: "low" },
        patch,
        { type: "function", name: "lookup", parameters: { type: "object" }, strict: false, defer_loading: true }
      ],
      tool_choice: { type: "allowed_tools", mode: "auto", tools: [{ type: "function", name: "lookup" }] },
      include: ["web_search_call.action.sources", "reasoning.encrypted_content"],
      top_logprobs: 3,
      reasoning: { effort: "low", summary: "auto" },
      text: { verbosity: "low", x_future_text_field: true },
      store: false
    }
    const { data, response } = await env.client.responses.create(body as never).withResponse()
    expect(response.status).toBe(200)
    expect(response.headers.get("x-am-provider")).toBe("openai")
    expect(response.headers.get("x-am-dropped-fields")).toBeNull()
    const sent = env.sentToOpenAI()
    expect(sent).toHaveLength(1)
    expect(sent[0]!.body).toBe(withModel(env.bodies[0]!, "openai-only", "gpt-4o"))
    expect(sent[0]!.key).toBe(OPENAI_KEY)
    // The search the upstream ran is in the answer where the upstream had it — after its reasoning,
    // before its message — as the upstream sent it.
    const output = (data as OpenAI.Responses.Response).output
    expect(output.map((i) => i.type)).toEqual(["reasoning", "web_search_call", "message"])
    expect(output[1]).toMatchObject({ type: "web_search_call", status: "completed", action: { type: "search" } })
    expect((data as OpenAI.Responses.Response).output_text).toContain("fake openai upstream")
    // The message keeps the upstream's citation of what it found.
    const message = output[2] as OpenAI.Responses.ResponseOutputMessage
    expect((message.content[0] as OpenAI.Responses.ResponseOutputText).annotations).toEqual([
      expect.objectContaining({ type: "url_citation", url: "https://example.test/result", start_index: 0 })
    ])
    // The tools echo as sent.
    expect((data as OpenAI.Responses.Response).tools.map((t) => t.type)).toEqual(["web_search", "custom", "function"])
  })

  it("a streamed search: the search item and the message's citations reach the SDK's final response", async () => {
    const stream = await env.client.responses.create({
      model: "openai-only",
      input: "Search the web",
      tools: [{ type: "web_search" }],
      stream: true
    } as never)
    let done: OpenAI.Responses.Response | undefined
    for await (const e of stream as unknown as AsyncIterable<OpenAI.Responses.ResponseStreamEvent>)
      if (e.type === "response.completed") done = e.response
    expect(done?.output.map((i) => i.type)).toEqual(["message", "web_search_call"])
    const message = done!.output[0] as OpenAI.Responses.ResponseOutputMessage
    expect((message.content[0] as OpenAI.Responses.ResponseOutputText).annotations).toEqual([
      expect.objectContaining({ type: "url_citation" })
    ])
  })

  it("a turn of nothing but a file part reaches it as sent", async () => {
    const r = await env.client.responses.create({
      model: "openai-only",
      input: [{ role: "user", content: [{ type: "input_file", file_id: "file-only-1" }] }],
      store: false
    } as never)
    expect(r.status).toBe("completed")
    expect(env.sentToOpenAI()[0]!.body).toBe(withModel(env.bodies[0]!, "openai-only", "gpt-4o"))
  })

  it("a custom tool call comes back whole, JSON and streamed, and its output goes back in the next turn", async () => {
    env.openai.setScript([{ sequence: ["tool_call"], repeat: true }])
    const r = await env.client.responses.create({
      model: "openai-only",
      input: "patch the file",
      tools: [patch]
    } as never)
    const call = r.output.find((i) => i.type === "custom_tool_call") as OpenAI.Responses.ResponseCustomToolCall
    expect(call).toMatchObject({ type: "custom_tool_call", name: "apply_patch" })
    expect(call.input.length).toBeGreaterThan(0)
    // No empty message beside the call.
    expect(r.output.filter((i) => i.type === "message")).toHaveLength(0)
    // The stored response (GET) has the item too.
    const stored = await env.client.responses.retrieve(r.id)
    expect(stored.output.map((i) => i.type)).toEqual(["custom_tool_call"])

    const stream = await env.client.responses.create({
      model: "openai-only",
      input: "patch the file",
      tools: [patch],
      stream: true
    } as never)
    const done: Array<unknown> = []
    let completed: OpenAI.Responses.Response | undefined
    for await (const event of stream as unknown as AsyncIterable<OpenAI.Responses.ResponseStreamEvent>) {
      if (event.type === "response.output_item.done") done.push(event.item)
      if (event.type === "response.completed") completed = event.response
    }
    expect(done).toEqual([expect.objectContaining({ type: "custom_tool_call", name: "apply_patch" })])
    expect(completed?.output.map((i) => i.type)).toEqual(["custom_tool_call"])

    // The next turn, stateless as Codex sends it: the call and its output, in the client's own input.
    env.openai.setScript([])
    env.reset()
    const turn2 = {
      model: "openai-only",
      input: [
        { role: "user", content: "patch the file" },
        { type: "custom_tool_call", call_id: call.call_id, name: "apply_patch", input: call.input },
        { type: "custom_tool_call_output", call_id: call.call_id, output: "patched" }
      ],
      tools: [patch],
      store: false
    }
    const r2 = await env.client.responses.create(turn2 as never)
    expect(r2.status).toBe("completed")
    expect(env.sentToOpenAI()[0]!.body).toBe(withModel(env.bodies[0]!, "openai-only", "gpt-4o"))
  })

  it("after previous_response_id the stored history and a custom tool item go upstream as it takes them", async () => {
    const first = await env.client.responses.create({ model: "openai-only", input: "hi" })
    env.reset()
    const r = await env.client.responses.create({
      model: "openai-only",
      previous_response_id: first.id,
      input: [{ type: "custom_tool_call_output", call_id: "call_1", output: "patched" }],
      tools: [patch]
    } as never)
    expect(r.status).toBe("completed")
    const sent = JSON.parse(env.sentToOpenAI()[0]!.body)
    // The gateway's own store is not the upstream's: no previous_response_id, the whole conversation instead.
    expect(sent.previous_response_id).toBeUndefined()
    expect(sent.input).toEqual([
      { type: "message", role: "user", content: "hi" },
      expect.objectContaining({ type: "message", role: "assistant" }),
      { type: "custom_tool_call_output", call_id: "call_1", output: "patched" }
    ])
    // The gateway's item ids stay home (the upstream never stored them).
    expect(sent.input[1].id).toBeUndefined()
    expect(sent.tools).toEqual([patch])
  })

  it("a Codex-style turn with the gateway's sealed reasoning and a custom tool call goes upstream whole", async () => {
    env.openai.setScript([{ sequence: ["tool_call"], repeat: true }])
    const asks = { reasoning: { effort: "low" }, include: ["reasoning.encrypted_content"], store: false }
    const first = await env.client.responses.create({
      model: "openai-only",
      input: "patch the file",
      tools: [patch],
      ...asks
    } as never)
    expect(first.output.map((i) => i.type)).toEqual(["reasoning", "custom_tool_call"])
    const call = first.output[1] as OpenAI.Responses.ResponseCustomToolCall
    env.openai.setScript([])
    env.reset()
    await env.client.responses.create({
      model: "openai-only",
      input: [
        { role: "user", content: "patch the file" },
        ...first.output,
        { type: "custom_tool_call_output", call_id: call.call_id, output: "patched" }
      ],
      tools: [patch],
      ...asks
    } as never)
    const sent = JSON.parse(env.sentToOpenAI()[0]!.body)
    expect(sent.input.map((i: { type?: string }) => i.type ?? "message")).toEqual([
      "message",
      "reasoning",
      "custom_tool_call",
      "custom_tool_call_output"
    ])
    // The upstream's own reasoning item (its id and encrypted content), not the gateway's seal.
    expect(sent.input[1].id).toMatch(/^rs_/)
    expect(sent.input[1].id).not.toBe(first.output[0]!.id)
    expect(sent.input[1].encrypted_content).toMatch(/^gAAAAB-sim-/)
    expect(sent.input[2]).toEqual(call)
  })

  it("a route with a translated candidate refuses a built-in tool by its path", async () => {
    const e = await failure(
      env.client.responses.create({
        model: "openai-then-anthropic",
        input: "search the web",
        tools: [{ type: "web_search" }]
      } as never)
    )
    expect(e).toBeInstanceOf(OpenAI.BadRequestError)
    expect(e.param).toBe("tools.0")
    expect(e.message).toContain("anthropic")
    expect(env.sentToOpenAI()).toHaveLength(0)
  })
})

describe("drop-and-report: a translated candidate proceeds without what it cannot honour", () => {
  let report: ResponsesSameWireEnv
  beforeAll(async () => {
    report = await startResponsesSameWire({ unsupportedFields: "drop-and-report" })
  })
  afterAll(() => report.close())

  it("the OpenAI primary fails, Anthropic answers without the built-in tool and the header names it", async () => {
    report.openai.setScript([{ sequence: [500], repeat: true }])
    const { data, response } = await report.client.responses
      .create({
        model: "openai-then-anthropic",
        input: "search the web",
        tools: [{ type: "web_search" }, { type: "function", name: "lookup", parameters: { type: "object" } }],
        include: ["web_search_call.action.sources"]
      } as never)
      .withResponse()
    expect(response.headers.get("x-am-provider")).toBe("anthropic")
    expect(response.headers.get("x-am-dropped-fields")?.split(",")).toEqual(["tools.0", "include"])
    expect((data as OpenAI.Responses.Response).status).toBe("completed")
    // Anthropic was sent the function tool only.
    const sent = JSON.parse(report.anthropic.requests.at(-1)!.body ?? "{}")
    expect(sent.tools.map((t: { name: string }) => t.name)).toEqual(["lookup"])
  })
})

describe("with input guards on", () => {
  let guarded: ResponsesSameWireEnv
  beforeAll(async () => {
    guarded = await startResponsesSameWire({ guards: { pii: "redact" } })
  })
  afterAll(() => guarded.close())

  it("a file part they cannot read is a 400 naming it, and nothing is sent", async () => {
    const e = await failure(
      guarded.client.responses.create({
        model: "openai-only",
        input: [
          {
            role: "user",
            content: [
              { type: "input_text", text: "Summarise it" },
              { type: "input_file", file_data: "data:application/pdf;base64,JVBERi0=", filename: "a.pdf" }
            ]
          }
        ]
      } as never)
    )
    expect(e).toBeInstanceOf(OpenAI.BadRequestError)
    expect(e.param).toBe("input.0.content.1")
    expect(e.message).toContain("input guards")
    expect(guarded.sentToOpenAI()).toHaveLength(0)
  })

  it("a built-in tool still reaches OpenAI (a tool definition carries no user content)", async () => {
    const r = await guarded.client.responses.create({
      model: "openai-only",
      input: "Search the web",
      tools: [{ type: "web_search" }]
    } as never)
    expect(r.output.map((i) => i.type)).toContain("web_search_call")
  })
})
