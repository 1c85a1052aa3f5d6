/**
 * DESIGN.md "Errors a client can act on", row by row, with the official `openai` client against
 * the gateway and the simulator's scripted faults: for each row the client's error class, the
 * status and code, the retry hints, and how many times the client sent the request (its own
 * `fetch`, counted) — a request that cannot succeed is sent once, a retryable one is retried
 * with the hint the gateway gave. Upstream calls are counted too: the gateway's own retries do
 * not multiply with the client's. No timing is asserted.
 */
import { Keyring } from "@am/keyring"
import type { Upstream } from "@am/testkit"
import OpenAI from "openai"
import { afterEach, describe, expect, it } from "vitest"
import { GATEWAY_KEY, type RunningGateway, startGateway, twoProviders } from "./support/Harness.ts"

let gateway: RunningGateway | undefined
let upstreams: ReadonlyArray<Upstream> = []

afterEach(async () => {
  await gateway?.close()
  await Promise.all(upstreams.map((u) => u.close()))
  gateway = undefined
  upstreams = []
})

type Scripts = Parameters<typeof twoProviders>[0]

/** A gateway over the two simulated providers; `client(maxRetries)` counts what it sends. */
const start = async (scripts?: Scripts, patch?: (raw: Record<string, any>) => void) => {
  const made = await twoProviders(scripts)
  upstreams = made.upstreams
  patch?.(made.raw)
  gateway = await startGateway(made.raw)
  const sent = { count: 0 }
  const client = (maxRetries: number) =>
    new OpenAI({
      baseURL: `${gateway!.url}/v1`,
      apiKey: GATEWAY_KEY,
      maxRetries,
      fetch: (input, init) => {
        sent.count++
        return globalThis.fetch(input, init)
      }
    })
  return { client, sent }
}

const calls = () => upstreams.map((u) => u.requests.length)
const ask = { messages: [{ role: "user" as const, content: "Hello" }] }

const failureOf = async (p: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> => {
  try {
    await p
  } catch (e) {
    if (e instanceof OpenAI.APIError) return e
    throw e
  }
  throw new Error("expected the call to fail")
}

describe("request-scoped upstream failures keep their status and code, and are sent once", () => {
  it("context_length_exceeded on every candidate → BadRequestError 400, no client retry", async () => {
    const { client, sent } = await start({
      primary: [{ sequence: ["context_length_exceeded"], repeat: true }],
      secondary: [{ sequence: ["context_length_exceeded"], repeat: true }]
    })
    const e = await failureOf(client(2).chat.completions.create({ model: "default", ...ask }))
    expect(e).toBeInstanceOf(OpenAI.BadRequestError)
    expect(e.status).toBe(400)
    expect(e.code).toBe("context_length_exceeded")
    expect(e.param).toBe("messages")
    expect(e.headers?.get("x-should-retry")).toBe("false")
    expect(sent.count).toBe(1)
    // The larger-window model was tried once; nothing was retried as-is.
    expect(calls()).toEqual([1, 1])
  })

  it("context_length_exceeded on a concrete model with no other candidate → 400 from one upstream call", async () => {
    const { client, sent } = await start({ primary: [{ sequence: ["context_length_exceeded"], repeat: true }] })
    const e = await failureOf(client(2).chat.completions.create({ model: "gpt-4o", ...ask }))
    expect(e).toBeInstanceOf(OpenAI.BadRequestError)
    expect(e.code).toBe("context_length_exceeded")
    expect(sent.count).toBe(1)
    expect(calls()).toEqual([1, 0])
  })

  it("a retired model with no other candidate → NotFoundError 404 model_not_found, then without a call", async () => {
    const { client, sent } = await start({ primary: [{ sequence: ["model_not_found"], repeat: true }] })
    const first = await failureOf(client(2).chat.completions.create({ model: "gpt-4o", ...ask }))
    expect(first).toBeInstanceOf(OpenAI.NotFoundError)
    expect(first.code).toBe("model_not_found")
    expect(first.headers?.get("x-should-retry")).toBe("false")
    expect(sent.count).toBe(1)
    expect(calls()).toEqual([1, 0])
    // The model is quarantined: the next request is answered the same way without calling it.
    const again = await failureOf(client(2).chat.completions.create({ model: "gpt-4o", ...ask }))
    expect(again).toBeInstanceOf(OpenAI.NotFoundError)
    expect(again.code).toBe("model_not_found")
    expect(sent.count).toBe(2)
    expect(calls()).toEqual([1, 0])
  })

  it("a retired model with another candidate fails over, invisibly", async () => {
    const { client } = await start({ primary: [{ sequence: ["model_not_found"], repeat: true }] })
    const { response } = await client(0)
      .chat.completions.create({ model: "default", ...ask })
      .withResponse()
    expect(response.headers.get("x-am-provider")).toBe("secondary")
  })

  it("the gateway's own invalid_request and a content_policy refusal → BadRequestError, sent once", async () => {
    const { client, sent } = await start(
      {
        primary: [{ sequence: ["content_filter"], repeat: true }],
        secondary: [{ sequence: ["content_filter"], repeat: true }]
      },
      (raw) => {
        raw.mitigation = { contentPolicy: "fail" }
      }
    )
    const bad = await failureOf(client(2).chat.completions.create({ model: "default", ...ask, temperature: 7 }))
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError)
    expect(bad.code).toBe("invalid_request")
    expect(sent.count).toBe(1)
    const refused = await failureOf(client(2).chat.completions.create({ model: "default", ...ask }))
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError)
    expect(refused.code).toBe("content_policy")
    expect(sent.count).toBe(2)
  })
})

describe("the seed's classification gaps, end to end", () => {
  it("an Anthropic content-filtering 400 is a content failure (400 content_policy), not invalid_request", async () => {
    const { client, sent } = await start(
      {
        secondary: [
          {
            sequence: [{ fault: "malformed_request", message: "Output blocked by content filtering policy" }],
            repeat: true
          }
        ]
      },
      (raw) => {
        raw.mitigation = { contentPolicy: "fail" }
      }
    )
    const e = await failureOf(client(2).chat.completions.create({ model: "claude-sonnet-4-6", ...ask }))
    expect(e).toBeInstanceOf(OpenAI.BadRequestError)
    expect(e.code).toBe("content_policy")
    expect(sent.count).toBe(1)
  })

  it("a 400 saying the model is deprecated moves to the next model", async () => {
    const { client } = await start({
      primary: [
        {
          sequence: [
            {
              fault: "unprocessable",
              status: 400,
              message:
                "The model `gpt-4o` has been deprecated, learn more here: https://platform.openai.com/docs/deprecations"
            }
          ],
          repeat: true
        }
      ]
    })
    const { response } = await client(0)
      .chat.completions.create({ model: "default", ...ask })
      .withResponse()
    expect(response.headers.get("x-am-provider")).toBe("secondary")
    expect(calls()).toEqual([1, 1])
  })
})

describe("rate limits, outages and deadlines are retryable, with a hint a client can wait for", () => {
  const rateLimited: Scripts = {
    primary: [{ sequence: [{ fault: "rate_limit", retryAfterMs: 200 }], repeat: true }],
    secondary: [{ sequence: [{ fault: "rate_limit", retryAfterMs: 200 }], repeat: true }]
  }
  // Too short for the gateway to wait for a cooling key itself: the client is told when instead.
  const shortDeadline = { headers: { "x-am-deadline-ms": "400" } }

  it("every key of every candidate rate-limited → RateLimitError 429 with when the first key frees up", async () => {
    const { client, sent } = await start(rateLimited)
    const before = Date.now()
    const e = await failureOf(client(0).chat.completions.create({ model: "default", ...ask }, shortDeadline))
    const after = Date.now()
    expect(e).toBeInstanceOf(OpenAI.RateLimitError)
    expect(e.status).toBe(429)
    expect(e.code).toBe("rate_limited")
    expect(e.type).toBe("rate_limit_error")
    expect(e.headers?.get("x-should-retry")).toBe("true")
    // Each key was tried once: p1 and p2 of the primary, s1 of the secondary.
    expect(calls()).toEqual([2, 1])
    expect(sent.count).toBe(1)
    // Retry-After is the keyring's earliest cool-down end, as seen when the request failed.
    const keys = await gateway!.run(Keyring.use((k) => k.snapshot))
    const freeAt = Math.min(...keys.flatMap((k) => Object.values(k.coolingModels ?? {})))
    const ms = Number(e.headers?.get("retry-after-ms"))
    expect(ms).toBeGreaterThan(0)
    expect(ms).toBeLessThanOrEqual(freeAt - before)
    expect(ms).toBeGreaterThanOrEqual(freeAt - after - 1)
    expect(Number(e.headers?.get("retry-after"))).toBe(Math.max(1, Math.ceil(ms / 1000)))
  })

  it("the client honours that Retry-After with its one retry (maxRetries: 1 → sent twice)", async () => {
    const { client, sent } = await start(rateLimited)
    const e = await failureOf(client(1).chat.completions.create({ model: "default", ...ask }, shortDeadline))
    expect(e).toBeInstanceOf(OpenAI.RateLimitError)
    expect(sent.count).toBe(2)
    // The gateway never multiplies: at most one call per key per request it was sent.
    expect(calls().reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(3 * sent.count)
  })

  it("keys still cooling from an earlier rate limit → 429 again, without calling anyone", async () => {
    const { client } = await start(rateLimited)
    await failureOf(client(0).chat.completions.create({ model: "default", ...ask }, shortDeadline))
    const before = calls()
    const e = await failureOf(client(0).chat.completions.create({ model: "default", ...ask }, shortDeadline))
    expect(e).toBeInstanceOf(OpenAI.RateLimitError)
    expect(e.code).toBe("rate_limited")
    expect(Number(e.headers?.get("retry-after-ms"))).toBeGreaterThan(0)
    expect(calls()).toEqual(before)
  })

  it("dead keys are not a rate limit: every key refused (401) → 502, not 429", async () => {
    const { client } = await start({
      primary: [{ sequence: ["invalid_key"], repeat: true }],
      secondary: [{ sequence: ["invalid_key"], repeat: true }]
    })
    const e = await failureOf(client(0).chat.completions.create({ model: "default", ...ask }))
    expect(e).toBeInstanceOf(OpenAI.InternalServerError)
    expect(e.code).toBe("all_providers_failed")
    // And once they are disabled, a request that can send nothing is still not a 429.
    const again = await failureOf(client(0).chat.completions.create({ model: "default", ...ask }))
    expect(again.status).not.toBe(429)
    expect(again.code).toBe("all_providers_failed")
  })

  it("every provider down → InternalServerError 502/503 all_providers_failed, x-should-retry: true, Retry-After ≤ 10 s", async () => {
    const { client, sent } = await start(
      {
        primary: [{ sequence: ["overloaded"], repeat: true }],
        secondary: [{ sequence: ["overloaded"], repeat: true }]
      },
      (raw) => {
        // A short open circuit, so the client's one retry does not wait long.
        for (const p of Object.values(raw.providers as Record<string, any>)) p.breaker.openFor = "1 second"
      }
    )
    const e = await failureOf(client(1).chat.completions.create({ model: "default", ...ask }))
    expect(e).toBeInstanceOf(OpenAI.InternalServerError)
    expect([502, 503]).toContain(e.status)
    expect(e.code).toBe("all_providers_failed")
    expect(e.headers?.get("x-should-retry")).toBe("true")
    expect(Number(e.headers?.get("retry-after"))).toBeGreaterThanOrEqual(1)
    expect(Number(e.headers?.get("retry-after"))).toBeLessThanOrEqual(10)
    expect(sent.count).toBe(2)
  })

  it("open breakers answer 503 with Retry-After capped at 10 s (not the 30 s the circuit stays open)", async () => {
    const { client } = await start({
      primary: [{ sequence: ["overloaded"], repeat: true }],
      secondary: [{ sequence: ["overloaded"], repeat: true }]
    })
    // Fail until both circuits are open (3 consecutive failures each; bounded).
    let e: InstanceType<typeof OpenAI.APIError> | undefined
    for (let i = 0; i < 6 && e?.status !== 503; i++) {
      e = await failureOf(client(0).chat.completions.create({ model: "default", ...ask }))
    }
    expect(e).toBeInstanceOf(OpenAI.InternalServerError)
    expect(e!.status).toBe(503)
    expect(e!.code).toBe("all_providers_failed")
    expect(e!.headers?.get("x-should-retry")).toBe("true")
    expect(e!.headers?.get("retry-after")).toBe("10")
    expect(e!.headers?.get("retry-after-ms")).toBe("10000")
    // Nothing was sent for the 503.
    const before = calls()
    const again = await failureOf(client(0).chat.completions.create({ model: "default", ...ask }))
    expect(again.status).toBe(503)
    expect(calls()).toEqual(before)
  })

  it("the deadline → 504 deadline_exceeded, retryable (the client's one retry is sent)", async () => {
    const { client, sent } = await start({ latencyMs: 2000 })
    const e = await failureOf(
      client(1).chat.completions.create({ model: "default", ...ask }, { headers: { "x-am-deadline-ms": "150" } })
    )
    expect(e).toBeInstanceOf(OpenAI.InternalServerError)
    expect(e.status).toBe(504)
    expect(e.code).toBe("deadline_exceeded")
    expect(e.headers?.get("x-should-retry")).toBe("true")
    expect(sent.count).toBe(2)
  })
})
