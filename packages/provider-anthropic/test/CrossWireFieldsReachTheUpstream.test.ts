import type { CompletionRequest } from "@am/core"
import { Upstream } from "@am/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { make, unhonouredFields } from "../src/index.ts"
import { keyA, MODEL, SECRET_A } from "./support.ts"

const tools: CompletionRequest["tools"] = [
  { name: "lookup", parameters: { type: "object", properties: { q: { type: "string" } } }, strict: true }
]

const sent = (request: CompletionRequest) =>
  Effect.gen(function* () {
    const upstream = yield* Upstream.scoped({ kind: "anthropic", keys: [SECRET_A], logBodies: true })
    const provider = make({ id: "secondary", baseURL: upstream.baseURL })
    const answer = yield* provider.complete({ request, model: MODEL, key: keyA, timeoutMs: 10_000 })
    return { body: JSON.parse(upstream.requests[0]?.body ?? "{}"), answer }
  })

describe("the cross-wire fields Anthropic has a place for reach it through the SDK", () => {
  it.effect("strict tools, one tool call per turn, the end user and the tier are sent under Anthropic's names", () =>
    Effect.gen(function* () {
      const request: CompletionRequest = {
        messages: [{ role: "user", content: "Find cats" }],
        tools,
        toolChoice: "required",
        parallelToolCalls: false,
        user: "end-user-7",
        serviceTier: "default"
      }
      const { body, answer } = yield* sent(request)
      assert.strictEqual(body.tools[0].strict, true)
      assert.deepStrictEqual(body.tool_choice, { type: "any", disable_parallel_tool_use: true })
      assert.deepStrictEqual(body.metadata, { user_id: "end-user-7" })
      assert.strictEqual(body.service_tier, "standard_only")
      assert.deepStrictEqual(unhonouredFields(request), [])
      assert.strictEqual(answer.serviceTier, "standard", "usage.service_tier comes back")
    })
  )

  it.effect("parallelToolCalls: false without a tool choice is auto with disable_parallel_tool_use", () =>
    Effect.gen(function* () {
      const { body } = yield* sent({
        messages: [{ role: "user", content: "Find cats" }],
        tools,
        parallelToolCalls: false
      })
      assert.deepStrictEqual(body.tool_choice, { type: "auto", disable_parallel_tool_use: true })
    })
  )

  it.effect("safety_identifier wins user_id, and user is then reported unhonoured", () =>
    Effect.gen(function* () {
      const request: CompletionRequest = {
        messages: [{ role: "user", content: "Hi" }],
        user: "u-1",
        safetyIdentifier: "sha256:abc"
      }
      const { body } = yield* sent(request)
      assert.deepStrictEqual(body.metadata, { user_id: "sha256:abc" })
      assert.deepStrictEqual(unhonouredFields(request), ["user"])
    })
  )

  it.effect("a json_schema description becomes the schema's root description", () =>
    Effect.gen(function* () {
      const { body } = yield* sent({
        messages: [{ role: "user", content: "Hi" }],
        responseFormat: { type: "json_schema", name: "a", schema: { type: "object" }, description: "the answer" }
      })
      assert.deepStrictEqual(body.output_config.format.schema, { description: "the answer", type: "object" })
    })
  )

  it("what the Messages API has no place for is reported, never sent", () => {
    const request: CompletionRequest = {
      messages: [{ role: "user", content: [{ type: "image", url: "https://example.com/a.png", detail: "high" }] }],
      clientMetadata: { team: "x" },
      serviceTier: "flex",
      logprobs: true,
      topLogprobs: 2
    }
    assert.deepStrictEqual(unhonouredFields(request), [
      "clientMetadata",
      "serviceTier",
      "logprobs",
      "topLogprobs",
      "imageDetail"
    ])
  })
})
