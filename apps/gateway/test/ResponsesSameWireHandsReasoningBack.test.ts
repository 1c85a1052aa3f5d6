/**
 * Issue 11, OpenAI's encrypted reasoning across turns on the same wire, with the official `openai`
 * client and `store: false` (as Codex runs): the upstream's reasoning item comes back sealed in
 * the gateway's `encrypted_content`, and when the client sends it back the next turn's upstream
 * request carries the upstream's own reasoning item — its id and encrypted content — before the
 * assistant turn it led to, whether the first turn was answered whole or streamed.
 */
import type OpenAI from "openai"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { type ResponsesSameWireEnv, startResponsesSameWire } from "./support/ResponsesSameWireEnv.ts"

let env: ResponsesSameWireEnv
beforeAll(async () => {
  env = await startResponsesSameWire()
})
afterAll(() => env.close())
beforeEach(() => env.reset())

const asks: {
  reasoning: OpenAI.Reasoning
  include: Array<OpenAI.Responses.ResponseIncludable>
  store: boolean
} = { reasoning: { effort: "low" }, include: ["reasoning.encrypted_content"], store: false }

const nextTurn = async (first: ReadonlyArray<OpenAI.Responses.ResponseOutputItem>) => {
  env.reset()
  await env.client.responses.create({
    model: "openai-only",
    input: [
      { role: "user", content: "Think about it" },
      ...(first as Array<OpenAI.Responses.ResponseInputItem>),
      { role: "user", content: "And then?" }
    ],
    ...asks
  })
  const sent = JSON.parse(env.sentToOpenAI()[0]!.body)
  return sent.input as Array<Record<string, unknown>>
}

describe("same wire: OpenAI's encrypted reasoning goes back upstream on the next turn", () => {
  it.each([false, true])("answered %s: the reasoning item returns with its own id and content", async (stream) => {
    let output: ReadonlyArray<OpenAI.Responses.ResponseOutputItem>
    if (stream) {
      const s = await env.client.responses.create({
        model: "openai-only",
        input: "Think about it",
        ...asks,
        stream: true
      })
      let done: OpenAI.Responses.Response | undefined
      for await (const e of s) if (e.type === "response.completed") done = e.response
      output = done!.output
    } else {
      output = (await env.client.responses.create({ model: "openai-only", input: "Think about it", ...asks })).output
    }
    const reasoning = output.find((i) => i.type === "reasoning") as OpenAI.Responses.ResponseReasoningItem
    expect(reasoning.encrypted_content).toMatch(/^am\.r1\./)
    const input = await nextTurn(output)
    const back = input.filter((i) => i.type === "reasoning")
    expect(back).toHaveLength(1)
    // The upstream's own id and encrypted content, not the gateway's seal or ids.
    expect(back[0]!.id).toMatch(/^rs_/)
    expect(back[0]!.id).not.toBe(reasoning.id)
    expect(back[0]!.encrypted_content).toMatch(/^gAAAAB-sim-/)
    // Before the assistant turn it led to.
    const at = input.indexOf(back[0]!)
    expect(input[at + 1]).toMatchObject({ type: "message", role: "assistant" })
  })
})
