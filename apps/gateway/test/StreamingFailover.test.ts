/**
 * Streaming through the gateway with the official client: a provider that dies before the
 * first token is replaced without the client noticing; one that dies after it ends the
 * client's stream with an error event (never a clean finish), and the ledger says so.
 */
import { LedgerStore } from "@am/core"
import type { Upstream } from "@am/testkit"
import { Effect } from "effect"
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

const start = async (primary: Parameters<typeof twoProviders>[0], edit: (raw: any) => any = (raw) => raw) => {
  const made = await twoProviders(primary)
  upstreams = made.upstreams
  gateway = await startGateway(edit(made.raw))
  return new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: GATEWAY_KEY, maxRetries: 0 })
}

const ledgerEntry = (requestId: string) =>
  gateway!.run(Effect.flatMap(Effect.service(LedgerStore), (store) => store.byRequestId(requestId)))

const body = {
  model: "default",
  messages: [{ role: "user" as const, content: "Tell me a story" }],
  stream: true as const
}

describe("streaming failover through the gateway", () => {
  it("replaces a provider that dies before the first token, invisibly", async () => {
    // The primary sends its role-only chunk, then the connection dies.
    const client = await start({ primary: [{ sequence: [{ fault: "stream_cut", afterChunks: 1 }], repeat: true }] })
    const { data: stream, response } = await client.chat.completions.create(body).withResponse()
    let text = ""
    let finish: string | null = null
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? ""
      finish = chunk.choices[0]?.finish_reason ?? finish
    }
    expect(text).toContain("anthropic")
    expect(finish).toBe("stop")
    expect(response.headers.get("x-am-provider")).toBe("secondary")
    expect(Number(response.headers.get("x-am-attempts"))).toBeGreaterThanOrEqual(2)
    const entry = await ledgerEntry(response.headers.get("x-am-request-id")!)
    expect(entry?.outcome).toBe("SUCCESS")
    expect(entry?.provider).toBe("secondary")
    expect(entry?.usage?.totalTokens).toBeGreaterThan(0)
  })

  it("ends the stream with an error event when the provider dies after the first token; the ledger records the cut", async () => {
    // The route opts out of continuation (StreamsContinueAndHedgeThroughTheGateway covers it).
    const client = await start(
      { primary: [{ sequence: [{ fault: "stream_cut", afterChunks: 3 }], repeat: true }] },
      (raw) => ({
        ...raw,
        stream: { routes: { default: { continuation: false } } }
      })
    )
    const { data: stream, response } = await client.chat.completions.create(body).withResponse()
    let text = ""
    let finish: string | null = null
    const error = await (async () => {
      try {
        for await (const chunk of stream) {
          text += chunk.choices[0]?.delta.content ?? ""
          finish = chunk.choices[0]?.finish_reason ?? finish
        }
      } catch (e) {
        return e
      }
      return undefined
    })()
    expect(text.length).toBeGreaterThan(0)
    expect(finish).toBeNull()
    expect(error).toBeInstanceOf(OpenAI.APIError)
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe("stream_interrupted")
    expect(response.headers.get("x-am-provider")).toBe("primary")
    const entry = await ledgerEntry(response.headers.get("x-am-request-id")!)
    expect(entry?.outcome).toBe("FAILURE")
    expect(entry?.failureCode).toBe("stream_interrupted")
    expect(entry?.stream?.cut).toBe(true)
    expect(entry?.stream?.outputChars).toBe(text.length)
    // Nothing was retried after the first token: one call only.
    expect(upstreams[1]!.requests).toHaveLength(0)
  })

  it("holds a stream's Idempotency-Key until its last frame, and counts it in flight meanwhile", async () => {
    // The primary sends its first chunks, then pauses before the rest.
    const client = await start({
      primary: [{ sequence: [{ fault: "stall", afterChunks: 3, stallMs: 400 }], repeat: true }]
    })
    const send = () =>
      client.chat.completions.create(body, { headers: { "Idempotency-Key": "stream-7", "x-am-deadline-ms": "5000" } })
    const first = await send()
    const iterator = first[Symbol.asyncIterator]()
    expect((await iterator.next()).done).toBe(false)
    const state = await fetch(`${gateway!.url}/v1/am/state`, { headers: { authorization: `Bearer ${GATEWAY_KEY}` } })
    // A workspace key sees its own keys in flight (the replica-wide count is for admins).
    const held = ((await state.json()) as { idempotency: { inFlight: Array<{ workspace: string; key: string }> } })
      .idempotency.inFlight
    expect(held).toEqual([expect.objectContaining({ workspace: "team-a", key: "stream-7" })])
    const duplicate = await send().then(
      () => undefined,
      (e: unknown) => e
    )
    expect((duplicate as InstanceType<typeof OpenAI.APIError>).status).toBe(409)
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) {}
    // The key is free once the first stream ended.
    const again = await send()
    for await (const _ of again) {
    }
  })

  it("streams tool calls and the finish reason in OpenAI's chunk shape", async () => {
    const client = await start({ primary: [{ sequence: ["tool_call"], repeat: true }] })
    const stream = await client.chat.completions.create({
      ...body,
      tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: {} } } }]
    })
    let name = ""
    let args = ""
    let finish: string | null = null
    for await (const chunk of stream) {
      const call = chunk.choices[0]?.delta.tool_calls?.[0]
      name += call?.function?.name ?? ""
      args += call?.function?.arguments ?? ""
      finish = chunk.choices[0]?.finish_reason ?? finish
    }
    expect(name.length).toBeGreaterThan(0)
    expect(() => JSON.parse(args)).not.toThrow()
    expect(finish).toBe("tool_calls")
  })
})
