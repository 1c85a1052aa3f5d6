import type { CompletionRequest } from "@am/core"
import { Upstream } from "@am/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import { fromChatCompletion, make, unhonouredFields } from "../src/index.ts"
import { key1 } from "./support.ts"

const full: CompletionRequest = {
  messages: [
    {
      role: "user",
      content: [
        { type: "text", text: "What is in the picture?" },
        { type: "image", url: "https://example.com/cat.png", detail: "low" }
      ]
    }
  ],
  tools: [{ name: "lookup", parameters: { type: "object", properties: {} }, strict: true }],
  parallelToolCalls: false,
  user: "end-user-7",
  safetyIdentifier: "sha256:abc",
  clientMetadata: { team: "search" },
  serviceTier: "flex",
  logprobs: true,
  topLogprobs: 3,
  responseFormat: { type: "json_schema", name: "answer", schema: { type: "object" }, description: "the answer" }
}

describe("the cross-wire fields reach an OpenAI upstream through the SDK", () => {
  it.effect("every field lands in the body under its OpenAI name, and none is reported unhonoured", () =>
    Effect.gen(function* () {
      const upstream = yield* Upstream.scoped({ kind: "openai", logBodies: true })
      const provider = make({ id: "primary", baseURL: upstream.baseURL })
      const answer = yield* provider.complete({ request: full, model: "gpt-4o", key: key1, timeoutMs: 10_000 })
      const body = JSON.parse(upstream.requests[0]?.body ?? "{}")
      assert.strictEqual(body.tools[0].function.strict, true)
      assert.strictEqual(body.parallel_tool_calls, false)
      assert.strictEqual(body.user, "end-user-7")
      assert.strictEqual(body.safety_identifier, "sha256:abc")
      assert.deepStrictEqual(body.metadata, { team: "search" })
      assert.strictEqual(body.service_tier, "flex")
      assert.strictEqual(body.logprobs, true)
      assert.strictEqual(body.top_logprobs, 3)
      assert.strictEqual(body.messages[0].content[1].image_url.detail, "low")
      assert.strictEqual(body.response_format.json_schema.description, "the answer")
      assert.deepStrictEqual(unhonouredFields(full), [])
      // The simulator answers like OpenAI: a fingerprint and the tier that served it.
      assert.match(answer.systemFingerprint ?? "", /^fp_/)
      assert.strictEqual(answer.serviceTier, "default")
    })
  )

  it.effect("parallel_tool_calls is not sent without tools (OpenAI refuses it there)", () =>
    Effect.gen(function* () {
      const upstream = yield* Upstream.scoped({ kind: "openai", logBodies: true })
      const provider = make({ id: "primary", baseURL: upstream.baseURL })
      yield* provider.complete({
        request: { messages: [{ role: "user", content: "Hi" }], parallelToolCalls: false },
        model: "gpt-4o",
        key: key1,
        timeoutMs: 10_000
      })
      assert.notProperty(JSON.parse(upstream.requests[0]?.body ?? "{}"), "parallel_tool_calls")
    })
  )

  it("choices[].logprobs.content becomes the completion's logprobs; an odd shape is left out", () => {
    const body = (logprobs: unknown) => ({
      model: "gpt-4o",
      choices: [{ index: 0, message: { content: "Hi" }, finish_reason: "stop", logprobs }]
    })
    const ok = fromChatCompletion(
      body({
        content: [
          {
            token: "Hi",
            logprob: -0.25,
            bytes: [72, 105],
            top_logprobs: [{ token: "Hello", logprob: -1.5, bytes: null }]
          }
        ]
      }),
      { kind: "openai", model: "gpt-4o" }
    )
    assert.isTrue(Result.isSuccess(ok))
    if (Result.isSuccess(ok)) {
      assert.deepStrictEqual(ok.success.logprobs, [
        { token: "Hi", logprob: -0.25, bytes: [72, 105], topLogprobs: [{ token: "Hello", logprob: -1.5, bytes: null }] }
      ])
    }
    const odd = fromChatCompletion(body({ content: "nope" }), { kind: "openai", model: "gpt-4o" })
    assert.isTrue(Result.isSuccess(odd) && odd.success.logprobs === undefined)
  })
})
