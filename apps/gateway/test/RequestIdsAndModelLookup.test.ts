/**
 * `x-request-id` on every answer (the same value as `x-am-request-id`, so the openai SDK's
 * `_request_id` / `requestID` is the gateway's id, found in the ledger), and
 * `GET /v1/models/{id}` as OpenAI's: a model object for a route or a concrete model, 404
 * `model_not_found` in OpenAI's shape for anything else.
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

const start = async (scripts?: Parameters<typeof twoProviders>[0]) => {
  const made = await twoProviders(scripts)
  upstreams = made.upstreams
  gateway = await startGateway(made.raw)
  return new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: GATEWAY_KEY, maxRetries: 0 })
}

const failureOf = async (p: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> => {
  try {
    await p
  } catch (e) {
    if (e instanceof OpenAI.APIError) return e
    throw e
  }
  throw new Error("expected the call to fail")
}

describe("x-request-id", () => {
  it("is the gateway's request id on a completion, and the SDK exposes it as _request_id", async () => {
    const client = await start()
    const { response, request_id } = await client.chat.completions
      .create({ model: "default", messages: [{ role: "user", content: "Hi" }] })
      .withResponse()
    const id = response.headers.get("x-am-request-id")
    expect(id).toMatch(/^req_/)
    expect(response.headers.get("x-request-id")).toBe(id)
    expect(request_id).toBe(id)
    const direct = await client.chat.completions.create({
      model: "default",
      messages: [{ role: "user", content: "Hi" }]
    })
    expect(direct._request_id).toMatch(/^req_/)
    expect(direct.id).toBe(`chatcmpl-${direct._request_id}`)
    // The id a client quotes is the one the ledger recorded.
    const ids = () =>
      gateway!.run(
        Effect.map(
          Effect.flatMap(Effect.service(LedgerStore), (s) => s.range(1, 10_000)),
          (entries) => entries.map((e) => e.requestId)
        )
      )
    // Entries are written as requests end: wait (bounded) for this one.
    let recorded = await ids()
    for (let i = 0; i < 50 && !recorded.includes(id!); i++) {
      await new Promise((r) => setTimeout(r, 20))
      recorded = await ids()
    }
    expect(recorded).toContain(id)
  })

  it("is on a stream's answer too", async () => {
    const client = await start()
    const { data: stream, response } = await client.chat.completions
      .create({ model: "default", messages: [{ role: "user", content: "Hi" }], stream: true })
      .withResponse()
    for await (const _chunk of stream) {
      // drain, so the gateway finishes the request
    }
    expect(response.headers.get("x-request-id")).toBe(response.headers.get("x-am-request-id"))
    expect(response.headers.get("x-request-id")).toMatch(/^req_/)
  })

  it("is on an engine failure and on an error the engine never saw, as the SDK's requestID", async () => {
    const client = await start({
      primary: [{ sequence: ["overloaded"], repeat: true }],
      secondary: [{ sequence: ["overloaded"], repeat: true }]
    })
    const failed = await failureOf(
      client.chat.completions.create({ model: "default", messages: [{ role: "user", content: "x" }] })
    )
    expect(failed.requestID).toMatch(/^req_/)
    expect(failed.requestID).toBe(failed.headers?.get("x-am-request-id"))

    const wrong = new OpenAI({ baseURL: `${gateway!.url}/v1`, apiKey: "not-a-key", maxRetries: 0 })
    const refused = await failureOf(wrong.models.list())
    expect(refused.status).toBe(401)
    expect(refused.requestID).toMatch(/^req_/)
    // Each answer has its own id.
    expect(refused.requestID).not.toBe(failed.requestID)
  })

  it.each(["/v1/models", "/v1/models/gpt-4o", "/healthz", "/readyz", "/v1/am/state", "/no/such/path"])(
    "is on %s too",
    async (path) => {
      await start()
      const response = await fetch(`${gateway!.url}${path}`, { headers: { authorization: `Bearer ${GATEWAY_KEY}` } })
      await response.text()
      expect(response.headers.get("x-request-id")).toMatch(/^req_/)
      expect(response.headers.get("x-am-request-id")).toBe(response.headers.get("x-request-id"))
    }
  )
})

describe("GET /v1/models/{id}", () => {
  it("retrieves a concrete model and a route as OpenAI's model object", async () => {
    const client = await start()
    const model = await client.models.retrieve("claude-sonnet-4-6")
    expect(model).toMatchObject({ id: "claude-sonnet-4-6", object: "model", owned_by: "secondary" })
    expect(typeof model.created).toBe("number")
    const route = await client.models.retrieve("default")
    expect(route).toMatchObject({ id: "default", object: "model", owned_by: "am-route" })
    // The same objects the list has.
    const listed = (await client.models.list()).data
    expect(listed).toContainEqual(expect.objectContaining({ ...model }))
  })

  it("answers an unknown id with NotFoundError 404 model_not_found in OpenAI's shape", async () => {
    const client = await start()
    const e = await failureOf(client.models.retrieve("gpt-9-turbo"))
    expect(e).toBeInstanceOf(OpenAI.NotFoundError)
    expect(e.status).toBe(404)
    expect(e.code).toBe("model_not_found")
    expect(e.type).toBe("invalid_request_error")
    expect(e.param).toBe("model")
    expect(e.message).toContain("gpt-9-turbo")
    expect(e.headers?.get("x-should-retry")).toBe("false")
  })

  it("needs the gateway key like the list", async () => {
    await start()
    const wrong = new OpenAI({ baseURL: `${gateway!.url}/v1`, apiKey: "not-a-key", maxRetries: 0 })
    const e = await failureOf(wrong.models.retrieve("gpt-4o"))
    expect(e.status).toBe(401)
  })
})
