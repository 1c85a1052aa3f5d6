/**
 * `POST /v1/embeddings` with the clients teams use — the `openai` SDK (single and batch input,
 * float and base64, `dimensions`), the AI SDK's `embed`/`embedMany` over `@ai-sdk/openai`, and
 * LangChain's `OpenAIEmbeddings` — against a gateway whose `embeddings` route fails over from
 * OpenAI to Gemini past an Anthropic candidate (skipped by capability, never called). Every
 * accepted request has one ledger entry and one `llm_runs` row with its usage and cost.
 */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createOpenAI } from "@ai-sdk/openai"
import { LedgerStore, RunStore } from "@am/core"
import { startUpstreams, type Upstream } from "@am/testkit"
import { OpenAIEmbeddings } from "@langchain/openai"
import { embed, embedMany } from "ai"
import { Effect } from "effect"
import OpenAI from "openai"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { GATEWAY_KEY, type RunningGateway, startGateway } from "./support/Harness.ts"

let gateway: RunningGateway
let upstreams: ReadonlyArray<Upstream>
let openaiUp: Upstream
let anthropicUp: Upstream
let geminiUp: Upstream

beforeAll(async () => {
  upstreams = await startUpstreams([
    { kind: "openai", keys: ["sk-emb-openai-0000000001", "sk-emb-openai-0000000002"] },
    { kind: "anthropic", keys: ["sk-ant-emb-000000000001"] },
    { kind: "gemini", keys: ["AIza-emb-gemini-00000001"] }
  ])
  ;[openaiUp, anthropicUp, geminiUp] = upstreams as [Upstream, Upstream, Upstream]
  const dir = mkdtempSync(join(tmpdir(), "am-embeddings-"))
  gateway = await startGateway({
    providers: {
      primary: {
        kind: "openai",
        baseURL: openaiUp.baseURL,
        keys: [
          { id: "p1", secret: "sk-emb-openai-0000000001" },
          { id: "p2", secret: "sk-emb-openai-0000000002" }
        ],
        models: [{ name: "text-embedding-3-large", capabilities: ["embeddings"], dimensions: 3072 }],
        timeout: "5 seconds"
      },
      secondary: {
        kind: "anthropic",
        baseURL: anthropicUp.baseURL,
        keys: [{ id: "s1", secret: "sk-ant-emb-000000000001" }],
        models: [{ name: "claude-sonnet-4-6" }],
        timeout: "5 seconds"
      },
      tertiary: {
        kind: "gemini",
        baseURL: geminiUp.origin,
        keys: [{ id: "g1", secret: "AIza-emb-gemini-00000001" }],
        models: [{ name: "gemini-embedding-001", capabilities: ["embeddings"], dimensions: 3072 }],
        timeout: "5 seconds"
      }
    },
    routes: {
      default: [{ provider: "secondary", models: ["claude-sonnet-4-6"] }],
      embeddings: [
        { provider: "primary", models: ["text-embedding-3-large"] },
        { provider: "secondary", models: ["claude-sonnet-4-6"] },
        { provider: "tertiary", models: ["gemini-embedding-001"] }
      ]
    },
    retry: { base: "10 millis", max: "50 millis", maxAttempts: 6, deadline: "10 seconds", providerRetries: 1 },
    ledger: { store: `sqlite:${join(dir, "am.db")}` },
    gatewayKeys: [{ id: "team-a", secret: GATEWAY_KEY, workspace: "team-a" }]
  })
})
afterAll(async () => {
  await gateway?.close()
  await Promise.all(upstreams.map((u) => u.close()))
})
afterEach(() => {
  for (const u of upstreams) {
    u.setScript([])
    u.reset()
  }
})

const client = () => new OpenAI({ apiKey: GATEWAY_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 })
const norm = (v: ReadonlyArray<number>) => Math.sqrt(v.reduce((s, x) => s + x * x, 0))
const primaryFails = () => openaiUp.setScript([{ sequence: ["overloaded"], repeat: true }])

/** The ledger entry and `llm_runs` row of a request (waits until the entry is written). */
const recordOf = async (requestId: string) => {
  for (;;) {
    const [entries, run] = await gateway.run(
      Effect.all([
        Effect.flatMap(Effect.service(LedgerStore), (s) => s.range(1, 10_000)),
        Effect.flatMap(Effect.service(RunStore), (s) => s.get(requestId))
      ])
    )
    const mine = entries.filter((e) => e.requestId === requestId)
    if (mine.length > 0 && run?.status !== "STARTED") return { entries: mine, run }
    await new Promise((r) => setImmediate(r))
  }
}

describe("openai.embeddings.create against the gateway", () => {
  it("single input, default (base64 on the wire, decoded by the SDK): OpenAI 503 → Gemini answers", async () => {
    primaryFails()
    const { data, response } = await client()
      .embeddings.create({ model: "embeddings", input: "the quick brown fox" })
      .withResponse()
    expect(data.data).toHaveLength(1)
    expect(data.data[0]!.embedding).toHaveLength(3072)
    expect(norm(data.data[0]!.embedding)).toBeCloseTo(1, 4)
    expect(data.usage.prompt_tokens).toBeGreaterThan(0)
    expect(response.headers.get("x-am-provider")).toBe("tertiary")
    expect(Number(response.headers.get("x-am-attempts"))).toBeGreaterThanOrEqual(2)
    expect(anthropicUp.requests).toHaveLength(0)
    expect(openaiUp.requests.every((r) => r.status === 503)).toBe(true)
    expect(geminiUp.requests.map((r) => r.path)).toEqual(["/v1beta/models/gemini-embedding-001:batchEmbedContents"])

    // One ledger entry and one llm_runs row, with the usage and a cost from the price table.
    const { entries, run } = await recordOf(response.headers.get("x-am-request-id")!)
    expect(entries).toHaveLength(1)
    const entry = entries[0]!
    expect(entry.outcome).toBe("SUCCESS")
    expect(entry.provider).toBe("tertiary")
    expect(entry.usage?.inputTokens).toBe(data.usage.prompt_tokens)
    expect(entry.costUsd).toBeCloseTo((data.usage.prompt_tokens * 0.15) / 1e6, 12)
    expect(run).toMatchObject({ status: "SUCCEEDED", workspaceId: "team-a", inputTokens: data.usage.prompt_tokens })
    expect(run?.costUsd).toBeCloseTo(entry.costUsd!, 12)
  })

  it("batch input, float and base64 give the same vectors; dimensions reaches the vectors", async () => {
    const openai = client()
    const input = ["first", "second", "third"]
    const float = await openai.embeddings.create({
      model: "embeddings",
      input,
      encoding_format: "float",
      dimensions: 256
    })
    const base64 = await openai.embeddings.create({
      model: "embeddings",
      input,
      encoding_format: "base64",
      dimensions: 256
    })
    expect(float.data.map((d) => d.index)).toEqual([0, 1, 2])
    expect(float.data.map((d) => d.embedding.length)).toEqual([256, 256, 256])
    expect(typeof base64.data[0]!.embedding).toBe("string")
    const decoded = base64.data.map((d) => {
      const b = Buffer.from(d.embedding as unknown as string, "base64")
      return Array.from(new Float32Array(b.buffer, b.byteOffset, b.length / 4))
    })
    expect(decoded).toEqual(float.data.map((d) => d.embedding.map((x) => Math.fround(x))))
    expect(float.data[0]!.embedding).not.toEqual(float.data[1]!.embedding)
  })

  it("dimensions holds whichever provider of the route answers", async () => {
    const viaOpenAI = await client().embeddings.create({ model: "embeddings", input: ["same"], dimensions: 64 })
    primaryFails()
    const viaGemini = await client().embeddings.create({ model: "embeddings", input: ["same"], dimensions: 64 })
    expect(viaOpenAI.data[0]!.embedding).toHaveLength(64)
    expect(viaGemini.data[0]!.embedding).toHaveLength(64)
    expect(geminiUp.requests).toHaveLength(1)
  })

  it("every embedding candidate down: one failed ledger entry and llm_runs row, no client-visible success", async () => {
    primaryFails()
    geminiUp.setScript([{ sequence: ["overloaded"], repeat: true }])
    const error = await client()
      .embeddings.create({ model: "embeddings", input: "x" })
      .catch((e) => e)
    expect(error).toBeInstanceOf(OpenAI.APIError)
    expect(error.status).toBeGreaterThanOrEqual(502)
    const { entries, run } = await recordOf(error.headers.get("x-am-request-id"))
    expect(entries).toHaveLength(1)
    expect(entries[0]!.outcome).toBe("FAILURE")
    expect(entries[0]!.failureCode).toBe("all_providers_failed")
    expect(run).toMatchObject({ status: "FAILED", errorCode: "all_providers_failed" })
    expect(anthropicUp.requests).toHaveLength(0)
  })

  it("bad input is a 400 naming the field, sent nowhere", async () => {
    const openai = client()
    const tokens = await openai.embeddings.create({ model: "embeddings", input: [[1, 2, 3]] }).catch((e) => e)
    expect(tokens).toBeInstanceOf(OpenAI.BadRequestError)
    expect(tokens.param ?? tokens.error?.param).toBe("input")
    const empty = await openai.embeddings.create({ model: "embeddings", input: [] }).catch((e) => e)
    expect(empty).toBeInstanceOf(OpenAI.BadRequestError)
    const dims = await openai.embeddings.create({ model: "embeddings", input: "x", dimensions: 0 }).catch((e) => e)
    expect(dims).toBeInstanceOf(OpenAI.BadRequestError)
    expect(openaiUp.requests.length + geminiUp.requests.length).toBe(0)
  })

  it("a route without an embeddings model is a 404 no_route that names the capability", async () => {
    const error = await client()
      .embeddings.create({ model: "default", input: "x" })
      .catch((e) => e)
    expect(error).toBeInstanceOf(OpenAI.NotFoundError)
    expect(error.message).toContain("embeddings")
    expect(anthropicUp.requests).toHaveLength(0)
  })
})

describe("the AI SDK's embed / embedMany over @ai-sdk/openai", () => {
  const provider = () => createOpenAI({ apiKey: GATEWAY_KEY, baseURL: `${gateway.url}/v1` })

  it("embed: one vector, usage, behind a failing primary", async () => {
    primaryFails()
    const result = await embed({ model: provider().embedding("embeddings"), value: "sunny day", maxRetries: 0 })
    expect(result.embedding).toHaveLength(3072)
    expect(result.usage.tokens).toBeGreaterThan(0)
    expect(geminiUp.requests).toHaveLength(1)
  })

  it("embedMany: vectors in input order, dimensions passed as a provider option", async () => {
    const values = ["a", "b", "c", "a"]
    const result = await embedMany({
      model: provider().embedding("embeddings"),
      values,
      maxRetries: 0,
      providerOptions: { openai: { dimensions: 128 } }
    })
    expect(result.embeddings).toHaveLength(4)
    expect(result.embeddings.map((e) => e.length)).toEqual([128, 128, 128, 128])
    expect(result.embeddings[0]).toEqual(result.embeddings[3])
    expect(result.embeddings[0]).not.toEqual(result.embeddings[1])
  })
})

describe("LangChain's OpenAIEmbeddings", () => {
  it("embedQuery and embedDocuments, failing over to Gemini", async () => {
    primaryFails()
    const embeddings = new OpenAIEmbeddings({
      model: "embeddings",
      apiKey: GATEWAY_KEY,
      configuration: { baseURL: `${gateway.url}/v1` },
      maxRetries: 0
    })
    const query = await embeddings.embedQuery("what is the weather")
    const docs = await embeddings.embedDocuments(["doc one", "doc two"])
    expect(query).toHaveLength(3072)
    expect(docs.map((d) => d.length)).toEqual([3072, 3072])
    expect(geminiUp.requests.length).toBeGreaterThanOrEqual(2)
  })
})
