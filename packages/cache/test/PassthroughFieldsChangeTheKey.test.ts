// A same-wire passthrough body reaches the upstream as the client sent it, so a field the gateway
// does not know (a new sampling parameter, a provider option) may change the answer: it changes
// the cache key. The body's prompt does not (its redacted form is the request's `messages`, so
// two requests differing only in a redacted value still share an entry, and the raw text never
// reaches the key), nor do streaming, the model name or who asks.
import type { Passthrough, PassthroughWire } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Redacted } from "effect"
import { type CacheableRequest, cacheKey, passthroughKeyFields } from "../src/index.ts"
import { chat } from "./cacheSupport.ts"

const carrier = (wire: PassthroughWire, body: Record<string, unknown>): Passthrough => ({
  wire,
  body: Redacted.make(JSON.stringify(body)),
  messages: chat.messages
})
const key = (passthrough: Passthrough | undefined) => {
  const request: CacheableRequest = passthrough === undefined ? chat : { ...chat, passthrough }
  return cacheKey({ workspace: "w", route: "default", request })
}

const chatBody = { model: "default", messages: [{ role: "user", content: "mail alice@example.com" }] }
const messagesBody = { model: "default", max_tokens: 64, system: "be brief", messages: chatBody.messages }
const responsesBody = { model: "default", input: "mail alice@example.com", instructions: "be brief" }

describe("a same-wire passthrough body in the cache key", () => {
  it("an unknown field of the body changes the key, on every wire", () => {
    for (const [wire, body] of [
      ["openai.chat", chatBody],
      ["anthropic.messages", messagesBody],
      ["openai.responses", responsesBody]
    ] as const) {
      const plain = key(carrier(wire, body))
      assert.notStrictEqual(key(carrier(wire, { ...body, x_vendor_option: "fast" })), plain, wire)
      assert.notStrictEqual(
        key(carrier(wire, { ...body, x_vendor_option: "slow" })),
        key(carrier(wire, { ...body, x_vendor_option: "fast" })),
        wire
      )
      // Key order of the body does not matter (canonical JSON).
      const reordered = Object.fromEntries(Object.entries({ ...body, top_k: 3 }).reverse())
      assert.strictEqual(key(carrier(wire, reordered)), key(carrier(wire, { ...body, top_k: 3 })), wire)
    }
  })

  it("the wire is part of the key, and a body with no fields of its own keys apart from none", () => {
    assert.notStrictEqual(key(carrier("openai.chat", chatBody)), key(carrier("anthropic.messages", chatBody)))
    assert.notStrictEqual(key(carrier("openai.chat", chatBody)), key(undefined))
  })

  it("the prompt, streaming, the model name and who asks leave the key alone", () => {
    const base = key(carrier("openai.chat", chatBody))
    const same = [
      { ...chatBody, messages: [{ role: "user", content: "mail bob@example.org" }] },
      { ...chatBody, stream: true, stream_options: { include_usage: true } },
      { ...chatBody, model: "gpt-4o" },
      { ...chatBody, user: "alice@example.com", metadata: { ticket: "42" }, safety_identifier: "u-1", store: true }
    ]
    for (const body of same) assert.strictEqual(key(carrier("openai.chat", body)), base, JSON.stringify(body))
    const mb = key(carrier("anthropic.messages", messagesBody))
    assert.strictEqual(key(carrier("anthropic.messages", { ...messagesBody, system: "other", stream: true })), mb)
    const rb = key(carrier("openai.responses", responsesBody))
    assert.strictEqual(
      key(carrier("openai.responses", { ...responsesBody, input: "other", previous_response_id: "resp_1" })),
      rb
    )
  })

  it("no raw prompt text reaches what is hashed", () => {
    const fields = JSON.stringify([
      passthroughKeyFields(carrier("openai.chat", { ...chatBody, user: "alice@example.com" })),
      passthroughKeyFields(carrier("anthropic.messages", messagesBody)),
      passthroughKeyFields(carrier("openai.responses", responsesBody))
    ])
    assert.notInclude(fields, "alice@example.com")
    assert.notInclude(fields, "be brief")
    assert.include(fields, '"max_tokens":64')
  })

  it("a body that is not a JSON object adds its wire only", () => {
    const broken: Passthrough = { wire: "openai.chat", body: Redacted.make("{not json") }
    assert.deepStrictEqual(passthroughKeyFields(broken), { wire: "openai.chat", fields: {} })
  })
})
