import { Upstream } from "@am/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { make } from "../src/index.ts"
import { collect, key1, request, SECRET_1 } from "./support.ts"

const REPLY = "Hello there, this is the scripted answer."

describe("the happy path through the official SDK", () => {
  it.effect("complete() returns the message, usage, ids and the request id header", () =>
    Effect.gen(function* () {
      const upstream = yield* Upstream.scoped({ kind: "openai", reply: REPLY, keys: [SECRET_1] })
      const provider = make({ id: "primary", baseURL: upstream.baseURL })
      const c = yield* provider.complete({ request, model: "gpt-4o", key: key1, timeoutMs: 10_000 })
      assert.strictEqual(c.message.content, REPLY)
      assert.strictEqual(c.finishReason, "stop")
      assert.strictEqual(c.rawFinishReason, "stop")
      assert.strictEqual(c.provider, "openai")
      assert.strictEqual(c.model, "gpt-4o")
      assert.match(c.providerResponseId ?? "", /^chatcmpl-/)
      assert.match(c.providerRequestId ?? "", /^req_/)
      assert.isAbove(c.usage.inputTokens, 0)
      assert.isAbove(c.usage.outputTokens, 0)
      assert.strictEqual(c.usage.totalTokens, c.usage.inputTokens + c.usage.outputTokens)
      assert.strictEqual(c.usage.cacheReadInputTokens, 0)
      assert.strictEqual(c.usage.reasoningOutputTokens, 0)
      assert.strictEqual(upstream.requests.length, 1, "maxRetries 0: exactly one HTTP request")
      assert.deepInclude(upstream.requests[0], { model: "gpt-4o", key: SECRET_1, stream: false, prompt: "Say hi" })
    })
  )

  it.effect("stream() yields text deltas and a Finish carrying the usage chunk", () =>
    Effect.gen(function* () {
      const upstream = yield* Upstream.scoped({ kind: "openai", reply: REPLY })
      const provider = make({ id: "primary", baseURL: upstream.baseURL })
      const chunks = yield* collect(provider.stream({ request, model: "gpt-4o-mini", key: key1, timeoutMs: 10_000 }))
      const text = chunks.flatMap((c) => (c._tag === "TextDelta" ? [c.text] : [])).join("")
      assert.strictEqual(text, REPLY)
      const finish = chunks[chunks.length - 1]
      assert.strictEqual(finish?._tag, "Finish")
      if (finish?._tag === "Finish") {
        assert.strictEqual(finish.finishReason, "stop")
        assert.strictEqual(finish.model, "gpt-4o-mini")
        assert.isAbove(finish.usage.outputTokens, 0, "stream_options.include_usage was sent and read")
        assert.match(finish.providerResponseId ?? "", /^chatcmpl-/)
      }
      assert.isTrue(upstream.requests[0]?.stream)
    })
  )

  it.effect("an openai-compatible server gets max_tokens, and the answer is tagged with its kind", () =>
    Effect.gen(function* () {
      const upstream = yield* Upstream.scoped({ kind: "openai", reply: REPLY })
      const compatible = make({ id: "local", kind: "openai-compatible", baseURL: upstream.baseURL })
      // The fake upstream cuts the answer at maxTokens × 4 characters: only if max_tokens arrived.
      const c = yield* compatible.complete({ request: { ...request, maxTokens: 3 }, model: "llama3.2", key: key1 })
      assert.strictEqual(c.provider, "openai-compatible")
      assert.strictEqual(c.finishReason, "length")
      assert.strictEqual(c.message.content, REPLY.slice(0, 12))
      const openai = make({ id: "primary", baseURL: upstream.baseURL })
      const o = yield* openai.complete({ request: { ...request, maxTokens: 3 }, model: "gpt-4o", key: key1 })
      assert.strictEqual(o.finishReason, "length", "max_completion_tokens arrived too")
    })
  )

  it.effect("HTTP-200 refusals and content filters are completions, not failures", () =>
    Effect.gen(function* () {
      const upstream = yield* Upstream.scoped({
        kind: "openai",
        script: [{ sequence: ["refusal", "content_filter", "refusal"] }]
      })
      const provider = make({ id: "primary", baseURL: upstream.baseURL })
      const refused = yield* provider.complete({ request, model: "gpt-4o", key: key1 })
      assert.strictEqual(refused.finishReason, "refusal")
      assert.isString(refused.message.refusal)
      const filtered = yield* provider.complete({ request, model: "gpt-4o", key: key1 })
      assert.strictEqual(filtered.finishReason, "content_filter")
      const streamed = yield* collect(provider.stream({ request, model: "gpt-4o", key: key1 }))
      assert.deepStrictEqual(
        streamed.map((c) => c._tag),
        ["Finish"],
        "refusal text is not emitted as content"
      )
      assert.strictEqual(streamed[0]?._tag === "Finish" ? streamed[0].finishReason : undefined, "refusal")
    })
  )

  it.effect("tool calls come back as tool calls, whole and streamed", () =>
    Effect.gen(function* () {
      const upstream = yield* Upstream.scoped({ kind: "openai", script: [{ sequence: ["tool_call", "tool_call"] }] })
      const provider = make({ id: "primary", baseURL: upstream.baseURL })
      const withTools = {
        ...request,
        tools: [{ name: "get_weather", parameters: { type: "object" } }],
        toolChoice: "auto" as const
      }
      const c = yield* provider.complete({ request: withTools, model: "gpt-4o", key: key1 })
      assert.strictEqual(c.finishReason, "tool_calls")
      assert.strictEqual(c.message.toolCalls?.[0]?.name, "get_weather")
      assert.deepStrictEqual(JSON.parse(c.message.toolCalls?.[0]?.arguments ?? ""), { location: "Paris, France" })
      const chunks = yield* collect(provider.stream({ request: withTools, model: "gpt-4o", key: key1 }))
      const args = chunks.flatMap((x) => (x._tag === "ToolCallDelta" ? [x.argumentsDelta ?? ""] : [])).join("")
      assert.deepStrictEqual(JSON.parse(args), { location: "Paris, France" })
      assert.strictEqual(chunks.find((x) => x._tag === "ToolCallDelta" && x.name !== undefined)?._tag, "ToolCallDelta")
    })
  )

  it("an openai-compatible provider without a baseURL fails at construction", () => {
    assert.throws(() => make({ id: "local", kind: "openai-compatible" }), /requires a baseURL/)
    assert.strictEqual(make({ id: "primary" }).kind, "openai")
  })
})
