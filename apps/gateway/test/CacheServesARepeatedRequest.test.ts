/**
 * The response cache through the gateway (`cache.routes` opts a route in): a repeated request is
 * answered without an upstream call, at cost 0, with `x-am-cache: hit` and a ledger entry marked
 * `cacheHit` naming the original request; a changed parameter misses; `x-am-cache: off` bypasses
 * the cache and `refresh` calls and stores again; workspaces never share an entry; a route not
 * listed is never cached. Through the official openai client.
 */
import { LedgerStore } from "@am/core"
import { startUpstreams, type Upstream } from "@am/testkit"
import { Effect } from "effect"
import OpenAI from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { GATEWAY_KEY, KEYS, OTHER_KEY, type RunningGateway, startGateway } from "./support/Harness.ts"

let upstream: Upstream | undefined
let gateway: RunningGateway | undefined

const client = (key = GATEWAY_KEY) => new OpenAI({ baseURL: `${gateway!.url}/v1`, apiKey: key, maxRetries: 0 })

const ask = async (
  content: string,
  options?: { model?: string; temperature?: number; cache?: string; key?: string }
) => {
  const { data, response } = await client(options?.key)
    .chat.completions.create(
      {
        model: options?.model ?? "cached",
        messages: [{ role: "user", content }],
        ...(options?.temperature !== undefined ? { temperature: options.temperature } : {})
      },
      options?.cache !== undefined ? { headers: { "x-am-cache": options.cache } } : undefined
    )
    .withResponse()
  return {
    text: data.choices[0]?.message.content,
    status: response.headers.get("x-am-cache"),
    id: response.headers.get("x-am-request-id")!
  }
}

const calls = () => upstream!.requests.length
const ADMIN_KEY = "am-test-admin-key-cache-0001"

beforeAll(async () => {
  ;[upstream] = await startUpstreams([{ kind: "openai", keys: [KEYS.p1], models: ["gpt-4o"], latencyMs: 1 }])
  gateway = await startGateway({
    providers: {
      primary: {
        kind: "openai",
        baseURL: upstream!.baseURL,
        keys: [{ id: "p1", secret: KEYS.p1 }],
        models: [{ name: "gpt-4o" }]
      }
    },
    routes: {
      cached: [{ provider: "primary", models: ["gpt-4o"] }],
      plain: [{ provider: "primary", models: ["gpt-4o"] }]
    },
    cache: { routes: { cached: { ttl: "10 minutes", maxEntries: 100 } } },
    gatewayKeys: [
      { id: "team-a", secret: GATEWAY_KEY, workspace: "team-a" },
      { id: "team-b", secret: OTHER_KEY, workspace: "team-b" },
      { id: "ops", secret: ADMIN_KEY, workspace: "ops", role: "admin" }
    ]
  })
}, 60_000)

afterAll(async () => {
  await gateway?.close()
  await upstream?.close()
})

describe("the response cache through the gateway", { timeout: 60_000 }, () => {
  it("answers a repeated request with no upstream call, at cost 0, ledgered as a hit", async () => {
    const before = calls()
    const first = await ask("what is 2+2?")
    const second = await ask("what is 2+2?")
    expect(first.status).toBe("miss")
    expect(second.status).toBe("hit")
    expect(second.text).toBe(first.text)
    expect(calls() - before).toBe(1)
    const entry = await gateway!.run(Effect.flatMap(Effect.service(LedgerStore), (s) => s.byRequestId(second.id)))
    expect(entry).toMatchObject({ cacheHit: true, originalRequestId: first.id, apiCalls: 0, costUsd: 0 })
  })

  it("misses on a changed parameter, bypasses with x-am-cache: off and calls again with refresh", async () => {
    await ask("a question")
    const before = calls()
    expect((await ask("a question", { temperature: 0.3 })).status).toBe("miss")
    expect((await ask("a question", { cache: "off" })).status).toBe("off")
    expect((await ask("a question", { cache: "refresh" })).status).toBe("miss")
    expect((await ask("a question")).status).toBe("hit")
    expect(calls() - before).toBe(3)
  })

  it("never shares an entry between workspaces, and never caches a route not listed", async () => {
    await ask("tenant question")
    const before = calls()
    expect((await ask("tenant question", { key: OTHER_KEY })).status).toBe("miss")
    expect((await ask("uncached", { model: "plain" })).status).toBe("off")
    expect((await ask("uncached", { model: "plain" })).status).toBe("off")
    expect(calls() - before).toBe(3)
  })

  it("streams a cached answer to a streaming request, with no upstream call", async () => {
    const streamed = async (options?: { model?: string; content?: string; cache?: string }) => {
      const { data, response } = await client()
        .chat.completions.create(
          {
            model: options?.model ?? "cached",
            messages: [{ role: "user", content: options?.content ?? "stream it" }],
            stream: true
          },
          options?.cache !== undefined ? { headers: { "x-am-cache": options.cache } } : undefined
        )
        .withResponse()
      let text = ""
      let finish: string | null = null
      for await (const chunk of data) {
        text += chunk.choices[0]?.delta.content ?? ""
        finish = chunk.choices[0]?.finish_reason ?? finish
      }
      return { text, finish, status: response.headers.get("x-am-cache"), id: response.headers.get("x-am-request-id")! }
    }
    const first = await streamed()
    // A live stream says what the cache did, as a complete answer does: stored (miss) or bypassed.
    expect(first.status).toBe("miss")
    expect((await streamed({ content: "stream it, uncached", cache: "off" })).status).toBe("off")
    expect((await streamed({ model: "plain" })).status).toBe("off")
    const before = calls()
    const second = await streamed()
    expect(second.status).toBe("hit")
    expect(second.text).toBe(first.text)
    expect(second.text.length).toBeGreaterThan(0)
    expect(second.finish).toBe("stop")
    expect(calls()).toBe(before)
    const entry = await gateway!.run(Effect.flatMap(Effect.service(LedgerStore), (s) => s.byRequestId(second.id)))
    expect(entry).toMatchObject({ cacheHit: true, originalRequestId: first.id, apiCalls: 0, costUsd: 0 })
  })

  it("shows the cache's hit rate on /v1/am/state to an admin key, not to a workspace key", async () => {
    const view = async (key: string) =>
      (await (await fetch(`${gateway!.url}/v1/am/state`, { headers: { authorization: `Bearer ${key}` } })).json()) as {
        cache?: { hits: number; misses: number; hitRate: number }
      }
    const admin = (await view(ADMIN_KEY)).cache!
    expect(admin.hits).toBeGreaterThan(0)
    expect(admin.hitRate).toBeCloseTo(admin.hits / (admin.hits + admin.misses))
    expect((await view(GATEWAY_KEY)).cache).toBeUndefined()
  })

  it("refuses an x-am-cache value it does not know, naming the header", async () => {
    const r = await fetch(`${gateway!.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${GATEWAY_KEY}`, "x-am-cache": "always" },
      body: JSON.stringify({ model: "cached", messages: [{ role: "user", content: "x" }] })
    })
    expect(r.status).toBe(400)
    expect(((await r.json()) as { error: { param: string } }).error.param).toBe("x-am-cache")
  })
})
