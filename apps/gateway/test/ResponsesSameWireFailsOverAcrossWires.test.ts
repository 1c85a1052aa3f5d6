/**
 * A same-wire Responses request still fails over: when the OpenAI candidate answers 500, an
 * Anthropic (or Gemini) candidate answers through translation — whole and streamed — and what it
 * could not honour is never dropped in silence: under `drop-and-report` `x-am-dropped-fields`
 * names the wire paths (unknown fields, `tools.0.strict`) and the ledger entry's `droppedFields`
 * says the same (wire paths, not core names); under `reject` the request is a 400 naming the
 * field before any upstream is called. On a same-wire answer nothing is dropped.
 */
import { LedgerStore } from "@am/core"
import { Effect } from "effect"
import OpenAI from "openai"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { type ResponsesSameWireEnv, startResponsesSameWire, withModel } from "./support/ResponsesSameWireEnv.ts"

let lenient: ResponsesSameWireEnv
let strict: ResponsesSameWireEnv
beforeAll(async () => {
  ;[lenient, strict] = await Promise.all([
    startResponsesSameWire({ unsupportedFields: "drop-and-report" }),
    startResponsesSameWire()
  ])
})
afterAll(() => Promise.all([lenient.close(), strict.close()]))
beforeEach(() => {
  lenient.reset()
  strict.reset()
})

const UNKNOWN = {
  prediction: { type: "content", content: "Hello there" },
  x_future_field: { nested: [1, 2.5], flag: true }
} as const

const down = [{ sequence: [500], repeat: true }]

const entryOf = (env: ResponsesSameWireEnv, requestId: string) =>
  env.gateway.run(Effect.flatMap(Effect.service(LedgerStore), (s) => s.byRequestId(requestId)))

const requestIdOf = (response: Response) => response.headers.get("x-am-request-id")!

describe("failover from the same wire to a translated one", () => {
  it("OpenAI answers 500, Anthropic answers; the unknown fields are reported, the primary got the bytes", async () => {
    lenient.openai.setScript(down)
    const { data, response } = await lenient.client.responses
      .create({ model: "openai-then-anthropic", input: "Say hello", ...UNKNOWN } as never)
      .withResponse()
    expect((data as OpenAI.Responses.Response).output_text).toContain("fake anthropic upstream")
    expect(response.headers.get("x-am-provider")).toBe("anthropic")
    expect(Number(response.headers.get("x-am-attempts"))).toBeGreaterThanOrEqual(2)
    expect(response.headers.get("x-am-dropped-fields")).toBe("prediction,x_future_field")
    const sent = lenient.sentToOpenAI()
    expect(sent.length).toBeGreaterThan(0)
    const expected = `{"store":false,${withModel(lenient.bodies[0]!, "openai-then-anthropic", "gpt-4o").slice(1)}`
    for (const r of sent) expect(r.body).toBe(expected)
    const toAnthropic = lenient.anthropic.requests.filter((r) => r.path.endsWith("/messages"))
    expect(toAnthropic).toHaveLength(1)
    const body = JSON.parse(toAnthropic[0]!.body!)
    for (const field of Object.keys(UNKNOWN)) expect(body).not.toHaveProperty(field)
    const entry = await entryOf(lenient, requestIdOf(response))
    expect(entry?.droppedFields).toEqual(["prediction", "x_future_field"])
  })

  it("streamed: 500 on the primary, the fallback streams, the header names the dropped fields", async () => {
    lenient.openai.setScript(down)
    const { data, response } = await lenient.client.responses
      .create({ model: "openai-then-anthropic", input: "Say hello", stream: true, ...UNKNOWN } as never)
      .withResponse()
    let text = ""
    let completed = false
    for await (const event of data as unknown as AsyncIterable<OpenAI.Responses.ResponseStreamEvent>) {
      if (event.type === "response.output_text.delta") text += event.delta
      if (event.type === "response.completed") completed = true
    }
    expect(text).toContain("fake anthropic upstream")
    expect(completed).toBe(true)
    expect(response.headers.get("x-am-provider")).toBe("anthropic")
    expect(response.headers.get("x-am-dropped-fields")).toBe("prediction,x_future_field")
  })

  it("the ledger names tools.0.strict (the wire path) when a Gemini fallback could not honour it", async () => {
    lenient.openai.setScript(down)
    const { response } = await lenient.client.responses
      .create({
        model: "openai-then-gemini",
        input: "Weather?",
        tools: [{ type: "function", name: "get_weather", parameters: { type: "object" }, strict: true }]
      })
      .withResponse()
    expect(response.headers.get("x-am-provider")).toBe("gemini")
    expect(response.headers.get("x-am-dropped-fields")).toBe("tools.0.strict")
    const entry = await entryOf(lenient, requestIdOf(response))
    expect(entry?.droppedFields).toEqual(["tools.0.strict"])
  })

  it("a same-wire answer drops and records nothing, unknown fields and strict tools included", async () => {
    const { response } = await lenient.client.responses
      .create({
        model: "openai-then-gemini",
        input: "Weather?",
        tools: [{ type: "function", name: "get_weather", parameters: { type: "object" }, strict: true }],
        ...UNKNOWN
      } as never)
      .withResponse()
    expect(response.headers.get("x-am-provider")).toBe("openai")
    expect(response.headers.get("x-am-dropped-fields")).toBeNull()
    expect((await entryOf(lenient, requestIdOf(response)))?.droppedFields ?? []).toEqual([])
  })
})

describe("under reject (the default)", () => {
  const failure = async (p: Promise<unknown>) => {
    try {
      await p
    } catch (e) {
      if (e instanceof OpenAI.APIError) return e
      throw e
    }
    throw new Error("expected the call to fail")
  }

  it("an unknown field is a 400 naming it when the route has a cross-wire candidate; no upstream is called", async () => {
    const e = await failure(
      strict.client.responses.create({ model: "openai-then-anthropic", input: "Say hello", ...UNKNOWN } as never)
    )
    expect(e).toBeInstanceOf(OpenAI.BadRequestError)
    expect(e.param).toBe("prediction")
    expect(e.message).toContain("anthropic")
    expect(strict.openai.requests).toHaveLength(0)
    expect(strict.anthropic.requests).toHaveLength(0)
  })

  it("the same request on a same-wire-only route is served, its fields kept", async () => {
    const r = await strict.client.responses.create({ model: "openai-only", input: "Say hello", ...UNKNOWN } as never)
    expect((r as OpenAI.Responses.Response).status).toBe("completed")
    expect(JSON.parse(strict.sentToOpenAI()[0]!.body).prediction).toEqual(UNKNOWN.prediction)
  })
})
