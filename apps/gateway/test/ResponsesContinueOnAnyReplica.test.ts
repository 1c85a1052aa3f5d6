/**
 * Two gateway replicas sharing this machine's Redis (`state.store`): a response stored through
 * replica A is continued through replica B (`previous_response_id`, streamed and not; its turn
 * goes upstream again), an output item of it is named by `item_reference` on B, B retrieves it,
 * a delete on B removes it for A, and another workspace sees none of it. With a memory state
 * store the same continuation on the other replica is a 400 naming `previous_response_id` —
 * what the shared store fixes.
 */
import { startUpstreams, type Upstream } from "@am/testkit"
import { connection, redisUrl, uniquePrefix } from "@am/testkit/redis"
import { Effect, Layer } from "effect"
import { Redis } from "effect/persistence"
import OpenAI from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { GATEWAY_KEY, OTHER_KEY, type RunningGateway, startGateway } from "./support/Harness.ts"

const OPENAI_KEY = "sk-test-responses-replicas-01"
const prefix = uniquePrefix()

let upstream: Upstream | undefined
const running: Array<RunningGateway> = []

const configFor = (state: Record<string, unknown>) => ({
  providers: {
    primary: {
      kind: "openai",
      baseURL: upstream!.baseURL,
      keys: [{ id: "o1", secret: OPENAI_KEY }],
      models: [{ name: "gpt-4o" }],
      timeout: "5 seconds"
    }
  },
  routes: { default: [{ provider: "primary", models: ["gpt-4o"] }] },
  retry: { base: "5 millis", max: "20 millis", maxAttempts: 3, deadline: "10 seconds" },
  ledger: { store: "memory" },
  state,
  gatewayKeys: [
    { id: "team-a", secret: GATEWAY_KEY, workspace: "team-a" },
    { id: "team-b", secret: OTHER_KEY, workspace: "team-b" }
  ]
})

const clientOf = (gw: RunningGateway, key = GATEWAY_KEY) =>
  new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 })

/** The conversation the upstream was last sent: chat messages, or (same-wire Responses) the input items. */
const lastSent = () => {
  type Turn = { role: string; content: unknown }
  const body = JSON.parse(upstream!.requests.at(-1)!.body!) as { messages?: Array<Turn>; input?: Array<Turn> }
  return (body.messages ?? body.input)!
}

const failure = async (p: Promise<unknown>) => {
  try {
    await p
  } catch (e) {
    if (e instanceof OpenAI.APIError) return e
    throw e
  }
  throw new Error("expected the call to fail")
}

beforeAll(async () => {
  ;[upstream] = await startUpstreams([
    { kind: "openai", keys: [OPENAI_KEY], models: ["gpt-4o"], logBodies: true, latencyMs: 1 }
  ])
})

afterAll(async () => {
  await Promise.all(running.map((g) => g.close()))
  await upstream?.close()
  await Effect.runPromise(
    Effect.gen(function* () {
      const redis = yield* Redis.Redis
      const keys = yield* redis.send<Array<string>>("KEYS", `${prefix}*`)
      if (keys.length > 0) yield* redis.send("DEL", ...keys)
    }).pipe(Effect.provide(Layer.fresh(connection())), Effect.ignore)
  )
})

describe("the Responses store behind two replicas", () => {
  it("a response stored on A is continued, referenced, retrieved and deleted on B (Redis)", async () => {
    const state = { store: redisUrl, prefix }
    const a = await startGateway(configFor(state))
    const b = await startGateway(configFor(state))
    running.push(a, b)

    const first = await clientOf(a).responses.create({ model: "default", input: "My name is Ada." })
    const second = await clientOf(b).responses.create({
      model: "default",
      previous_response_id: first.id,
      input: "What is my name?"
    })
    expect(second.previous_response_id).toBe(first.id)
    expect(lastSent().map((m) => m.role)).toEqual(["user", "assistant", "user"])
    expect(JSON.stringify(lastSent()[0])).toContain("My name is Ada.")
    expect(JSON.stringify(lastSent()[1])).toContain(first.output_text)

    // Streamed on B, then continued on A: the chain spans both replicas.
    const streamed = await clientOf(b).responses.create({
      model: "default",
      previous_response_id: second.id,
      input: "And again?",
      stream: true
    })
    let streamedId: string | undefined
    for await (const event of streamed) if (event.type === "response.completed") streamedId = event.response.id
    await clientOf(a).responses.create({ model: "default", previous_response_id: streamedId!, input: "Last one." })
    expect(lastSent().map((m) => m.role)).toEqual([
      "user",
      "assistant",
      "user",
      "assistant",
      "user",
      "assistant",
      "user"
    ])

    // An output item stored through A, named on B.
    const message = first.output.find((o) => o.type === "message")!
    await clientOf(b).responses.create({
      model: "default",
      input: [
        { type: "item_reference", id: message.id! },
        { role: "user", content: "Repeat that." }
      ]
    })
    expect(JSON.stringify(lastSent()[0])).toContain(first.output_text)

    expect((await clientOf(b).responses.retrieve(first.id)).id).toBe(first.id)
    // Another workspace sees nothing, on either replica.
    expect((await failure(clientOf(b, OTHER_KEY).responses.retrieve(first.id))).status).toBe(404)
    const foreign = await failure(
      clientOf(a, OTHER_KEY).responses.create({ model: "default", previous_response_id: first.id, input: "Hi" })
    )
    expect(foreign.status).toBe(400)

    await clientOf(b).responses.delete(first.id)
    expect((await failure(clientOf(a).responses.retrieve(first.id))).status).toBe(404)

    // Bounded: the entries are indexed under the prefix with their sizes.
    const usage = await Effect.runPromise(
      Effect.gen(function* () {
        const redis = yield* Redis.Redis
        return {
          entries: yield* redis.send<number>("ZCARD", `${prefix}responses:index`),
          bytes: Number(yield* redis.send<string>("GET", `${prefix}responses:total`))
        }
      }).pipe(Effect.provide(Layer.fresh(connection())))
    )
    expect(usage.entries).toBe(4)
    expect(usage.bytes).toBeGreaterThan(0)
  })

  it("with a memory state store the other replica cannot continue (400 naming previous_response_id)", async () => {
    const a = await startGateway(configFor({ store: "memory" }))
    const b = await startGateway(configFor({ store: "memory" }))
    running.push(a, b)
    const first = await clientOf(a).responses.create({ model: "default", input: "My name is Ada." })
    const e = await failure(
      clientOf(b).responses.create({ model: "default", previous_response_id: first.id, input: "What is my name?" })
    )
    expect(e.status).toBe(400)
    expect(e.param).toBe("previous_response_id")
    await clientOf(a).responses.create({ model: "default", previous_response_id: first.id, input: "What is my name?" })
  })
})
