/**
 * Continuation and hedging end to end (issue 13, items 1 and 3): the official openai client
 * through the gateway, simulated OpenAI and Anthropic upstreams (the Anthropic one continues a
 * prefill). A primary cut mid-answer is continued on the fallback and the client reads the whole
 * answer with one finish; with `hedgeAfter`, a silent primary gets the fallback started beside
 * it, the fallback answers and the primary's upstream connection is closed. Tests wait for
 * conditions; no timing is asserted.
 */
import { LedgerStore } from "@am/core"
import { startUpstreams, type Upstream } from "@am/testkit"
import { Effect } from "effect"
import OpenAI from "openai"
import { afterEach, describe, expect, it } from "vitest"
import { GATEWAY_KEY, KEYS, type RunningGateway, startGateway } from "./support/Harness.ts"

const REPLY = "Continuation keeps the whole answer: one two three four five six seven eight nine ten."

let gateway: RunningGateway | undefined
let upstreams: ReadonlyArray<Upstream> = []

afterEach(async () => {
  await gateway?.close()
  await Promise.all(upstreams.map((u) => u.close()))
  gateway = undefined
  upstreams = []
})

const start = async (stream: Record<string, unknown>, primaryScript: ReadonlyArray<unknown>) => {
  upstreams = await startUpstreams([
    { kind: "openai", keys: [KEYS.p1], models: ["gpt-4o"], reply: REPLY, script: primaryScript as never },
    { kind: "anthropic", keys: [KEYS.s1], models: ["claude-sonnet-4-6"], reply: REPLY, logBodies: true }
  ])
  gateway = await startGateway({
    providers: {
      primary: {
        kind: "openai",
        baseURL: upstreams[0]!.baseURL,
        keys: [{ id: "p1", secret: KEYS.p1 }],
        models: [{ name: "gpt-4o" }]
      },
      secondary: {
        kind: "anthropic",
        baseURL: upstreams[1]!.baseURL,
        keys: [{ id: "s1", secret: KEYS.s1 }],
        models: [{ name: "claude-sonnet-4-6" }]
      }
    },
    routes: {
      default: [
        { provider: "primary", models: ["gpt-4o"] },
        { provider: "secondary", models: ["claude-sonnet-4-6"] }
      ]
    },
    retry: { base: "10 millis", max: "50 millis", maxAttempts: 6, deadline: "20 seconds" },
    stream: { firstTokenTimeout: "8 seconds", stallTimeout: "2 seconds", ...stream },
    ledger: { store: "memory" },
    gatewayKeys: [{ id: "team-a", secret: GATEWAY_KEY, workspace: "team-a" }]
  })
  return new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: GATEWAY_KEY, maxRetries: 0 })
}

const read = async (client: OpenAI) => {
  const { data, response } = await client.chat.completions
    .create({ model: "default", messages: [{ role: "user", content: "count to ten" }], stream: true })
    .withResponse()
  let text = ""
  let finishes = 0
  for await (const chunk of data) {
    text += chunk.choices[0]?.delta.content ?? ""
    if (chunk.choices[0]?.finish_reason) finishes++
  }
  return { text, finishes, requestId: response.headers.get("x-am-request-id")! }
}

const ledgerEntry = (requestId: string) =>
  gateway!.run(Effect.flatMap(Effect.service(LedgerStore), (store) => store.byRequestId(requestId)))

const until = async (ok: () => boolean) => {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 25))
  return ok()
}

describe("streams through the gateway survive a cut and a silent primary", () => {
  it("a primary cut after three chunks: the fallback continues the prefill, the client reads the whole answer", async () => {
    const client = await start({}, [{ sequence: [{ fault: "stream_cut", afterChunks: 3 }], repeat: true }])
    const { text, finishes, requestId } = await read(client)
    expect(text).toBe(REPLY)
    expect(finishes).toBe(1)
    // The fallback was sent the original request with what the client had as an assistant turn.
    const sent = JSON.parse(upstreams[1]!.requests[0]!.body!) as { messages: Array<{ role: string; content: unknown }> }
    expect(sent.messages.at(-1)?.role).toBe("assistant")
    expect(JSON.stringify(sent.messages.at(-1)?.content)).toContain(REPLY.slice(0, 5))
    const entry = await ledgerEntry(requestId)
    expect(entry?.outcome).toBe("SUCCESS")
    expect(entry?.provider).toBe("secondary")
    expect(entry?.stream?.cut).toBe(false)
    expect(entry?.stream?.segments?.map((s) => s.provider)).toEqual(["primary", "secondary"])
    expect(entry?.stream?.segments?.reduce((n, s) => n + s.outputChars, 0)).toBe(REPLY.length)
  })

  it("with stream.routes.default.continuation false the cut stream ends with stream_interrupted", async () => {
    const client = await start({ routes: { default: { continuation: false } } }, [
      { sequence: [{ fault: "stream_cut", afterChunks: 3 }], repeat: true }
    ])
    const error = await read(client).then(
      () => undefined,
      (e: unknown) => e
    )
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe("stream_interrupted")
    expect(upstreams[1]!.requests).toHaveLength(0)
  })

  it("one malformed SSE event: skipped, the answer whole, the count in the ledger entry and /metrics", async () => {
    const client = await start({}, [{ sequence: [{ fault: "malformed_json", afterChunks: 3 }], repeat: true }])
    const { text, requestId } = await read(client)
    expect(text).toBe(REPLY)
    expect(upstreams[1]!.requests).toHaveLength(0)
    const entry = await ledgerEntry(requestId)
    expect(entry?.stream?.malformedEvents).toBe(1)
    expect(entry?.stream?.cut).toBe(false)
    const metrics = await fetch(`${gateway!.url}/metrics`, { headers: { authorization: `Bearer ${GATEWAY_KEY}` } })
    const body = await metrics.text()
    const line = body
      .split("\n")
      .find((l) => l.startsWith("am_stream_malformed_events") && l.includes('provider="primary"'))
    expect(line, body.slice(0, 2000)).toBeDefined()
    expect(Number(line!.split(" ").at(-1))).toBe(1)
  })

  it("hedgeAfter: a silent primary gets the fallback beside it; the fallback answers, the primary's connection is closed", async () => {
    const client = await start({ routes: { default: { hedgeAfter: "300 millis" } } }, [
      { sequence: [{ fault: "ok", latencyMs: 6_000 }], repeat: true }
    ])
    const { text, requestId } = await read(client)
    expect(text).toBe(REPLY)
    expect(upstreams[1]!.requests).toHaveLength(1)
    // The hedged-out primary call was cancelled upstream: its connection closed before any answer.
    expect(await until(() => upstreams[0]!.requests[0]?.clientClosed === true)).toBe(true)
    expect(upstreams[0]!.requests[0]!.status).toBe(0)
    const entry = await ledgerEntry(requestId)
    expect(entry?.provider).toBe("secondary")
    expect(entry?.attempts.map((a) => `${a.provider}:${a.errorType ?? a.outcome}`).sort()).toEqual([
      "primary:hedge_cancelled",
      "secondary:success"
    ])
  })
})
