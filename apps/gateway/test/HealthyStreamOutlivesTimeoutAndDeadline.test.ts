/**
 * Issue 13, "a healthy stream is never cut": through the gateway with the official openai client,
 * a simulated OpenAI upstream drips one SSE event every 150 ms for longer than both the
 * provider's `timeout` (1 s) and the request's `deadline` (2 s). The deadline bounds getting an
 * answer; the committed stream runs to `stream.maxDuration`, and the client reads the whole
 * answer with one finish. With a `stream.maxDuration` shorter than the drip the stream is cut
 * with an error event, never a clean finish. Waits for the stream's end; asserts no timing.
 */
import { startUpstreams, type Upstream } from "@am/testkit"
import OpenAI from "openai"
import { afterEach, describe, expect, it } from "vitest"
import { GATEWAY_KEY, KEYS, type RunningGateway, startGateway } from "./support/Harness.ts"

const REPLY = Array.from({ length: 24 }, (_, i) => `word${i}`).join(" ")

let gateway: RunningGateway | undefined
let upstreams: ReadonlyArray<Upstream> = []

afterEach(async () => {
  await gateway?.close()
  await Promise.all(upstreams.map((u) => u.close()))
  gateway = undefined
  upstreams = []
})

const start = async (stream: Record<string, unknown>) => {
  upstreams = await startUpstreams([
    {
      kind: "openai",
      keys: [KEYS.p1],
      models: ["gpt-4o"],
      reply: REPLY,
      script: [{ sequence: [{ fault: "latency", latencyMs: 0, intervalMs: 150 }], repeat: true }]
    }
  ])
  gateway = await startGateway({
    providers: {
      primary: {
        kind: "openai",
        baseURL: upstreams[0]!.baseURL,
        keys: [{ id: "p1", secret: KEYS.p1 }],
        models: [{ name: "gpt-4o" }],
        timeout: "1 second"
      }
    },
    routes: { default: [{ provider: "primary", models: ["gpt-4o"] }] },
    retry: { base: "10 millis", max: "50 millis", maxAttempts: 3, deadline: "2 seconds" },
    stream: { firstTokenTimeout: "1 second", stallTimeout: "1 second", ...stream },
    ledger: { store: "memory" },
    gatewayKeys: [{ id: "team-a", secret: GATEWAY_KEY, workspace: "team-a" }]
  })
  return new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: GATEWAY_KEY, maxRetries: 0 })
}

const read = async (client: OpenAI) => {
  const data = await client.chat.completions.create({
    model: "default",
    messages: [{ role: "user", content: "count slowly" }],
    stream: true
  })
  let text = ""
  let finishes = 0
  let chunks = 0
  try {
    for await (const chunk of data) {
      chunks++
      text += chunk.choices[0]?.delta.content ?? ""
      if (chunk.choices[0]?.finish_reason) finishes++
    }
    return { text, finishes, chunks, error: undefined as unknown }
  } catch (error) {
    return { text, finishes, chunks, error }
  }
}

describe("a healthy stream outlives the provider timeout and the request deadline", () => {
  it("a drip longer than timeout and deadline arrives whole with one finish", async () => {
    const client = await start({})
    const { text, finishes, error, chunks } = await read(client)
    expect(error).toBeUndefined()
    expect(text).toBe(REPLY)
    expect(finishes).toBe(1)
    // More events than fit in the 2 s deadline at 150 ms each: the drip outlived it.
    expect(chunks).toBeGreaterThan(2_000 / 150)
  })

  it("past stream.maxDuration the stream ends with an error, not a clean finish", async () => {
    const client = await start({ maxDuration: "2500 millis" })
    const { text, finishes, error } = await read(client)
    expect(finishes).toBe(0)
    expect(text.length).toBeGreaterThan(0)
    expect(text.length).toBeLessThan(REPLY.length)
    const e = error as { message?: string; code?: string; error?: { code?: string } } | undefined
    expect(e?.code ?? e?.error?.code).toBe("deadline_exceeded")
    expect(e?.message).toContain("2500 ms")
  })
})
