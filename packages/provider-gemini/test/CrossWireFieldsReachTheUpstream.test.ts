import type { CompletionRequest } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import type { GenerateContentResponse } from "@google/genai"
import { Effect } from "effect"
import { fromGenerateContentResponse, unhonouredFields } from "../src/index.ts"
import { call, gemini, MODEL } from "./support.ts"

describe("the cross-wire fields Gemini has a place for reach it through the SDK", () => {
  it.effect("logprobs, top logprobs and a json_schema description land in generationConfig", () =>
    Effect.gen(function* () {
      const { upstream, provider } = yield* gemini({ logBodies: true })
      const request: CompletionRequest = {
        messages: [{ role: "user", content: "Hi" }],
        logprobs: true,
        topLogprobs: 4,
        responseFormat: { type: "json_schema", name: "a", schema: { type: "object" }, description: "the answer" }
      }
      yield* provider.complete(call({ request, timeoutMs: 10_000 }))
      const body = JSON.parse(upstream.requests[0]?.body ?? "{}")
      assert.strictEqual(body.generationConfig.responseLogprobs, true)
      assert.strictEqual(body.generationConfig.logprobs, 4)
      assert.deepStrictEqual(body.generationConfig.responseJsonSchema, { description: "the answer", type: "object" })
      assert.deepStrictEqual(unhonouredFields(request), [])
    })
  )

  it("what the Gemini API has no place for is reported, never sent", () => {
    const request: CompletionRequest = {
      messages: [{ role: "user", content: [{ type: "image", url: "data:image/png;base64,AAAA", detail: "low" }] }],
      tools: [{ name: "f", strict: true }],
      parallelToolCalls: false,
      user: "u",
      safetyIdentifier: "s",
      clientMetadata: { a: "b" },
      serviceTier: "priority",
      logprobs: true
    }
    assert.deepStrictEqual(unhonouredFields(request), [
      "toolStrict",
      "parallelToolCalls",
      "user",
      "safetyIdentifier",
      "clientMetadata",
      "serviceTier",
      "imageDetail"
    ])
  })

  it("logprobsResult becomes the completion's logprobs, chosen token with its alternatives", () => {
    const response = {
      candidates: [
        {
          content: { role: "model", parts: [{ text: "Hi" }] },
          finishReason: "STOP",
          logprobsResult: {
            chosenCandidates: [{ token: "Hi", logProbability: -0.1 }],
            topCandidates: [
              {
                candidates: [
                  { token: "Hi", logProbability: -0.1 },
                  { token: "Yo", logProbability: -2 }
                ]
              }
            ]
          }
        }
      ]
    } as GenerateContentResponse
    assert.deepStrictEqual(fromGenerateContentResponse(response, MODEL).logprobs, [
      {
        token: "Hi",
        logprob: -0.1,
        topLogprobs: [
          { token: "Hi", logprob: -0.1 },
          { token: "Yo", logprob: -2 }
        ]
      }
    ])
  })
})
