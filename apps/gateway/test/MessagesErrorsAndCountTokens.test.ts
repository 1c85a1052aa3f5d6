/**
 * `/v1/messages` failures in Anthropic's error shape, so `@anthropic-ai/sdk` raises its own classes
 * with the gateway's statuses and retry hints: every key rate-limited → `RateLimitError` (429
 * `rate_limit_error`, `retry-after`); a bad field, an unsupported block or server tool →
 * `BadRequestError` naming it, with `x-should-retry: false`; a wrong gateway key →
 * `AuthenticationError`; an unknown model → `NotFoundError`; every provider down →
 * `InternalServerError` (`x-should-retry: true`); a stream cut after its first token → the SDK's
 * error from Anthropic's `error` event. And `count_tokens` answers `{ input_tokens }`.
 */
import Anthropic from "@anthropic-ai/sdk"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { type ThreeKinds, startThreeKinds } from "./support/MessagesUpstreams.ts"

let env: ThreeKinds
beforeAll(async () => {
  env = await startThreeKinds()
})
afterAll(() => env.close())
beforeEach(() => {
  for (const u of Object.values(env.upstreams)) {
    u.setScript([])
    u.reset()
  }
})

const ask: Anthropic.MessageParam = { role: "user", content: "Hi" }

const failureOf = async (p: Promise<unknown>): Promise<InstanceType<typeof Anthropic.APIError>> => {
  try {
    await p
  } catch (e) {
    if (e instanceof Anthropic.APIError) return e
    throw e
  }
  throw new Error("expected the call to fail")
}

const raw = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${env.gateway.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": env.client.apiKey!, ...headers },
    body: JSON.stringify(body)
  })

describe("errors in Anthropic's shape", () => {
  it("every provider down → InternalServerError the client may retry", async () => {
    for (const u of Object.values(env.upstreams)) u.setScript([{ sequence: ["server_error"], repeat: true }])
    const e = await failureOf(env.client.messages.create({ model: "openai-first", max_tokens: 64, messages: [ask] }))
    expect(e).toBeInstanceOf(Anthropic.InternalServerError)
    expect(e.error).toMatchObject({ type: "error", error: { type: "api_error" } })
    expect(e.headers?.get("x-should-retry")).toBe("true")
  })

  it("a missing field, an unsupported block and a server tool → BadRequestError naming it", async () => {
    const missing = await failureOf(
      env.client.messages.create({
        model: "openai-first",
        messages: [ask]
      } as unknown as Anthropic.MessageCreateParamsNonStreaming)
    )
    expect(missing).toBeInstanceOf(Anthropic.BadRequestError)
    expect(missing.error).toMatchObject({ type: "error", error: { type: "invalid_request_error" } })
    expect(missing.message).toContain("max_tokens")
    expect(missing.headers?.get("x-should-retry")).toBe("false")
    const document = await failureOf(
      env.client.messages.create({
        model: "openai-first",
        max_tokens: 64,
        messages: [
          {
            role: "user",
            content: [{ type: "document", source: { type: "text", media_type: "text/plain", data: "x" } }]
          }
        ]
      })
    )
    // A document reaches only an Anthropic candidate (in the client's own JSON); this route's
    // OpenAI candidate cannot honour it, so it is refused by its path.
    expect(document).toBeInstanceOf(Anthropic.BadRequestError)
    expect(document.message).toContain("messages.0.content.0")
    expect(document.message).toContain("cannot be honoured by provider")
    const serverTool = await failureOf(
      env.client.messages.create({
        model: "openai-first",
        max_tokens: 64,
        tools: [{ type: "web_search_20250305", name: "web_search" }],
        messages: [ask]
      })
    )
    expect(serverTool).toBeInstanceOf(Anthropic.BadRequestError)
    expect(serverTool.message).toContain("tools.0")
    expect(env.upstreams.openai.requests).toHaveLength(0)
  })

  it("a wrong gateway key → AuthenticationError; an unknown model → NotFoundError", async () => {
    const stranger = new Anthropic({ baseURL: env.gateway.url, apiKey: "not-a-gateway-key", maxRetries: 0 })
    const auth = await failureOf(stranger.messages.create({ model: "openai-first", max_tokens: 64, messages: [ask] }))
    expect(auth).toBeInstanceOf(Anthropic.AuthenticationError)
    expect(auth.error).toMatchObject({ error: { type: "authentication_error" } })
    const missing = await failureOf(
      env.client.messages.create({ model: "no-such-model", max_tokens: 64, messages: [ask] })
    )
    expect(missing).toBeInstanceOf(Anthropic.NotFoundError)
    expect(missing.error).toMatchObject({ error: { type: "not_found_error" } })
  })

  it("the x-api-key header and the Authorization bearer are both accepted", async () => {
    const viaHeader = await raw("/v1/messages", { model: "openai-first", max_tokens: 64, messages: [ask] })
    expect(viaHeader.status).toBe(200)
    const viaBearer = await fetch(`${env.gateway.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${env.client.apiKey}` },
      body: JSON.stringify({ model: "openai-first", max_tokens: 64, messages: [ask] })
    })
    expect(viaBearer.status).toBe(200)
    const get = await fetch(`${env.gateway.url}/v1/messages`, { headers: { "x-api-key": env.client.apiKey! } })
    expect(get.status).toBe(405)
    expect(await get.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } })
  })

  it("a stream cut after its first token is continued on the Anthropic candidate (assistant prefill)", async () => {
    env.upstreams.openai.setScript([{ sequence: [{ fault: "stream_cut", afterChunks: 3 }], repeat: true }])
    const message = await env.client.messages
      .stream({ model: "openai-first", max_tokens: 256, messages: [ask] })
      .finalMessage()
    expect(message.stop_reason).toBe("end_turn")
    expect(env.upstreams.anthropic.requests).toHaveLength(1)
  })

  it("a stream cut after its first token that no candidate can continue ends with Anthropic's error event, never a clean finish", async () => {
    env.upstreams.openai.setScript([{ sequence: [{ fault: "stream_cut", afterChunks: 3 }], repeat: true }])
    // The only prefill candidate refuses the prefill: the stream ends with the cut.
    env.upstreams.anthropic.setScript([{ sequence: [{ fault: "ok", rejectsPrefill: true }], repeat: true }])
    const stream = env.client.messages.stream({ model: "openai-first", max_tokens: 256, messages: [ask] })
    const texts: Array<string> = []
    stream.on("text", (t) => texts.push(t))
    const e = await stream.finalMessage().then(
      () => undefined,
      (error: unknown) => error
    )
    expect(texts.length).toBeGreaterThan(0)
    expect(e).toBeInstanceOf(Anthropic.APIError)
    expect((e as InstanceType<typeof Anthropic.APIError>).message).toContain("overloaded_error")
    // The first cut is named, never the fallback's prefill 400.
    expect((e as InstanceType<typeof Anthropic.APIError>).message).not.toMatch(/prefill/)
  })
})

describe("count_tokens", () => {
  it("answers input_tokens that grow with the prompt, tools and images", async () => {
    const count = (params: Partial<Anthropic.MessageCountTokensParams>) =>
      env.client.messages.countTokens({ model: "openai-first", messages: [ask], ...params }).then((r) => r.input_tokens)
    const base = await count({})
    expect(base).toBeGreaterThan(0)
    const longer = await count({ messages: [{ role: "user", content: "Hi ".repeat(400) }] })
    expect(longer).toBeGreaterThan(base + 250)
    const withSystem = await count({ system: "You are a careful assistant. ".repeat(20) })
    expect(withSystem).toBeGreaterThan(base)
    const withTools = await count({
      tools: [{ name: "get_weather", description: "Weather for a city", input_schema: { type: "object" } }]
    })
    expect(withTools).toBeGreaterThan(base)
    const withImage = await count({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Hi" },
            { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } }
          ]
        }
      ]
    })
    expect(withImage).toBeGreaterThanOrEqual(base + 1000)
    // No provider is called to count.
    expect(Object.values(env.upstreams).every((u) => u.requests.length === 0)).toBe(true)
  })

  it("refuses a bad body with a BadRequestError naming the field", async () => {
    const e = await failureOf(
      env.client.messages.countTokens({ model: "openai-first", messages: [] } as Anthropic.MessageCountTokensParams)
    )
    expect(e).toBeInstanceOf(Anthropic.BadRequestError)
    expect(e.message).toContain("messages")
  })
})

describe("rate limits", () => {
  // Its own gateway: the keys it cools down would answer 429 to the other tests.
  let fresh: ThreeKinds
  beforeAll(async () => {
    fresh = await startThreeKinds()
  })
  afterAll(() => fresh.close())

  it("every key of every candidate rate-limited → RateLimitError with retry-after", async () => {
    for (const u of Object.values(fresh.upstreams)) {
      u.setScript([{ sequence: [{ fault: "rate_limit", retryAfterMs: 30_000 }], repeat: true }])
    }
    const e = await failureOf(fresh.client.messages.create({ model: "openai-first", max_tokens: 64, messages: [ask] }))
    expect(e).toBeInstanceOf(Anthropic.RateLimitError)
    expect(e.status).toBe(429)
    expect(e.error).toMatchObject({ type: "error", error: { type: "rate_limit_error" } })
    expect(Number(e.headers?.get("retry-after"))).toBeGreaterThan(0)
    expect(e.requestID).toBe(e.headers?.get("x-am-request-id"))
  })
})
