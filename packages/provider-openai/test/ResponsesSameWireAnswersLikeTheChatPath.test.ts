/**
 * Same-wire Responses calls (`passthrough.wire === "openai.responses"`) go to the upstream's
 * `/responses` as the client's own JSON — model spliced, `store: false`, `stream` matching the
 * call — through the same SDK client as chat, and their answers and failures come back as the
 * translated chat path's do: the same text, tool calls, finish reasons and usage, the same
 * `ProviderFailure` for every provider fault, whole and streamed. Changed messages (a guard's
 * redaction) and a `previous_response_id` are sent as the adapter's own `input`, never the id.
 */
import { classify } from "@am/classifier"
import type { CompletionChunk, CompletionRequest, ProviderFailure } from "@am/core"
import { AnswerFaultNames, type FaultName, ProviderFaultNames, Upstream } from "@am/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Redacted, Result, Stream } from "effect"
import { make, makeResponsesStreamTranslator, sameWireResponsesBody, toResponsesInput } from "../src/index.ts"
import { key1, request, SECRET_1 } from "./support.ts"

const CLIENT_TEXT = `{ "model" : "my-alias",\n  "input":"Say hi", "prediction":{"type":"content","content":"Hi"},\n  "x_future_field": {"n": 1.50, "e": 1e2, "s": "caf\\u00e9"} }`

const sameWire = (
  text = CLIENT_TEXT,
  messages: CompletionRequest["messages"] = request.messages
): CompletionRequest => ({
  messages,
  passthrough: { wire: "openai.responses", body: Redacted.make(text), messages }
})

/** What both paths must agree on (ids and the raw finish reason are per wire). */
const essentials = (c: { message: any; finishReason: string; usage: unknown; model: string }) => ({
  content: c.message.content,
  refusal: c.message.refusal !== undefined,
  toolCalls: (c.message.toolCalls ?? []).map((tc: any) => ({ name: tc.name, arguments: tc.arguments })),
  finishReason: c.finishReason,
  usage: c.usage,
  model: c.model
})

/** A Responses `error` event has no error type (chat's has one): the classification must agree. */
const shape = (f: ProviderFailure) => ({
  kind: f.kind,
  status: f.status,
  classification: classify(f),
  errorCode: f.errorCode,
  retryAfterMs: f.retryAfterMs,
  responseBytesReceived: f.responseBytesReceived
})

const view = (exit: Exit.Exit<any, ProviderFailure>) => {
  if (Exit.isSuccess(exit)) return { ok: essentials(exit.value) }
  const error = Exit.findErrorOption(exit)
  return error._tag === "Some" ? { failure: shape(error.value) } : { defect: String(exit.cause) }
}

/** A stream folded into what a whole answer says. */
const folded = (chunks: ReadonlyArray<CompletionChunk>) => {
  let text = ""
  const calls = new Map<number, { name: string; arguments: string }>()
  let finish: any
  for (const c of chunks) {
    if (c._tag === "TextDelta") text += c.text
    if (c._tag === "ToolCallDelta") {
      const call = calls.get(c.index) ?? { name: "", arguments: "" }
      calls.set(c.index, { name: call.name + (c.name ?? ""), arguments: call.arguments + (c.argumentsDelta ?? "") })
    }
    if (c._tag === "Finish") finish = c
  }
  return {
    text,
    toolCalls: [...calls.values()],
    finishReason: finish?.finishReason,
    usage: finish?.usage,
    model: finish?.model
  }
}

const faults: ReadonlyArray<FaultName> = [
  ...ProviderFaultNames.filter((f) => f !== "overloaded_in_stream"),
  ...AnswerFaultNames.filter((f) => f !== "model_context_window_exceeded")
]

const recording = (origin: string) => {
  const seen: Array<{ url: string; body: string }> = []
  const provider = make({
    id: "primary",
    baseURL: `${origin}/v1`,
    timeoutMs: 5_000,
    fetch: (input, init) => {
      if (typeof init?.body === "string") seen.push({ url: String(input), body: init.body })
      return fetch(input, init)
    }
  })
  return { provider, seen }
}

describe("a same-wire Responses call answers and fails as the chat path does", () => {
  it.effect.each(faults)("%s, whole answer", (fault) =>
    Effect.scoped(
      Effect.gen(function* () {
        const upstream = yield* Upstream.scoped({
          kind: "openai",
          keys: [SECRET_1],
          script: [{ sequence: [fault, fault] }]
        })
        const { provider, seen } = recording(upstream.origin)
        const chat = yield* Effect.exit(provider.complete({ request, model: "gpt-4o", key: key1 }))
        const responses = yield* Effect.exit(provider.complete({ request: sameWire(), model: "gpt-4o", key: key1 }))
        assert.deepStrictEqual(view(responses), view(chat))
        assert.match(seen[1]!.url, /\/v1\/responses$/)
      })
    )
  )

  it.effect.each([...faults, "overloaded_in_stream" as const])("%s, streamed", (fault) =>
    Effect.scoped(
      Effect.gen(function* () {
        const upstream = yield* Upstream.scoped({
          kind: "openai",
          keys: [SECRET_1],
          script: [{ sequence: [fault, fault] }]
        })
        const { provider } = recording(upstream.origin)
        const run = (r: CompletionRequest) =>
          Effect.exit(
            Stream.runCollect(provider.stream({ request: r, model: "gpt-4o", key: key1 })).pipe(
              Effect.map((c) => folded(c))
            )
          )
        const chat = yield* run(request)
        const responses = yield* run(sameWire())
        if (Exit.isSuccess(chat) && Exit.isSuccess(responses)) {
          assert.deepStrictEqual(responses.value, chat.value)
          assert.isTrue(chat.value.usage.totalTokens > 0)
        } else {
          assert.deepStrictEqual(view(responses), view(chat))
        }
      })
    )
  )

  it.effect("a tool call keeps its call id, name and arguments, whole and streamed", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const upstream = yield* Upstream.scoped({
          kind: "openai",
          keys: [SECRET_1],
          script: [{ sequence: ["tool_call", "tool_call"] }]
        })
        const { provider } = recording(upstream.origin)
        const text =
          '{"model":"m","input":"Weather?","tools":[{"type":"function","name":"get_weather","parameters":{"type":"object"}}]}'
        const whole = yield* provider.complete({ request: sameWire(text), model: "gpt-4o", key: key1 })
        const call = whole.message.toolCalls?.[0]
        assert.strictEqual(call?.name, "get_weather")
        assert.match(call?.id ?? "", /^call_/)
        assert.doesNotThrow(() => JSON.parse(call!.arguments))
        assert.strictEqual(whole.finishReason, "tool_calls")
        const chunks = yield* Stream.runCollect(
          provider.stream({ request: sameWire(text), model: "gpt-4o", key: key1 })
        )
        const first = chunks.find((c) => c._tag === "ToolCallDelta")
        assert.isTrue(first?._tag === "ToolCallDelta" && first.id?.startsWith("call_") === true)
        const streamed = folded(chunks)
        assert.strictEqual(streamed.toolCalls[0]?.name, "get_weather")
        assert.strictEqual(streamed.toolCalls[0]?.arguments.length, call!.arguments.length)
        assert.strictEqual(streamed.finishReason, "tool_calls")
      })
    )
  )
})

describe("what the upstream receives", () => {
  it.effect("the client's bytes with the model spliced and store: false; stream: true when streamed", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const upstream = yield* Upstream.scoped({ kind: "openai", keys: [SECRET_1] })
        const { provider, seen } = recording(upstream.origin)
        yield* provider.complete({ request: sameWire(), model: "gpt-4o", key: key1 })
        yield* Stream.runDrain(provider.stream({ request: sameWire(), model: "gpt-4o", key: key1 }))
        const spliced = CLIENT_TEXT.replace('"my-alias"', '"gpt-4o"')
        assert.deepStrictEqual(
          seen.map((s) => s.body),
          [`{"store":false,${spliced.slice(1)}`, `{"stream":true,"store":false,${spliced.slice(1)}`]
        )
      })
    )
  )

  it("an explicit store: true becomes false in place; an explicit stream is kept when it matches", () => {
    const text = '{"model":"m","store":true,"stream":true,"input":"Hi"}'
    assert.strictEqual(
      sameWireResponsesBody(sameWire(text), { model: "gpt-4o", stream: true }),
      '{"model":"gpt-4o","store":false,"stream":true,"input":"Hi"}'
    )
    assert.strictEqual(
      sameWireResponsesBody(sameWire(text), { model: "gpt-4o" }),
      '{"model":"gpt-4o","store":false,"stream":false,"input":"Hi"}'
    )
    assert.isUndefined(sameWireResponsesBody(request, { model: "gpt-4o" }))
  })

  it("messages a guard changed replace input and instructions; other fields are kept", () => {
    const text = '{"model":"m","instructions":"Be brief","input":"Mail ann@example.com","x_future_field":[1.50]}'
    const original: CompletionRequest["messages"] = [
      { role: "system" as const, content: "Be brief" },
      { role: "user" as const, content: "Mail ann@example.com" }
    ]
    const redacted: CompletionRequest = {
      ...sameWire(text, original),
      messages: [original[0], { role: "user", content: "Mail [EMAIL_1]" }]
    }
    const body = JSON.parse(sameWireResponsesBody(redacted, { model: "gpt-4o" })!)
    assert.deepStrictEqual(body, {
      store: false,
      model: "gpt-4o",
      instructions: "Be brief",
      input: [{ type: "message", role: "user", content: "Mail [EMAIL_1]" }],
      x_future_field: [1.5]
    })
    // Unchanged messages: the client's own input, byte for byte.
    assert.strictEqual(
      sameWireResponsesBody(sameWire(text, original), { model: "gpt-4o" }),
      `{"store":false,${text.replace('"m"', '"gpt-4o"').slice(1)}`
    )
  })

  it("previous_response_id is never sent: the whole conversation is, as input", () => {
    const history: CompletionRequest["messages"] = [
      { role: "user" as const, content: "Weather?" },
      { role: "assistant" as const, content: null, toolCalls: [{ id: "call_1", name: "w", arguments: "{}" }] },
      { role: "tool" as const, toolCallId: "call_1", content: "sunny" }
    ]
    const text =
      '{"model":"m","previous_response_id":"resp_gw_1","input":[{"type":"function_call_output","call_id":"call_1","output":"sunny"}]}'
    const body = JSON.parse(sameWireResponsesBody(sameWire(text, history), { model: "gpt-4o" })!)
    assert.notProperty(body, "previous_response_id")
    assert.notProperty(body, "instructions")
    assert.deepStrictEqual(body.input, toResponsesInput(history).input)
    assert.deepStrictEqual(body.input, [
      { type: "message", role: "user", content: "Weather?" },
      { type: "function_call", call_id: "call_1", name: "w", arguments: "{}" },
      { type: "function_call_output", call_id: "call_1", output: "sunny" }
    ])
  })
})

describe("the Responses stream translator", () => {
  it("ignores events it does not know, fails on response.failed and on a stream without its end", () => {
    const t = makeResponsesStreamTranslator({ kind: "openai", model: "gpt-4o" })
    assert.deepStrictEqual(t.push({ type: "response.web_search_call.searching" }), t.push({ nothing: true }))
    const text = t.push({ type: "response.output_text.delta", delta: "Hi" })
    assert.isTrue(Result.isSuccess(text))
    assert.deepStrictEqual(Result.getOrThrow(text), [{ _tag: "TextDelta", text: "Hi" }])
    const ended = t.finish()
    assert.isTrue(ended._tag === "Failure" && ended.failure._tag === "malformed")
    const failed = t.push({ type: "response.failed", response: { error: { code: "server_error", message: "boom" } } })
    assert.isTrue(failed._tag === "Failure" && failed.failure._tag === "failed")
  })

  it("usage with cached and reasoning tokens, and incomplete answers as length or content_filter", () => {
    const t = makeResponsesStreamTranslator({ kind: "openai", model: "gpt-4o" })
    t.push({
      type: "response.incomplete",
      response: {
        id: "resp_1",
        model: "gpt-4o-2024",
        status: "incomplete",
        incomplete_details: { reason: "max_output_tokens" },
        usage: {
          input_tokens: 10,
          input_tokens_details: { cached_tokens: 4 },
          output_tokens: 7,
          output_tokens_details: { reasoning_tokens: 3 },
          total_tokens: 17
        }
      }
    })
    const finish = t.finish()
    assert.isTrue(finish._tag === "Success")
    assert.deepStrictEqual((finish as any).success, {
      _tag: "Finish",
      finishReason: "length",
      usage: { inputTokens: 10, outputTokens: 7, totalTokens: 17, cacheReadInputTokens: 4, reasoningOutputTokens: 3 },
      model: "gpt-4o-2024",
      rawFinishReason: "max_output_tokens",
      providerResponseId: "resp_1"
    })
    const filtered = makeResponsesStreamTranslator({ kind: "openai", model: "gpt-4o" })
    filtered.push({
      type: "response.incomplete",
      response: { status: "incomplete", incomplete_details: { reason: "content_filter" } }
    })
    assert.strictEqual((filtered.finish() as any).success.finishReason, "content_filter")
  })
})

describe("an openai-compatible server is sent a Responses request as chat", () => {
  // Ollama, vLLM and LM Studio may have no `/responses`: the carrier is translated, as before.
  it.effect("whole and streamed, to /chat/completions, with the request's text", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const upstream = yield* Upstream.scoped({ kind: "openai", keys: [SECRET_1] })
        const seen: Array<{ url: string; body: string }> = []
        const provider = make({
          id: "local",
          kind: "openai-compatible",
          baseURL: `${upstream.origin}/v1`,
          timeoutMs: 5_000,
          fetch: (input, init) => {
            if (typeof init?.body === "string") seen.push({ url: String(input), body: init.body })
            return fetch(input, init)
          }
        })
        const whole = yield* provider.complete({ request: sameWire(), model: "gpt-4o", key: key1 })
        assert.isTrue(String(whole.message.content).length > 0)
        const chunks = yield* Stream.runCollect(provider.stream({ request: sameWire(), model: "gpt-4o", key: key1 }))
        assert.isTrue(folded(chunks).text.length > 0)
        assert.deepStrictEqual(
          seen.map((s) => new URL(s.url).pathname),
          ["/v1/chat/completions", "/v1/chat/completions"]
        )
        assert.notInclude(seen[0]!.body, "x_future_field")
      })
    )
  )
})
