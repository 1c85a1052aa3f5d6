/**
 * `logprobs: true` is honoured, not dropped, by the kinds that have token log probabilities: with
 * the official `openai` client through the gateway, an OpenAI upstream's and a Gemini upstream's
 * (`responseLogprobs`) tokens reach the client — in a whole answer's `choices[0].logprobs.content`
 * and on the streamed text deltas — and, concatenated, spell the text the client was given.
 */
import { startUpstreams, type Upstream } from "@am/testkit"
import OpenAI from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { GATEWAY_KEY, type RunningGateway, startGateway } from "./support/Harness.ts"

let upstreams: ReadonlyArray<Upstream> = []
let gateway: RunningGateway | undefined
let client: OpenAI

beforeAll(async () => {
  upstreams = await startUpstreams([
    { kind: "openai", keys: ["sk-logprobs-openai-000001"], models: ["gpt-4o"], logBodies: true },
    { kind: "gemini", keys: ["AIza-logprobs-gemini-000001"], models: ["gemini-2.5-flash"], logBodies: true }
  ])
  gateway = await startGateway({
    providers: {
      openai: {
        kind: "openai",
        baseURL: upstreams[0]!.baseURL,
        keys: [{ id: "o1", secret: "sk-logprobs-openai-000001" }],
        models: [{ name: "gpt-4o" }]
      },
      gemini: {
        kind: "gemini",
        baseURL: upstreams[1]!.origin,
        keys: [{ id: "g1", secret: "AIza-logprobs-gemini-000001" }],
        models: [{ name: "gemini-2.5-flash" }]
      }
    },
    routes: {
      "via-openai": [{ provider: "openai", models: ["gpt-4o"] }],
      "via-gemini": [{ provider: "gemini", models: ["gemini-2.5-flash"] }]
    },
    ledger: { store: "memory" },
    gatewayKeys: [{ id: "team-a", secret: GATEWAY_KEY, workspace: "team-a" }]
  })
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: GATEWAY_KEY, maxRetries: 0 })
})
afterAll(async () => {
  await gateway?.close()
  await Promise.all(upstreams.map((u) => u.close()))
})

const tokensOf = (content: ReadonlyArray<{ token: string; logprob: number }> | null | undefined) =>
  (content ?? []).map((t) => {
    expect(typeof t.logprob).toBe("number")
    return t.token
  })

describe.each(["via-openai", "via-gemini"])("logprobs %s", (model) => {
  it("a whole answer's tokens spell its text", async () => {
    const r = await client.chat.completions.create({
      model,
      messages: [{ role: "user", content: "Say hello" }],
      logprobs: true,
      top_logprobs: 2
    })
    const text = r.choices[0]!.message.content ?? ""
    expect(text.length).toBeGreaterThan(0)
    expect(tokensOf(r.choices[0]!.logprobs?.content).join("")).toBe(text)
  })

  it("the streamed text deltas carry its tokens", async () => {
    const stream = await client.chat.completions.create({
      model,
      messages: [{ role: "user", content: "Say hello" }],
      logprobs: true,
      stream: true
    })
    let text = ""
    let tokens = ""
    for await (const chunk of stream) {
      const content = chunk.choices[0]?.delta?.content ?? ""
      text += content
      if (content === "") continue
      expect(chunk.choices[0]?.logprobs?.content).toBeInstanceOf(Array)
      tokens += tokensOf(chunk.choices[0]?.logprobs?.content).join("")
    }
    expect(text.length).toBeGreaterThan(0)
    expect(tokens).toBe(text)
  })
})

it("Gemini was asked with responseLogprobs", () => {
  const sent = upstreams[1]!.requests.map((r) => JSON.parse(r.body ?? "{}"))
  expect(sent.length).toBeGreaterThan(0)
  for (const body of sent) expect(body.generationConfig?.responseLogprobs).toBe(true)
})
