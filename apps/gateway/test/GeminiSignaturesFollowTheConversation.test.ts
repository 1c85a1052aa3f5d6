/**
 * Two gateway replicas on this machine's Redis in front of the simulated Gemini: a thinking tool
 * call answered through replica A carries a thought signature on its function-call part; the
 * client's follow-up tool turn sent to replica B reaches Gemini with that signature on the same
 * part (the replicas share the signatures through `state.store`). With a memory state store the
 * same follow-up on the other replica goes without it — what the shared store fixes.
 */
import { startUpstreams, type Upstream } from "@am/testkit"
import { redisUrl, uniquePrefix } from "@am/testkit/redis"
import { Effect, Layer } from "effect"
import { Redis } from "effect/persistence"
import OpenAI from "openai"
import type { ChatCompletionMessageParam, ChatCompletionTool } from "openai/resources/chat/completions"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { connection } from "@am/testkit/redis"
import { GATEWAY_KEY, type RunningGateway, startGateway } from "./support/Harness.ts"

const GEMINI_KEY = "g-test-signatures-000001"
const prefix = uniquePrefix()

let gemini: Upstream | undefined
const running: Array<RunningGateway> = []

const tools: Array<ChatCompletionTool> = [
  {
    type: "function",
    function: {
      name: "get_weather",
      description: "Weather in a city",
      parameters: { type: "object", properties: { location: { type: "string" } }, required: ["location"] }
    }
  }
]

const configFor = (state: Record<string, unknown>) => ({
  providers: {
    google: {
      kind: "gemini",
      baseURL: gemini!.baseURL,
      keys: [{ id: "g1", secret: GEMINI_KEY }],
      models: [{ name: "gemini-2.5-flash", capabilities: ["tools", "streaming", "reasoning"] }],
      timeout: "5 seconds"
    }
  },
  routes: { default: [{ provider: "google", models: ["gemini-2.5-flash"] }] },
  retry: { base: "5 millis", max: "20 millis", maxAttempts: 3, deadline: "10 seconds" },
  ledger: { store: "memory" },
  state,
  gatewayKeys: [{ id: "team-a", secret: GATEWAY_KEY, workspace: "team-a" }]
})

const clientOf = (gw: RunningGateway) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: GATEWAY_KEY, maxRetries: 0 })

/** The `functionCall` parts of the model turns Gemini was last sent. */
const sentFunctionCalls = () => {
  const body = JSON.parse(gemini!.requests.at(-1)!.body!) as {
    contents: Array<{ role: string; parts: Array<{ functionCall?: unknown; thoughtSignature?: string }> }>
  }
  return body.contents.flatMap((c) => (c.role === "model" ? c.parts.filter((p) => p.functionCall !== undefined) : []))
}

/** Turn one on `first` (a tool call), the tool result on `second`, streamed or not. */
const roundTrip = async (first: RunningGateway, second: RunningGateway, stream: boolean) => {
  gemini!.setScript([{ sequence: ["tool_call"] }])
  const user: ChatCompletionMessageParam = { role: "user", content: "What is the weather in Paris?" }
  const ask = { model: "default", messages: [user], tools, reasoning_effort: "low" as const }
  let call: { id: string; name: string; arguments: string }
  if (stream) {
    const chunks = await clientOf(first).chat.completions.create({ ...ask, stream: true })
    const parts: Array<{ id?: string; function?: { name?: string; arguments?: string } }> = []
    for await (const chunk of chunks) for (const t of chunk.choices[0]?.delta.tool_calls ?? []) parts.push(t)
    call = {
      id: parts.find((p) => p.id !== undefined)!.id!,
      name: parts.find((p) => p.function?.name !== undefined)!.function!.name!,
      arguments: parts.map((p) => p.function?.arguments ?? "").join("")
    }
  } else {
    const answer = await clientOf(first).chat.completions.create(ask)
    const made = answer.choices[0]!.message.tool_calls![0]!
    if (made.type !== "function") throw new Error("expected a function tool call")
    call = { id: made.id, name: made.function.name, arguments: made.function.arguments }
  }
  const firstAnswer = gemini!.requests.length
  const followUp = await clientOf(second).chat.completions.create({
    model: "default",
    tools,
    reasoning_effort: "low",
    messages: [
      user,
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: call.id, type: "function", function: { name: call.name, arguments: call.arguments } }]
      },
      { role: "tool", tool_call_id: call.id, content: '{"temperature_c":18}' }
    ]
  })
  expect(gemini!.requests.length).toBe(firstAnswer + 1)
  return { followUp, sent: sentFunctionCalls() }
}

beforeAll(async () => {
  ;[gemini] = await startUpstreams([
    { kind: "gemini", keys: [GEMINI_KEY], models: ["gemini-2.5-flash"], logBodies: true, latencyMs: 1 }
  ])
})

afterAll(async () => {
  await Promise.all(running.map((g) => g.close()))
  await gemini?.close()
  await Effect.runPromise(
    Effect.gen(function* () {
      const redis = yield* Redis.Redis
      const keys = yield* redis.send<Array<string>>("KEYS", `${prefix}*`)
      if (keys.length > 0) yield* redis.send("DEL", ...keys)
    }).pipe(Effect.provide(Layer.fresh(connection())), Effect.ignore)
  )
})

describe("Gemini thought signatures across replicas", () => {
  it("a follow-up tool turn on the other replica carries the signature (JSON and stream) through Redis", async () => {
    const state = { store: redisUrl, prefix }
    const a = await startGateway(configFor(state))
    const b = await startGateway(configFor(state))
    running.push(a, b)
    for (const stream of [false, true]) {
      const { followUp, sent } = await roundTrip(a, b, stream)
      expect(followUp.choices[0]!.message.content).toBeTruthy()
      expect(sent).toHaveLength(1)
      // The simulator signs a thinking answer's function call ("sim1…"); the same value came back.
      expect(sent[0]!.thoughtSignature).toMatch(/^sim1/)
    }
    // The signatures are in Redis under the state prefix, bounded by an index with a TTL.
    const index = await Effect.runPromise(
      Effect.gen(function* () {
        const redis = yield* Redis.Redis
        return {
          members: yield* redis.send<number>("ZCARD", `${prefix}gemini:sig:index`),
          ttl: yield* redis.send<number>("PTTL", `${prefix}gemini:sig:index`)
        }
      }).pipe(Effect.provide(Layer.fresh(connection())))
    )
    expect(index.members).toBe(2)
    expect(index.ttl).toBeGreaterThan(0)
  })

  it("with a memory state store the other replica has no signature to send (the gap the shared store closes)", async () => {
    const a = await startGateway(configFor({ store: "memory" }))
    const b = await startGateway(configFor({ store: "memory" }))
    running.push(a, b)
    const { sent } = await roundTrip(a, b, false)
    expect(sent).toHaveLength(1)
    expect(sent[0]!.thoughtSignature).toBeUndefined()
    // The replica that answered still has it.
    const { sent: same } = await roundTrip(a, a, false)
    expect(same[0]!.thoughtSignature).toMatch(/^sim1/)
  })
})
