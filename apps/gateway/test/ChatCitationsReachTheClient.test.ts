/**
 * A search model's citations on the chat wire, with the official `openai` client: a request with
 * `web_search_options` reaches the OpenAI upstream as sent, and the `message.annotations`
 * (`url_citation`s) it answers with reach the client — on the whole answer's message and on the
 * streamed finishing delta — instead of being left out by the gateway's rendering.
 */
import type OpenAI from "openai"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { type PassthroughEnv, startPassthroughEnv } from "./support/PassthroughUpstreams.ts"

let env: PassthroughEnv
beforeAll(async () => {
  env = await startPassthroughEnv()
})
afterAll(() => env.close())
beforeEach(() => env.reset())

const ask = {
  model: "openai-only",
  messages: [{ role: "user" as const, content: "What happened today?" }],
  web_search_options: { search_context_size: "low" as const }
}

const citation = expect.objectContaining({
  type: "url_citation",
  url_citation: expect.objectContaining({ url: "https://example.test/result", start_index: 0 })
})

describe("chat citations", () => {
  it("a whole answer's message carries the upstream's annotations", async () => {
    const r = await env.client.chat.completions.create(ask)
    expect(r.choices[0]!.message.annotations).toEqual([citation])
    expect(JSON.parse(env.sentToOpenAI()[0]!.text).web_search_options).toEqual({ search_context_size: "low" })
  })

  it("a streamed answer carries them on a delta", async () => {
    const stream = await env.client.chat.completions.create({ ...ask, stream: true })
    const annotations: Array<unknown> = []
    for await (const chunk of stream) {
      const cited = (chunk.choices[0]?.delta as { annotations?: Array<unknown> } | undefined)?.annotations
      if (cited !== undefined) annotations.push(...cited)
    }
    expect(annotations).toEqual([citation])
  })

  it("without web_search_options nothing is added", async () => {
    const r = await env.client.chat.completions.create({ model: "openai-only", messages: ask.messages })
    expect((r.choices[0]!.message as OpenAI.ChatCompletionMessage).annotations ?? []).toEqual([])
  })
})
