/**
 * What a cross-wire candidate cannot honour is never dropped in silence. With the default
 * `server.unsupportedFields: "reject"`, a request whose route has an Anthropic candidate and
 * that carries such a field is a 400 `invalid_request` naming it (the openai client's
 * `BadRequestError`, not retried) and no upstream is called; the same request on a same-wire
 * route passes through. With `drop-and-report` it is served, and `x-am-dropped-fields` lists the
 * fields exactly when a cross-wire provider answered.
 */
import OpenAI from "openai"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { type PassthroughEnv, startPassthroughEnv } from "./support/PassthroughUpstreams.ts"

let strict: PassthroughEnv
let lenient: PassthroughEnv
beforeAll(async () => {
  ;[strict, lenient] = await Promise.all([startPassthroughEnv(), startPassthroughEnv("drop-and-report")])
})
afterAll(() => Promise.all([strict.close(), lenient.close()]))
beforeEach(() => {
  strict.reset()
  lenient.reset()
})

const hello = [{ role: "user" as const, content: "Say hello" }]

/** Bodies a cross-wire translation cannot carry, and the field each names first. */
const ROWS: ReadonlyArray<readonly [string, Record<string, unknown>, string]> = [
  ["a made-up top-level field", { x_future_field: 1 }, "x_future_field"],
  ["prediction", { prediction: { type: "content", content: "Hello" } }, "prediction"],
  // `user` and a strict tool reach Anthropic now (metadata.user_id, tools[].strict): CrossWireFields*.test.ts.
  ["client metadata", { metadata: { team: "search" } }, "metadata"],
  ["logprobs", { logprobs: true, top_logprobs: 2 }, "logprobs"],
  ["a flex service tier", { service_tier: "flex" }, "service_tier"],
  // Anthropic's current API refuses every sampling parameter: its adapter never sends them.
  ["temperature", { temperature: 0.2 }, "temperature"],
  ["top_p", { top_p: 0.9 }, "top_p"],
  ["temperature with top_p", { temperature: 0.2, top_p: 0.9 }, "temperature"],
  [
    "an image detail",
    {
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image_url", image_url: { url: "https://example.com/a.png", detail: "high" } }
          ]
        }
      ]
    },
    "messages.0.content.1.image_url.detail"
  ],
  ["an unknown message field", { messages: [{ role: "user", content: "Hi", x_meta: { a: 1 } }] }, "messages.0.x_meta"]
]

describe("reject (default)", () => {
  it.each(ROWS)("%s on a route with a cross-wire candidate → 400 naming the field", async (_, extra, field) => {
    const error = await strict.client.chat.completions
      .create({ model: "openai-then-anthropic", messages: hello, ...extra } as never)
      .then(
        () => undefined,
        (e: unknown) => e
      )
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    const e = error as InstanceType<typeof OpenAI.BadRequestError>
    expect(e.code).toBe("invalid_request")
    expect(e.param).toBe(field)
    expect(e.message).toContain(field)
    expect(e.message).toContain("anthropic")
    expect(e.headers?.get("x-should-retry")).toBe("false")
    expect(strict.sentToOpenAI()).toHaveLength(0)
    expect(strict.anthropic.requests).toHaveLength(0)
  })

  it.each(ROWS)("%s on a same-wire route passes through", async (_, extra) => {
    const { response } = await strict.client.chat.completions
      .create({ model: "openai-only", messages: hello, ...extra } as never)
      .withResponse()
    expect(response.status).toBe(200)
    expect(response.headers.get("x-am-dropped-fields")).toBeNull()
    expect(strict.sentToOpenAI()).toHaveLength(1)
  })

  it("nulls and OpenAI's defaults ask for nothing and are not refused", async () => {
    const { response } = await strict.client.chat.completions
      .create({
        model: "openai-then-anthropic",
        messages: hello,
        logprobs: false,
        parallel_tool_calls: true,
        store: false,
        service_tier: "auto",
        x_future_field: null
      } as never)
      .withResponse()
    expect(response.status).toBe(200)
  })
})

describe("drop-and-report", () => {
  it.each(ROWS)("%s: served by the cross-wire fallback, listed in x-am-dropped-fields", async (_, extra, field) => {
    lenient.openai.setScript([{ sequence: ["server_error"], repeat: true }])
    const { data, response } = await lenient.client.chat.completions
      .create({ model: "openai-then-anthropic", messages: hello, ...extra } as never)
      .withResponse()
    expect(response.headers.get("x-am-provider")).toBe("anthropic")
    expect(data.choices[0]?.message.content).toContain("fake anthropic upstream")
    expect(response.headers.get("x-am-dropped-fields")?.split(",")).toContain(field)
  })

  it.each(ROWS)("%s: served by the same-wire primary, nothing dropped, no header", async (_, extra) => {
    const { response } = await lenient.client.chat.completions
      .create({ model: "openai-then-anthropic", messages: hello, ...extra } as never)
      .withResponse()
    expect(response.headers.get("x-am-provider")).toBe("openai")
    expect(response.headers.get("x-am-dropped-fields")).toBeNull()
  })
})
