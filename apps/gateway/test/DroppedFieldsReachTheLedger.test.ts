/**
 * What a cross-wire answer could not honour is recorded, not only sent back: with
 * `drop-and-report`, the ledger entry's `droppedFields` equals the `x-am-dropped-fields` header —
 * for a chat request that failed over to Anthropic (its `prediction` and `temperature` never reach
 * it) and for a `/v1/messages` request answered by OpenAI (`top_k` and a made-up field have no
 * place there). With the default `reject`, the same Messages request is a 400 in Anthropic's error
 * shape naming `top_k`, and no upstream is called; on a same-wire answer nothing is dropped.
 */
import { LedgerStore } from "@am/core"
import { Effect } from "effect"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { GATEWAY_KEY } from "./support/Harness.ts"
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

const entryOf = (env: PassthroughEnv, requestId: string) =>
  env.gateway.run(Effect.flatMap(Effect.service(LedgerStore), (s) => s.byRequestId(requestId)))

const messages = (env: PassthroughEnv, body: Record<string, unknown>) =>
  fetch(`${env.gateway.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": GATEWAY_KEY, "anthropic-version": "2023-06-01" },
    body: JSON.stringify({ max_tokens: 64, messages: [{ role: "user", content: "Say hello" }], ...body })
  })

describe("dropped fields in the ledger", () => {
  it("a chat request answered by Anthropic records what its header lists", async () => {
    lenient.openai.setScript([{ sequence: [503], repeat: true }])
    const { data, response } = await lenient.client.chat.completions
      .create({
        model: "openai-then-anthropic",
        messages: [{ role: "user", content: "Say hello" }],
        temperature: 0.2,
        prediction: { type: "content", content: "Hello" }
      } as never)
      .withResponse()
    expect(response.headers.get("x-am-provider")).toBe("anthropic")
    const header = response.headers.get("x-am-dropped-fields")!.split(",")
    expect(header).toContain("temperature")
    const entry = await entryOf(lenient, (data as { id: string }).id.replace(/^chatcmpl-/, ""))
    expect(entry?.droppedFields).toEqual(header)
  })

  it("a same-wire answer drops and records nothing", async () => {
    const { data, response } = await lenient.client.chat.completions
      .create({
        model: "openai-then-anthropic",
        messages: [{ role: "user", content: "Say hello" }],
        temperature: 0.2
      })
      .withResponse()
    expect(response.headers.get("x-am-provider")).toBe("openai")
    expect(response.headers.get("x-am-dropped-fields")).toBeNull()
    const entry = await entryOf(lenient, response.headers.get("x-am-request-id")!)
    expect(entry?.requestId).toBe(response.headers.get("x-am-request-id"))
    expect(entry?.droppedFields).toBeUndefined()
    expect(data.choices[0]!.message.content).toBeTruthy()
  })

  it("/v1/messages answered by OpenAI: reported and recorded (drop-and-report), refused by name (reject)", async () => {
    const ok = await messages(lenient, { model: "openai-only", top_k: 5, temperature: 0.3, x_future_field: 1 })
    expect(ok.status).toBe(200)
    expect(ok.headers.get("x-am-provider")).toBe("openai")
    const header = ok.headers.get("x-am-dropped-fields")!.split(",")
    expect(header).toEqual(["top_k", "x_future_field"])
    const entry = await entryOf(lenient, ok.headers.get("x-am-request-id")!)
    expect(entry?.droppedFields).toEqual(header)

    const refused = await messages(strict, { model: "openai-only", top_k: 5 })
    expect(refused.status).toBe(400)
    const body = (await refused.json()) as { type: string; error: { type: string; message: string } }
    expect(body.type).toBe("error")
    expect(body.error.type).toBe("invalid_request_error")
    expect(body.error.message).toContain("top_k")
    expect(strict.sentToOpenAI()).toHaveLength(0)
    // What OpenAI honours (temperature) is no reason to refuse.
    expect((await messages(strict, { model: "openai-only", temperature: 0.3 })).status).toBe(200)
  })
})
