/**
 * The cross-wire fields reach each provider kind that has a place for them, as the official
 * clients send them, and what a kind cannot honour is decided by that kind's adapter table: a
 * Responses strict tool (the openai SDK's `zodResponsesFunction` sends `strict: true`) is served by
 * Anthropic with `strict` on its tool, a Chat Completions `parallel_tool_calls: false` and `user`
 * become `disable_parallel_tool_use` and `metadata.user_id`; the OpenAI upstream's
 * `system_fingerprint` and `service_tier` come back on the chat completion.
 */
import OpenAI from "openai"
import { afterEach, describe, expect, it } from "vitest"
import { GATEWAY_KEY, type ThreeKinds, threeKinds } from "./support/ResponsesUpstreams.ts"

let running: ThreeKinds | undefined
afterEach(async () => {
  await running?.close()
  running = undefined
})

const client = async (order: Parameters<typeof threeKinds>[0]["order"]) => {
  running = await threeKinds({ order })
  return new OpenAI({ baseURL: `${running.gateway.url}/v1`, apiKey: GATEWAY_KEY, maxRetries: 0 })
}

const tool = { type: "function" as const, name: "lookup", parameters: { type: "object", properties: {} } }

describe("cross-wire fields per provider kind", () => {
  it("a strict Responses function tool is served by Anthropic with strict on its tool", async () => {
    const openai = await client(["anthropic"])
    const answer = await openai.responses.create({
      model: "default",
      input: "Look it up",
      tools: [{ ...tool, strict: true }],
      parallel_tool_calls: false,
      safety_identifier: "sha256:abc"
    })
    expect(answer.status).toBe("completed")
    const sent = running!.recorded.anthropic.bodies.at(-1)
    expect(sent.tools[0].strict).toBe(true)
    expect(sent.tool_choice).toEqual({ type: "auto", disable_parallel_tool_use: true })
    expect(sent.metadata).toEqual({ user_id: "sha256:abc" })
  })

  it("chat parallel_tool_calls and user reach Anthropic as disable_parallel_tool_use and metadata.user_id", async () => {
    const openai = await client(["anthropic"])
    const { response } = await openai.chat.completions
      .create({
        model: "default",
        messages: [{ role: "user", content: "Look it up" }],
        tools: [{ type: "function", function: { name: "lookup", parameters: tool.parameters, strict: true } }],
        tool_choice: "required",
        parallel_tool_calls: false,
        user: "end-user-7"
      })
      .withResponse()
    expect(response.status).toBe(200)
    expect(response.headers.get("x-am-dropped-fields")).toBeNull()
    const sent = running!.recorded.anthropic.bodies.at(-1)
    expect(sent.tools[0].strict).toBe(true)
    expect(sent.tool_choice).toEqual({ type: "any", disable_parallel_tool_use: true })
    expect(sent.metadata).toEqual({ user_id: "end-user-7" })
  })

  it("what Gemini cannot honour is a 400 naming the field and the provider, before any call", async () => {
    const openai = await client(["gemini"])
    const error = await openai.responses
      .create({ model: "default", input: "hi", tools: [{ ...tool, strict: true }] })
      .then(
        () => undefined,
        (e: unknown) => e
      )
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    const e = error as InstanceType<typeof OpenAI.BadRequestError>
    expect(e.param).toBe("tools.0.strict")
    expect(e.message).toContain("gemini")
    expect(running!.recorded.gemini.bodies).toHaveLength(0)
  })

  it("Gemini receives logprobs as responseLogprobs/logprobs through chat", async () => {
    const openai = await client(["gemini"])
    await openai.chat.completions.create({
      model: "default",
      messages: [{ role: "user", content: "hi" }],
      logprobs: true,
      top_logprobs: 2
    })
    const sent = running!.recorded.gemini.bodies.at(-1)
    expect(sent.generationConfig.responseLogprobs).toBe(true)
    expect(sent.generationConfig.logprobs).toBe(2)
  })

  it("system_fingerprint and service_tier come back from an OpenAI upstream on the SDK path", async () => {
    const openai = await client(["openai"])
    const answer = await openai.responses.create({ model: "default", input: "hi", service_tier: "flex", user: "u-1" })
    expect(answer.status).toBe("completed")
    const sent = running!.recorded.openai.bodies.at(-1)
    expect(sent.service_tier).toBe("flex")
    expect(sent.user).toBe("u-1")
    const chat = await openai.chat.completions.create({ model: "default", messages: [{ role: "user", content: "hi" }] })
    expect(chat.system_fingerprint).toMatch(/^fp_/)
    expect(chat.service_tier).toBe("default")
  })
})
