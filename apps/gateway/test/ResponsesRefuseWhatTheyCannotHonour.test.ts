/**
 * No Responses parameter is dropped in silence: what the engine cannot carry to every provider —
 * and any parameter the gateway does not know — is a 400 `invalid_request` naming the field
 * (`param`), with `x-should-retry: false` and no upstream call, as the `openai` client sees it;
 * the parameters' neutral values are accepted. Engine failures keep OpenAI's error shape: an
 * outage is `all_providers_failed`, a stream cut after its first token ends with an `error`
 * event the client raises, never a `response.completed`.
 */
import type { UpstreamKind } from "@am/testkit"
import OpenAI from "openai"
import { afterEach, describe, expect, it } from "vitest"
import { GATEWAY_KEY, type ThreeKinds, threeKinds } from "./support/ResponsesUpstreams.ts"

let running: ThreeKinds | undefined

afterEach(async () => {
  await running?.close()
  running = undefined
})

const start = async (
  options?: Omit<Parameters<typeof threeKinds>[0], "order">,
  order: ReadonlyArray<UpstreamKind> = ["openai", "gemini"]
) => {
  running = await threeKinds({ order, ...options })
  return new OpenAI({ baseURL: `${running.gateway.url}/v1`, apiKey: GATEWAY_KEY, maxRetries: 0 })
}

const upstreamCalls = () => Object.values(running!.upstreams).reduce((n, u) => n + u.requests.length, 0)

const failure = async (p: Promise<unknown>) => {
  try {
    await p
  } catch (e) {
    if (e instanceof OpenAI.APIError) return e
    throw e
  }
  throw new Error("expected the call to fail")
}

const fn = { type: "function", name: "f", parameters: { type: "object" } }

const REFUSED: ReadonlyArray<readonly [what: string, body: Record<string, unknown>, param: string]> = [
  ["an unknown parameter", { x_future_field: 1 }, "x_future_field"],
  // Built-in tools and file parts reach an OpenAI upstream in the client's own JSON (same wire);
  // this route's Gemini candidate cannot honour them.
  ["a built-in tool", { tools: [{ type: "web_search" }] }, "tools.0"],
  // Refused because this route's Gemini candidate cannot honour it (an Anthropic one can: CrossWireFields*.test.ts).
  ["a strict function tool", { tools: [{ ...fn, strict: true }] }, "tools.0.strict"],
  ["an unknown tool field", { tools: [{ ...fn, strict: false, defer_loading: true }] }, "tools.0.defer_loading"],
  ["parallel_tool_calls: false", { parallel_tool_calls: false }, "parallel_tool_calls"],
  ["allowed_tools as tool_choice", { tool_choice: { type: "allowed_tools", mode: "auto", tools: [] } }, "tool_choice"],
  [
    "a file part",
    { input: [{ role: "user", content: [{ type: "input_file", file_id: "file-1" }] }] },
    "input.0.content.0"
  ],
  [
    "an image detail level",
    {
      input: [{ role: "user", content: [{ type: "input_image", image_url: "https://x.test/a.png", detail: "high" }] }]
    },
    "input.0.content.0.detail"
  ],
  [
    "a built-in tool's item",
    {
      input: [
        { role: "user", content: "hi" },
        { type: "web_search_call", id: "ws_1", status: "completed" }
      ]
    },
    "input.1"
  ],
  [
    "a function call without call_id",
    { input: [{ type: "function_call", name: "f", arguments: "{}" }] },
    "input.0.call_id"
  ],
  ["a temperature out of range", { temperature: 3 }, "temperature"],
  ["max_output_tokens: 0", { max_output_tokens: 0 }, "max_output_tokens"],
  ["a reasoning summary", { reasoning: { summary: "auto" } }, "reasoning.summary"],
  ["an end-user id", { user: "u-1" }, "user"],
  ["a prompt cache key", { prompt_cache_key: "k" }, "prompt_cache_key"],
  ["automatic truncation", { truncation: "auto" }, "truncation"],
  ["logprobs", { include: ["message.output_text.logprobs"] }, "include"],
  ["a background response", { background: true }, "background"],
  // A json_schema description reaches every kind now (Gemini/Anthropic: the schema's root description).
  ["a json_schema without its schema", { text: { format: { type: "json_schema", name: "x" } } }, "text.format.schema"],
  ["a conversation", { conversation: "conv_1" }, "conversation"]
]

describe("Responses parameters the gateway cannot honour", () => {
  it.each(REFUSED)("%s is refused with a 400 naming %s", async (_what, patch, param) => {
    const openai = await start()
    const body = {
      model: "default",
      input: "hi",
      ...patch
    } as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming
    const e = await failure(openai.responses.create(body))
    expect(e).toBeInstanceOf(OpenAI.BadRequestError)
    expect(e.code).toBe("invalid_request")
    expect(e.param).toBe(param)
    expect(e.message).toContain(param)
    expect(e.headers?.get("x-should-retry")).toBe("false")
    expect(upstreamCalls()).toBe(0)
  })

  it("a body without input (and no previous_response_id) names input", async () => {
    const openai = await start()
    const e = await failure(openai.responses.create({ model: "default" }))
    expect(e.param).toBe("input")
  })

  it("accepts the neutral values of those parameters", async () => {
    const openai = await start()
    const r = await openai.responses.create({
      model: "default",
      input: "hi",
      parallel_tool_calls: true,
      truncation: "disabled",
      service_tier: "auto",
      include: ["reasoning.encrypted_content"],
      store: true,
      top_logprobs: 0,
      background: false,
      text: { verbosity: "medium" },
      tools: [{ type: "function", name: "f", parameters: { type: "object" }, strict: false }],
      tool_choice: "auto"
    })
    expect(r.status).toBe("completed")
  })

  it("reasoning.effort reaches a Gemini upstream as its thinkingConfig", async () => {
    const openai = await start(undefined, ["gemini", "openai"])
    const r = await openai.responses.create({ model: "default", input: "Think first", reasoning: { effort: "low" } })
    expect(r.reasoning?.effort).toBe("low")
    expect(running!.recorded.gemini.bodies.at(-1).generationConfig.thinkingConfig.thinkingBudget).toBe(1024)
  })
})

describe("malformed requests to the Responses endpoint", () => {
  const post = (body: string, contentType = "application/json", key = GATEWAY_KEY) =>
    fetch(`${running!.gateway.url}/v1/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": contentType },
      body
    })

  it.each([
    ["a body that is not JSON", "{", "application/json", 400, "invalid_request"],
    ["a JSON array", "[]", "application/json", 400, "invalid_request"],
    ["a form body", "a=1", "application/x-www-form-urlencoded", 415, "unsupported_media_type"],
    ["a body without model", '{"input":"hi"}', "application/json", 400, "invalid_request"]
  ] as const)("%s is answered %i %s without an upstream call", async (_what, body, type, status, code) => {
    await start()
    const r = await post(body, type)
    expect(r.status).toBe(status)
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe(code)
    expect(upstreamCalls()).toBe(0)
  })

  it("a wrong gateway key is 401 unauthorized", async () => {
    await start()
    const r = await post('{"model":"default","input":"hi"}', "application/json", "not-a-key")
    expect(r.status).toBe(401)
    expect(upstreamCalls()).toBe(0)
  })
})

describe("engine failures on the Responses endpoint", () => {
  it("every provider down: all_providers_failed in OpenAI's error shape, with the x-am-* headers", async () => {
    const down = [{ sequence: [503], repeat: true }]
    const openai = await start({ scripts: { openai: down, gemini: down } })
    const e = await failure(openai.responses.create({ model: "default", input: "hi" }))
    expect(e.status).toBeGreaterThanOrEqual(502)
    expect(e.code).toBe("all_providers_failed")
    expect(e.headers?.get("x-am-request-id")).toBeTruthy()
    expect(e.headers?.get("x-am-outcome")).toBe("FAILURE")
  })

  it("a stream cut after its first token ends with an error event the client raises", async () => {
    // The OpenAI upstream is asked on its own Responses wire: created, in_progress, the item and
    // its part come first, so the cut follows two text deltas.
    const cut = [{ sequence: [{ fault: "overloaded_in_stream" as const, afterChunks: 6 }] }]
    const openai = await start({ scripts: { openai: cut } })
    const stream = await openai.responses.create({ model: "default", input: "hi", stream: true })
    const types: Array<string> = []
    const e = await failure(
      (async () => {
        for await (const event of stream) types.push(event.type)
      })()
    )
    expect(e.code).toBe("stream_interrupted")
    expect(types).toContain("response.output_text.delta")
    expect(types).not.toContain("response.completed")
  })
})
