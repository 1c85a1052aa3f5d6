/**
 * The official `openai` client pointed at the gateway with a gateway key: completions, streams,
 * the x-am-* headers, failover it cannot see, and every stable error code with its status.
 */
import type { Upstream } from "@am/testkit"
import OpenAI from "openai"
import { afterEach, describe, expect, it } from "vitest"
import { GATEWAY_KEY, type RunningGateway, startGateway, twoProviders } from "./support/Harness.ts"

let gateway: RunningGateway | undefined
let upstreams: ReadonlyArray<Upstream> = []

const start = async (scripts?: Parameters<typeof twoProviders>[0], patch?: (raw: Record<string, unknown>) => void) => {
  const made = await twoProviders(scripts)
  upstreams = made.upstreams
  patch?.(made.raw)
  gateway = await startGateway(made.raw)
  return new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: GATEWAY_KEY, maxRetries: 0 })
}

afterEach(async () => {
  await gateway?.close()
  await Promise.all(upstreams.map((u) => u.close()))
  gateway = undefined
  upstreams = []
})

const failureOf = async (p: Promise<unknown>) => {
  try {
    await p
  } catch (e) {
    if (e instanceof OpenAI.APIError) return e
    throw e
  }
  throw new Error("expected the call to fail")
}

describe("the official openai client through the gateway", () => {
  it("gets a completion with the x-am-* headers", async () => {
    const client = await start()
    const { data, response } = await client.chat.completions
      .create({ model: "default", messages: [{ role: "user", content: "Say hi" }] })
      .withResponse()
    expect(data.object).toBe("chat.completion")
    expect(data.choices[0]!.message.content).toBeTruthy()
    expect(data.choices[0]!.finish_reason).toBe("stop")
    expect(data.usage!.total_tokens).toBeGreaterThan(0)
    const requestId = response.headers.get("x-am-request-id")
    expect(requestId).toBeTruthy()
    expect(data.id).toBe(`chatcmpl-${requestId}`)
    expect(response.headers.get("x-am-provider")).toBe("primary")
    expect(response.headers.get("x-am-model")).toBe("gpt-4o")
    expect(response.headers.get("x-am-attempts")).toBe("1")
    expect(response.headers.get("x-am-outcome")).toBe("SUCCESS")
    expect(upstreams[0]!.requests).toHaveLength(1)
  })

  it("addresses a concrete model by name as well as a route", async () => {
    const client = await start()
    const { response } = await client.chat.completions
      .create({ model: "claude-sonnet-4-6", messages: [{ role: "user", content: "Hi" }] })
      .withResponse()
    expect(response.headers.get("x-am-provider")).toBe("secondary")
    expect(upstreams[0]!.requests).toHaveLength(0)
  })

  it("gets a stream, with usage when asked", async () => {
    const client = await start()
    const stream = await client.chat.completions.create({
      model: "default",
      messages: [{ role: "user", content: "Count" }],
      stream: true,
      stream_options: { include_usage: true }
    })
    let text = ""
    let finish: string | null = null
    let usage: OpenAI.CompletionUsage | undefined | null
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? ""
      finish = chunk.choices[0]?.finish_reason ?? finish
      if (chunk.usage) usage = chunk.usage
    }
    expect(text.length).toBeGreaterThan(0)
    expect(finish).toBe("stop")
    expect(usage?.total_tokens).toBeGreaterThan(0)
  })

  it("fails over invisibly when the primary provider is down", async () => {
    const client = await start({ primary: [{ sequence: ["overloaded"], repeat: true }] })
    const { data, response } = await client.chat.completions
      .create({ model: "default", messages: [{ role: "user", content: "Hi" }] })
      .withResponse()
    expect(data.choices[0]!.message.content).toBeTruthy()
    expect(response.headers.get("x-am-provider")).toBe("secondary")
    expect(Number(response.headers.get("x-am-attempts"))).toBeGreaterThanOrEqual(2)
    expect(upstreams[0]!.requests.length).toBeGreaterThanOrEqual(1)
    expect(upstreams[1]!.requests).toHaveLength(1)
  })

  it("answers 401 unauthorized for a wrong or missing gateway key, without calling a provider", async () => {
    await start()
    const wrong = new OpenAI({ baseURL: `${gateway!.url}/v1`, apiKey: "not-a-gateway-key", maxRetries: 0 })
    const e = await failureOf(
      wrong.chat.completions.create({ model: "default", messages: [{ role: "user", content: "x" }] })
    )
    expect(e.status).toBe(401)
    expect(e.code).toBe("unauthorized")
    expect(e.headers?.get("x-should-retry")).toBe("false")
    expect(upstreams[0]!.requests).toHaveLength(0)
  })

  it("answers 400 invalid_request naming the bad field", async () => {
    const client = await start()
    const e = await failureOf(
      client.chat.completions.create({ model: "default", messages: [{ role: "user", content: "x" }], temperature: 7 })
    )
    expect(e.status).toBe(400)
    expect(e.code).toBe("invalid_request")
    expect(e.message).toContain("temperature")
    expect(e.headers?.get("x-should-retry")).toBe("false")
  })

  it("answers 404 no_route for an unknown model", async () => {
    const client = await start()
    const e = await failureOf(
      client.chat.completions.create({ model: "gpt-9", messages: [{ role: "user", content: "x" }] })
    )
    expect(e.status).toBe(404)
    expect(e.code).toBe("no_route")
  })

  it("answers 400 content_policy when every candidate refuses on policy", async () => {
    const client = await start(
      {
        primary: [{ sequence: ["content_filter"], repeat: true }],
        secondary: [{ sequence: ["content_filter"], repeat: true }]
      },
      (raw) => {
        raw.mitigation = { contentPolicy: "fail" }
      }
    )
    const e = await failureOf(
      client.chat.completions.create({ model: "default", messages: [{ role: "user", content: "x" }] })
    )
    expect(e.status).toBe(400)
    expect(e.code).toBe("content_policy")
    expect(e.headers?.get("x-should-retry")).toBe("false")
    expect(e.headers?.get("x-am-outcome")).toBe("FAILURE")
  })

  it("answers 502 all_providers_failed when every provider is down", async () => {
    const client = await start({
      primary: [{ sequence: ["overloaded"], repeat: true }],
      secondary: [{ sequence: ["overloaded"], repeat: true }]
    })
    const e = await failureOf(
      client.chat.completions.create({ model: "default", messages: [{ role: "user", content: "x" }] })
    )
    expect(e.status).toBe(502)
    expect(e.code).toBe("all_providers_failed")
    expect(e.headers?.get("x-should-retry")).toBe("true")
    expect(Number(e.headers?.get("x-am-attempts"))).toBeGreaterThanOrEqual(2)
  })

  it("answers 504 deadline_exceeded when the request's deadline passes", async () => {
    const client = await start({ latencyMs: 2000 })
    const e = await failureOf(
      client.chat.completions.create(
        { model: "default", messages: [{ role: "user", content: "x" }] },
        { headers: { "x-am-deadline-ms": "150" } }
      )
    )
    expect(e.status).toBe(504)
    expect(e.code).toBe("deadline_exceeded")
  })

  it("answers 409 idempotency_in_progress to a duplicate while the first runs", async () => {
    const client = await start({ latencyMs: 400 })
    const send = () =>
      client.chat.completions.create(
        { model: "default", messages: [{ role: "user", content: "once" }] },
        { headers: { "Idempotency-Key": "order-42" } }
      )
    const first = send()
    // The first is in flight once the upstream has it (it answers 400 ms later).
    while (upstreams[0]!.requests.length === 0) await new Promise((r) => setImmediate(r))
    const e = await failureOf(send())
    expect(e.status).toBe(409)
    expect(e.code).toBe("idempotency_in_progress")
    expect((await first).choices[0]!.message.content).toBeTruthy()
    // Once the first finished, the key is free again.
    expect((await send()).choices[0]!.message.content).toBeTruthy()
  })

  it("lists routes and concrete models", async () => {
    const client = await start()
    const ids = (await client.models.list()).data.map((m) => m.id)
    expect(ids).toEqual(expect.arrayContaining(["default", "gpt-4o", "claude-sonnet-4-6"]))
  })
})
