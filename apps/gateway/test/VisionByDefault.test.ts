/**
 * A default config — models declared by name only, no `capabilities` — serves an image request on
 * a catalogued vision model (the router's catalogue fills the capabilities), as the openai client
 * sends it, with the image reaching the upstream; a model the catalogue does not know, asked for
 * an image, is a 404 `no_route` naming the capability and the config field that grants it.
 */
import { startUpstreams, type Upstream } from "@am/testkit"
import OpenAI from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { GATEWAY_KEY, type RunningGateway, startGateway } from "./support/Harness.ts"

const IMAGE =
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
const SECRET = "sk-test-vision-by-default-0001"

let upstreams: ReadonlyArray<Upstream>
let gateway: RunningGateway
let client: OpenAI

beforeAll(async () => {
  upstreams = await startUpstreams([
    { kind: "openai", keys: [SECRET], logBodies: true },
    { kind: "anthropic", keys: [SECRET], logBodies: true }
  ])
  const [openai, anthropic] = upstreams
  gateway = await startGateway({
    providers: {
      primary: {
        kind: "openai",
        baseURL: `${openai!.origin}/v1`,
        keys: [{ id: "k1", secret: SECRET }],
        models: [{ name: "gpt-4o" }, { name: "house-model-7b" }]
      },
      claude: {
        kind: "anthropic",
        baseURL: anthropic!.origin,
        keys: [{ id: "k1", secret: SECRET }],
        models: [{ name: "claude-sonnet-4-5" }]
      }
    },
    routes: {
      default: [{ provider: "primary", models: ["gpt-4o"] }],
      claude: [{ provider: "claude", models: ["claude-sonnet-4-5"] }],
      house: [{ provider: "primary", models: ["house-model-7b"] }]
    },
    ledger: { store: "memory" },
    gatewayKeys: [{ id: "team-a", secret: GATEWAY_KEY, workspace: "team-a" }]
  })
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: GATEWAY_KEY, maxRetries: 0 })
})
afterAll(async () => {
  await gateway?.close()
  await Promise.all((upstreams ?? []).map((u) => u.close()))
})

const imageRequest = (model: string) =>
  client.chat.completions.create({
    model,
    messages: [
      {
        role: "user",
        content: [
          { type: "text", text: "What is in this picture?" },
          { type: "image_url", image_url: { url: IMAGE } }
        ]
      }
    ]
  })

describe("vision with no capabilities declared", () => {
  it.each([
    ["default", 0, "gpt-4o"],
    ["claude", 1, "claude-sonnet-4-5"]
  ] as const)("route %s answers an image request, and the image reaches the upstream", async (route, i, model) => {
    const upstream = upstreams[i]!
    const before = upstream.requests.length
    const answer = await imageRequest(route)
    expect(answer.choices[0]?.message.content).toBeTruthy()
    const sent = upstream.requests.slice(before)
    expect(sent).toHaveLength(1)
    expect(sent[0]?.model).toBe(model)
    expect(sent[0]?.body).toContain("iVBORw0KGgo")
  })

  it("a model the catalogue does not know is a 404 no_route naming vision and the capabilities field", async () => {
    const before = upstreams[0]!.requests.length
    const error = await imageRequest("house").then(
      () => undefined,
      (e: unknown) => e
    )
    expect(error).toBeInstanceOf(OpenAI.NotFoundError)
    const e = error as InstanceType<typeof OpenAI.NotFoundError>
    expect(e.code).toBe("no_route")
    expect(e.message).toContain("vision")
    expect(e.message).toContain("capabilities")
    expect(upstreams[0]!.requests.length).toBe(before)
  })
})
