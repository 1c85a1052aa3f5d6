/**
 * The same wire never bypasses what the gateway does to a conversation: with `pii: "redact"` an
 * e-mail address in the input does not reach the OpenAI upstream (its body carries the adapter's
 * translation of the redacted input, unknown fields kept) and the answer restores it, whole and
 * streamed; and a `previous_response_id` — an id of the gateway's own store — is never sent
 * upstream: the upstream gets the whole stored conversation as its `input` instead.
 */
import type OpenAI from "openai"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { type ResponsesSameWireEnv, startResponsesSameWire } from "./support/ResponsesSameWireEnv.ts"

let guarded: ResponsesSameWireEnv
let plain: ResponsesSameWireEnv
beforeAll(async () => {
  ;[guarded, plain] = await Promise.all([
    startResponsesSameWire({ guards: { pii: "redact" }, echo: true }),
    startResponsesSameWire({ echo: true })
  ])
})
afterAll(() => Promise.all([guarded.close(), plain.close()]))
beforeEach(() => {
  guarded.reset()
  plain.reset()
})

const EMAIL = "ann.lee@example.com"
const UNKNOWN = { x_future_field: { n: 1.5, s: "kept" } } as const

describe("guards on the same wire", () => {
  it("a redacted e-mail never reaches the upstream; the answer brings it back", async () => {
    const r = (await guarded.client.responses.create({
      model: "openai-only",
      instructions: "Be brief.",
      input: `Write to ${EMAIL} today`,
      ...UNKNOWN
    } as never)) as OpenAI.Responses.Response
    const sent = guarded.sentToOpenAI()
    expect(sent).toHaveLength(1)
    expect(sent[0]!.body).not.toContain(EMAIL)
    const body = JSON.parse(sent[0]!.body)
    expect(body.x_future_field).toEqual(UNKNOWN.x_future_field)
    expect(body.instructions).toBe("Be brief.")
    expect(body.input).toHaveLength(1)
    expect(body.input[0]).toMatchObject({ type: "message", role: "user" })
    expect(body.input[0].content).toMatch(/^Write to \S+ today$/)
    // The upstream echoed the placeholder; the client reads its own address.
    expect(r.output_text).toBe(`Write to ${EMAIL} today`)
  })

  it("streamed: the same redaction, the restored text in the deltas", async () => {
    const stream = await guarded.client.responses.create({
      model: "openai-only",
      input: [{ role: "user", content: [{ type: "input_text", text: `Mail ${EMAIL} now` }] }],
      stream: true
    })
    let text = ""
    for await (const event of stream) if (event.type === "response.output_text.delta") text += event.delta
    expect(text).toBe(`Mail ${EMAIL} now`)
    expect(guarded.sentToOpenAI()[0]!.body).not.toContain(EMAIL)
    expect(JSON.parse(guarded.sentToOpenAI()[0]!.body).stream).toBe(true)
  })

  it("without guards the input is the client's own, e-mail included", async () => {
    await plain.client.responses.create({ model: "openai-only", input: `Write to ${EMAIL} today` })
    expect(JSON.parse(plain.sentToOpenAI()[0]!.body).input).toBe(`Write to ${EMAIL} today`)
  })
})

describe("previous_response_id on the same wire", () => {
  it("the follow-up sends the whole history as input and no previous_response_id", async () => {
    const first = await plain.client.responses.create({
      model: "openai-only",
      instructions: "Be brief.",
      input: "My name is Ada."
    })
    expect(first.output_text).toBe("My name is Ada.")
    const second = await plain.client.responses.create({
      model: "openai-only",
      previous_response_id: first.id,
      input: "What is my name?",
      ...UNKNOWN
    } as never)
    expect((second as OpenAI.Responses.Response).previous_response_id).toBe(first.id)
    expect((second as OpenAI.Responses.Response).output_text).toBe("What is my name?")
    const sent = plain.sentToOpenAI()
    expect(sent).toHaveLength(2)
    expect(sent[1]!.body).not.toContain("previous_response_id")
    expect(sent[1]!.body).not.toContain(first.id)
    const body = JSON.parse(sent[1]!.body)
    expect(body.store).toBe(false)
    expect(body.x_future_field).toEqual(UNKNOWN.x_future_field)
    // Instructions are not carried over by a continuation (as OpenAI does); the turns are.
    expect(body).not.toHaveProperty("instructions")
    // The stored turns as the client and the gateway wrote them, the gateway's item ids left off.
    expect(body.input).toEqual([
      { type: "message", role: "user", content: "My name is Ada." },
      expect.objectContaining({
        type: "message",
        role: "assistant",
        content: [expect.objectContaining({ type: "output_text", text: "My name is Ada." })]
      }),
      { type: "message", role: "user", content: "What is my name?" }
    ])
    expect(body.input[1]).not.toHaveProperty("id")
  })

  it("streamed follow-up: the same conversation, stream: true, no id", async () => {
    const first = await plain.client.responses.create({ model: "openai-only", input: "One." })
    const stream = await plain.client.responses.create({
      model: "openai-only",
      previous_response_id: first.id,
      input: "Two.",
      stream: true
    })
    let text = ""
    for await (const event of stream) if (event.type === "response.output_text.delta") text += event.delta
    expect(text).toBe("Two.")
    const body = JSON.parse(plain.sentToOpenAI()[1]!.body)
    expect(body).not.toHaveProperty("previous_response_id")
    expect(body.stream).toBe(true)
    expect(body.input.map((i: { role: string }) => i.role)).toEqual(["user", "assistant", "user"])
  })
})
