/**
 * A streamed chat completion through the gateway, read with the official `openai` client, carries
 * what the OpenAI upstream streamed: its `system_fingerprint` on the chunks (from the first text
 * delta on, and on the final ones), and — when the request asked `logprobs: true` — each text
 * delta's `choices[0].logprobs.content` tokens, whose concatenation is the streamed text. When an
 * output guard rewrites the text (a key redacted), the tokens stop where the text no longer spells
 * them: they never show what the client was not shown. A streamed answer replayed from the
 * response cache carries the same fingerprint and tokens as the live one that stored it.
 */
import { startUpstreams, type Upstream } from "@am/testkit"
import OpenAI from "openai"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { GATEWAY_KEY, type RunningGateway, startGateway } from "./support/Harness.ts"
import { OPENAI_KEY, type PassthroughEnv, startPassthroughEnv } from "./support/PassthroughUpstreams.ts"

let env: PassthroughEnv
beforeAll(async () => {
  env = await startPassthroughEnv()
})
afterAll(() => env.close())
beforeEach(() => env.reset())

/** The fingerprint the OpenAI upstream itself reports (asked directly, not through the gateway). */
const upstreamFingerprint = async (): Promise<string> => {
  const response = await fetch(`${env.openai.origin}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${OPENAI_KEY}` },
    body: JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "Say hello" }] })
  })
  const body = (await response.json()) as { system_fingerprint?: string }
  expect(typeof body.system_fingerprint).toBe("string")
  return body.system_fingerprint!
}

const streamed = async (extra: Record<string, unknown>, client: OpenAI = env.client, model = "openai-only") => {
  const stream = await client.chat.completions.create({
    model,
    messages: [{ role: "user", content: "Say hello" }],
    stream: true,
    ...extra
  } as never)
  const chunks: Array<any> = []
  for await (const chunk of stream as unknown as AsyncIterable<any>) chunks.push(chunk)
  return chunks
}

describe("streamed chat completions carry the upstream's fingerprint and logprobs", () => {
  it("system_fingerprint is on the chunks once known, and on the final ones", async () => {
    const fingerprint = await upstreamFingerprint()
    env.reset()
    const chunks = await streamed({ stream_options: { include_usage: true } })
    const firstText = chunks.findIndex((c) => (c.choices[0]?.delta?.content ?? "") !== "")
    expect(firstText).toBeGreaterThanOrEqual(0)
    for (const c of chunks.slice(firstText)) expect(c.system_fingerprint).toBe(fingerprint)
    const finish = chunks.find((c) => c.choices[0]?.finish_reason != null)
    expect(finish?.system_fingerprint).toBe(fingerprint)
    const usage = chunks.find((c) => c.usage != null)
    expect(usage?.system_fingerprint).toBe(fingerprint)
  })

  it("logprobs: true — each text delta's tokens, concatenated, are the streamed text", async () => {
    const chunks = await streamed({ logprobs: true })
    let text = ""
    let tokens = ""
    for (const c of chunks) {
      const content = c.choices[0]?.delta?.content ?? ""
      text += content
      if (content === "") continue
      const logprobs = c.choices[0]?.logprobs
      expect(logprobs?.content).toBeInstanceOf(Array)
      for (const t of logprobs.content) {
        expect(typeof t.logprob).toBe("number")
        tokens += t.token
      }
    }
    expect(text).toContain("fake openai upstream")
    expect(tokens).toBe(text)
    const sent = JSON.parse(env.sentToOpenAI()[0]!.text)
    expect(sent.logprobs).toBe(true)
  })

  it("without logprobs the deltas' logprobs stay null", async () => {
    const chunks = await streamed({})
    const withText = chunks.filter((c) => (c.choices[0]?.delta?.content ?? "") !== "")
    expect(withText.length).toBeGreaterThan(0)
    for (const c of withText) expect(c.choices[0].logprobs).toBeNull()
  })
})

describe("an output guard that rewrites the text", () => {
  const PROVIDER_KEY = "sk-fingerprint-guard-provider-01"
  let upstreams: ReadonlyArray<Upstream> = []
  let guarded: RunningGateway | undefined
  let client: OpenAI
  beforeAll(async () => {
    upstreams = await startUpstreams([
      {
        kind: "openai",
        keys: [PROVIDER_KEY],
        models: ["gpt-4o"],
        reply: `The upstream key is ${PROVIDER_KEY} and that is all.`
      }
    ])
    guarded = await startGateway({
      providers: {
        primary: {
          kind: "openai",
          baseURL: upstreams[0]!.baseURL,
          keys: [{ id: "p1", secret: PROVIDER_KEY }],
          models: [{ name: "gpt-4o" }]
        }
      },
      routes: { default: [{ provider: "primary", models: ["gpt-4o"] }] },
      retry: { maxAttempts: 1, deadline: "10 seconds" },
      ledger: { store: "memory" },
      gatewayKeys: [{ id: "team-a", secret: GATEWAY_KEY, workspace: "team-a" }],
      guards: { pii: "redact" }
    })
    client = new OpenAI({ baseURL: `${guarded.url}/v1`, apiKey: GATEWAY_KEY, maxRetries: 0 })
  })
  afterAll(async () => {
    await guarded?.close()
    await Promise.all(upstreams.map((u) => u.close()))
  })

  it("logprobs stop where the redacted text no longer spells the provider's tokens", async () => {
    const chunks = await streamed({ logprobs: true }, client, "default")
    let text = ""
    let tokens = ""
    for (const c of chunks) {
      text += c.choices[0]?.delta?.content ?? ""
      for (const t of c.choices[0]?.logprobs?.content ?? []) tokens += t.token
    }
    expect(text).toContain("The upstream key is")
    expect(text).not.toContain(PROVIDER_KEY)
    expect(tokens).not.toContain(PROVIDER_KEY)
    expect(tokens.length).toBeGreaterThan(0)
    expect(text.startsWith(tokens)).toBe(true)
    expect(chunks.at(-1)?.system_fingerprint).toBe(await upstreamFingerprint())
  })
})

describe("a streamed answer replayed from the response cache", () => {
  const PROVIDER_KEY = "sk-fingerprint-cache-provider-01"
  let upstreams: ReadonlyArray<Upstream> = []
  let cached: RunningGateway | undefined
  let client: OpenAI
  beforeAll(async () => {
    upstreams = await startUpstreams([{ kind: "openai", keys: [PROVIDER_KEY], models: ["gpt-4o"] }])
    cached = await startGateway({
      providers: {
        primary: {
          kind: "openai",
          baseURL: upstreams[0]!.baseURL,
          keys: [{ id: "p1", secret: PROVIDER_KEY }],
          models: [{ name: "gpt-4o" }]
        }
      },
      routes: { cached: [{ provider: "primary", models: ["gpt-4o"] }] },
      cache: { routes: { cached: { ttl: "10 minutes", maxEntries: 10 } } },
      ledger: { store: "memory" },
      gatewayKeys: [{ id: "team-a", secret: GATEWAY_KEY, workspace: "team-a" }]
    })
    client = new OpenAI({ baseURL: `${cached.url}/v1`, apiKey: GATEWAY_KEY, maxRetries: 0 })
  })
  afterAll(async () => {
    await cached?.close()
    await Promise.all(upstreams.map((u) => u.close()))
  })

  const read = async () => {
    const { data, response } = await client.chat.completions
      .create({ model: "cached", messages: [{ role: "user", content: "Say hello" }], stream: true, logprobs: true })
      .withResponse()
    const chunks: Array<any> = []
    for await (const chunk of data) chunks.push(chunk)
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")
    const tokens = chunks.flatMap((c) => (c.choices[0]?.logprobs?.content ?? []).map((t: { token: string }) => t.token))
    return { cache: response.headers.get("x-am-cache"), text, tokens: tokens.join(""), last: chunks.at(-1) }
  }

  it("keeps the live answer's system_fingerprint and logprobs", async () => {
    const live = await read()
    expect(live.cache).not.toBe("hit")
    expect(live.tokens).toBe(live.text)
    expect(typeof live.last?.system_fingerprint).toBe("string")
    const replay = await read()
    expect(replay.cache).toBe("hit")
    expect(upstreams[0]!.requests).toHaveLength(1)
    expect(replay.text).toBe(live.text)
    expect(replay.tokens).toBe(live.text)
    expect(replay.last?.system_fingerprint).toBe(live.last?.system_fingerprint)
  })
})
