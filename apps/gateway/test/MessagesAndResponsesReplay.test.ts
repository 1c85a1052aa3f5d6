/**
 * `Idempotency-Key` on `/v1/messages` and `/v1/responses`, as on chat: a key with a finished answer
 * is replayed — the same body (JSON) or the same event stream (that wire's own events), the same
 * request id, `x-am-idempotent-replay: true`, no upstream call — through `@anthropic-ai/sdk` and
 * the `openai` client; every request, replays included, has its own `llm_runs` row (a replay's
 * `replay_of` the original, cost 0). Another body under the key is 422, also across the two wires
 * (a stored answer is never replayed in another wire's format).
 */
import { rmSync } from "node:fs"
import { join } from "node:path"
import { StoreUrl } from "@am/store-sql"
import { startUpstreams, type Upstream } from "@am/testkit"
import Anthropic from "@anthropic-ai/sdk"
import { Effect, type Layer } from "effect"
import { SqlClient } from "effect/sql"
import OpenAI from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { GATEWAY_KEY, KEYS, type RunningGateway, startGateway } from "./support/Harness.ts"
import { tempDir } from "./support/Process.ts"

let openai: Upstream | undefined
let anthropic: Upstream | undefined
let gateway: RunningGateway | undefined
const dir = tempDir("am-wire-replay-")
const db = join(dir, "am.db")

const anthropicClient = () => new Anthropic({ baseURL: gateway!.url, apiKey: GATEWAY_KEY, maxRetries: 0 })
const openaiClient = () => new OpenAI({ baseURL: `${gateway!.url}/v1`, apiKey: GATEWAY_KEY, maxRetries: 0 })
const calls = () => openai!.requests.length + anthropic!.requests.length

const rowsWithKey = async (key: string, n: number) => {
  const read = () =>
    Effect.runPromise(
      Effect.scoped(
        Effect.flatMap(
          SqlClient.SqlClient,
          (s) =>
            s<{ id: string; replay_of: string | null; cost_usd: number | null; status: string }>`
            SELECT id, replay_of, cost_usd, status FROM llm_runs WHERE idempotency_key = ${key} ORDER BY created_at, id`
        ).pipe(Effect.provide(StoreUrl.layer(`sqlite:${db}`) as Layer.Layer<SqlClient.SqlClient, unknown>))
      )
    )
  // Rows are written behind, in batches: wait for them (a condition, not a duration).
  for (let i = 0; i < 400; i++) {
    const rows = await read()
    if (rows.length >= n) return rows
    await new Promise((r) => setTimeout(r, 25))
  }
  return read()
}

beforeAll(async () => {
  ;[openai, anthropic] = await startUpstreams([
    { kind: "openai", keys: [KEYS.p1], models: ["gpt-4o"], latencyMs: 1 },
    { kind: "anthropic", keys: [KEYS.s1], models: ["claude-sonnet-4-5"], latencyMs: 1 }
  ])
  gateway = await startGateway({
    providers: {
      primary: {
        kind: "openai",
        baseURL: openai!.baseURL,
        keys: [{ id: "p1", secret: KEYS.p1 }],
        models: [{ name: "gpt-4o" }]
      },
      claude: {
        kind: "anthropic",
        baseURL: anthropic!.baseURL,
        keys: [{ id: "s1", secret: KEYS.s1 }],
        models: [{ name: "claude-sonnet-4-5" }]
      }
    },
    routes: {
      openai: [{ provider: "primary", models: ["gpt-4o"] }],
      claude: [{ provider: "claude", models: ["claude-sonnet-4-5"] }]
    },
    ledger: { store: `sqlite:${db}`, spoolDir: join(dir, "spool") },
    gatewayKeys: [{ id: "team-a", secret: GATEWAY_KEY, workspace: "team-a" }]
  })
}, 60_000)

afterAll(async () => {
  await gateway?.close()
  await openai?.close()
  await anthropic?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe("Messages and Responses replay an Idempotency-Key", { timeout: 60_000 }, () => {
  it("/v1/messages: the same message, request id and no call, through @anthropic-ai/sdk", async () => {
    const ask = () =>
      anthropicClient()
        .messages.create(
          { model: "claude", max_tokens: 64, messages: [{ role: "user", content: "replay this message" }] },
          { headers: { "Idempotency-Key": "msg-json" } }
        )
        .withResponse()
    const before = calls()
    const first = await ask()
    const second = await ask()
    expect(calls() - before).toBe(1)
    expect(second.data).toEqual(first.data)
    expect(second.response.headers.get("request-id")).toBe(first.response.headers.get("request-id"))
    expect(second.response.headers.get("x-am-request-id")).toBe(first.response.headers.get("x-am-request-id"))
    expect(first.response.headers.get("x-am-idempotent-replay")).toBeNull()
    expect(second.response.headers.get("x-am-idempotent-replay")).toBe("true")
    expect(second.response.headers.get("x-am-attempts")).toBe("0")
    const rows = await rowsWithKey("msg-json", 2)
    expect(rows.map((r) => [r.replay_of, r.status])).toEqual([
      [null, "SUCCEEDED"],
      [first.response.headers.get("x-am-request-id"), "SUCCEEDED"]
    ])
    expect(Number(rows[1]!.cost_usd)).toBe(0)
  })

  it("/v1/messages streamed: replayed as the same Anthropic event stream", async () => {
    const collect = async () => {
      const { data, response } = await anthropicClient()
        .messages.create(
          {
            model: "claude",
            max_tokens: 64,
            stream: true,
            messages: [{ role: "user", content: "stream this message" }]
          },
          { headers: { "Idempotency-Key": "msg-sse" } }
        )
        .withResponse()
      const events: Array<unknown> = []
      for await (const event of data) events.push(event)
      return { events, headers: response.headers }
    }
    const before = calls()
    const first = await collect()
    const second = await collect()
    expect(calls() - before).toBe(1)
    expect(first.events.map((e) => (e as { type: string }).type)).toContain("message_stop")
    expect(second.events).toEqual(first.events)
    expect(second.headers.get("content-type")).toContain("text/event-stream")
    expect(second.headers.get("x-am-idempotent-replay")).toBe("true")
    expect(second.headers.get("x-am-request-id")).toBe(first.headers.get("x-am-request-id"))
    expect((await rowsWithKey("msg-sse", 2)).map((r) => r.replay_of)).toEqual([
      null,
      first.headers.get("x-am-request-id")
    ])
  })

  it("/v1/responses: the same response, request id and no call, through the openai client", async () => {
    const ask = () =>
      openaiClient()
        .responses.create(
          { model: "openai", input: "replay this response" },
          { headers: { "Idempotency-Key": "resp-json" } }
        )
        .withResponse()
    const before = calls()
    const first = await ask()
    const second = await ask()
    expect(calls() - before).toBe(1)
    expect(second.data).toEqual(first.data)
    expect(second.data.id).toBe(first.data.id)
    expect(second.response.headers.get("x-request-id")).toBe(first.response.headers.get("x-request-id"))
    expect(second.response.headers.get("x-am-idempotent-replay")).toBe("true")
    expect((await rowsWithKey("resp-json", 2)).map((r) => r.replay_of)).toEqual([
      null,
      first.response.headers.get("x-am-request-id")
    ])
  })

  it("/v1/responses streamed: replayed as the same Responses event stream", async () => {
    const collect = async () => {
      const { data, response } = await openaiClient()
        .responses.create(
          { model: "openai", input: "stream this response", stream: true },
          { headers: { "Idempotency-Key": "resp-sse" } }
        )
        .withResponse()
      const events: Array<unknown> = []
      for await (const event of data) events.push(event)
      return { events, headers: response.headers }
    }
    const before = calls()
    const first = await collect()
    const second = await collect()
    expect(calls() - before).toBe(1)
    expect(first.events.map((e) => (e as { type: string }).type)).toContain("response.completed")
    expect(second.events).toEqual(first.events)
    expect(second.headers.get("x-am-idempotent-replay")).toBe("true")
    expect(second.headers.get("x-am-request-id")).toBe(first.headers.get("x-am-request-id"))
    expect((await rowsWithKey("resp-sse", 2)).map((r) => r.replay_of)).toEqual([
      null,
      first.headers.get("x-am-request-id")
    ])
  })

  it("another body under the key is 422 on each wire, and one wire never replays the other's answer", async () => {
    const before = calls()
    const reused = await anthropicClient()
      .messages.create(
        { model: "claude", max_tokens: 64, messages: [{ role: "user", content: "another message" }] },
        { headers: { "Idempotency-Key": "msg-json" } }
      )
      .catch((e: unknown) => e)
    expect(reused).toBeInstanceOf(Anthropic.UnprocessableEntityError)
    const crossed = await openaiClient()
      .responses.create({ model: "openai", input: "x" }, { headers: { "Idempotency-Key": "msg-json" } })
      .catch((e: unknown) => e)
    expect(crossed).toBeInstanceOf(OpenAI.UnprocessableEntityError)
    expect((crossed as InstanceType<typeof OpenAI.APIError>).code).toBe("idempotency_key_reused")
    // The same JSON body on both wires (it is valid for each): the key is still the other wire's.
    const same = { model: "openai", max_tokens: 16, messages: [{ role: "user", content: "same body" }] }
    const asChat = await fetch(`${gateway!.url}/v1/chat/completions`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${GATEWAY_KEY}`,
        "idempotency-key": "both"
      },
      body: JSON.stringify(same)
    })
    expect(asChat.status).toBe(200)
    const asMessages = await fetch(`${gateway!.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": GATEWAY_KEY, "idempotency-key": "both" },
      body: JSON.stringify(same)
    })
    expect(asMessages.status).toBe(422)
    expect(calls() - before).toBe(1)
  })
})
