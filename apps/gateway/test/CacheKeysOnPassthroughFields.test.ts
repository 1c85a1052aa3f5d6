/**
 * The response cache keys on what reaches a same-wire upstream: a Chat Completions field the
 * gateway does not know is forwarded as sent (passthrough), may change the answer, and so makes
 * another cache entry — the same request with another value of it misses, with the same value it
 * hits. The prompt's raw text is not what the key is made of (two requests differing only in
 * streaming share the entry). Through the official openai client.
 */
import { startUpstreams, type Upstream } from "@am/testkit"
import OpenAI from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { GATEWAY_KEY, KEYS, type RunningGateway, startGateway } from "./support/Harness.ts"

let upstream: Upstream | undefined
let gateway: RunningGateway | undefined

const ask = async (extra: Record<string, unknown>) => {
  const client = new OpenAI({ baseURL: `${gateway!.url}/v1`, apiKey: GATEWAY_KEY, maxRetries: 0 })
  const { response } = await client.chat.completions
    .create({ model: "cached", messages: [{ role: "user", content: "the vendor option" }], ...extra } as never)
    .withResponse()
  return response.headers.get("x-am-cache")
}

beforeAll(async () => {
  ;[upstream] = await startUpstreams([
    { kind: "openai", keys: [KEYS.p1], models: ["gpt-4o"], latencyMs: 1, logBodies: true }
  ])
  gateway = await startGateway({
    providers: {
      primary: {
        kind: "openai",
        baseURL: upstream!.baseURL,
        keys: [{ id: "p1", secret: KEYS.p1 }],
        models: [{ name: "gpt-4o" }]
      }
    },
    routes: { cached: [{ provider: "primary", models: ["gpt-4o"] }] },
    cache: { routes: { cached: { ttl: "10 minutes" } } },
    gatewayKeys: [{ id: "team-a", secret: GATEWAY_KEY, workspace: "team-a" }]
  })
}, 60_000)

afterAll(async () => {
  await gateway?.close()
  await upstream?.close()
})

describe("the cache key and same-wire passthrough fields", { timeout: 60_000 }, () => {
  it("an unknown field forwarded to the upstream makes its own entry", async () => {
    expect(await ask({})).toBe("miss")
    expect(await ask({})).toBe("hit")
    expect(upstream!.requests.length).toBe(1)

    expect(await ask({ x_vendor_option: "fast" })).toBe("miss")
    expect(upstream!.requests.length).toBe(2)
    // It did reach the upstream (that is why it is in the key).
    expect(JSON.parse(upstream!.requests[1]!.body!)).toMatchObject({ x_vendor_option: "fast" })
    expect(await ask({ x_vendor_option: "slow" })).toBe("miss")
    expect(upstream!.requests.length).toBe(3)

    expect(await ask({ x_vendor_option: "fast" })).toBe("hit")
    expect(await ask({ x_vendor_option: "slow" })).toBe("hit")
    // Who asks does not change the answer: the same entry.
    expect(await ask({ x_vendor_option: "fast", user: "someone" })).toBe("hit")
    expect(upstream!.requests.length).toBe(3)
  })
})
