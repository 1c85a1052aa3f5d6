/**
 * The same-wire path (the client's own Messages JSON, model spliced in) goes through the same SDK
 * client as the translated path, so every upstream signal of the fault catalogue — provider
 * errors, 200 answers that are not plain successes, broken connections — becomes the same
 * `ProviderFailure` (or the same answer) on both, whole and streamed. What the upstream receives
 * is the client's text with only the model changed; a guard's rewrite replaces `system` and
 * `messages` and nothing else.
 */
import type { CompletionRequest, ProviderFailure } from "@am/core"
import { AnswerFaultNames, type FaultName, ProviderFaultNames, Upstream } from "@am/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Redacted, Stream } from "effect"
import { make } from "../src/index.ts"
import { keyA, MODEL, REPLY, request, SECRET_A } from "./support.ts"

const CLIENT_TEXT = `{ "model" : "my-alias", "max_tokens": 256, "top_k": 5,\n  "system": [{"type":"text","text":"You are terse.","cache_control":{"type":"ephemeral"}}],\n  "messages":[{"role":"user","content":[{"type":"text","text":"Say hello in French.","cache_control":{"type":"ephemeral","ttl":"1h"}}]}],\n  "metadata": {"user_id": "u-42"}, "x_future_field": {"n": 1.50, "e": 1e2, "s": "caf\\u00e9"} }`

const base = request()
const sameWire: CompletionRequest = {
  ...base,
  maxTokens: 256,
  passthrough: { wire: "anthropic.messages", body: Redacted.make(CLIENT_TEXT), messages: base.messages }
}

/** Per-call ids (request, message and tool-use ids) and reset times are the only things allowed to differ. */
const IDS = /\b(req_|msg_|toolu_)?[A-Za-z0-9]{12}0{6,}\d+\b/g
const TIMES = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g
const withoutIds = (value: unknown): unknown =>
  JSON.parse(
    JSON.stringify(value ?? null, (k, v) =>
      k === "providerResponseId" || k === "providerRequestId" || k === "requestId"
        ? undefined
        : typeof v === "string"
          ? v.replace(IDS, "<id>").replace(TIMES, "<time>")
          : v
    )
  )

const shape = (f: ProviderFailure) => ({
  kind: f.kind,
  status: f.status,
  errorType: f.errorType,
  errorCode: f.errorCode,
  retryAfterMs: f.retryAfterMs,
  responseBytesReceived: f.responseBytesReceived,
  message: f.message,
  rateLimit: f.rateLimit
})

const view = <A>(exit: Exit.Exit<A, ProviderFailure>) => {
  if (Exit.isSuccess(exit)) return withoutIds({ ok: exit.value })
  const error = Exit.findErrorOption(exit)
  return error._tag === "Some" ? withoutIds({ failure: shape(error.value) }) : { defect: String(exit.cause) }
}

const faults: ReadonlyArray<FaultName> = [
  ...ProviderFaultNames,
  ...AnswerFaultNames,
  "reset_before_headers",
  "reset_after_headers",
  "malformed_json",
  "truncated_body"
]

const recording = (origin: string, seen: Array<string>) =>
  make({
    id: "secondary",
    baseURL: origin,
    timeoutMs: 5_000,
    fetch: (input, init) => {
      if (typeof init?.body === "string") seen.push(init.body)
      return fetch(input, init)
    }
  })

describe("same-wire calls fail and answer as translated calls do", () => {
  it.effect.each(faults)("%s, whole answer", (fault) =>
    Effect.scoped(
      Effect.gen(function* () {
        const upstream = yield* Upstream.scoped({
          kind: "anthropic",
          keys: [SECRET_A],
          reply: REPLY,
          script: [{ sequence: [fault, fault] }]
        })
        const provider = make({ id: "secondary", baseURL: upstream.origin, timeoutMs: 5_000 })
        const sdk = yield* Effect.exit(
          provider.complete({ request: { ...base, maxTokens: 256 }, model: MODEL, key: keyA })
        )
        const raw = yield* Effect.exit(provider.complete({ request: sameWire, model: MODEL, key: keyA }))
        assert.deepStrictEqual(view(raw), view(sdk))
        assert.strictEqual(upstream.requests.length, 2)
      })
    )
  )

  it.effect.each(faults.filter((f) => f !== "truncated_body"))("%s, streamed", (fault) =>
    Effect.scoped(
      Effect.gen(function* () {
        const upstream = yield* Upstream.scoped({
          kind: "anthropic",
          keys: [SECRET_A],
          reply: REPLY,
          script: [{ sequence: [fault, fault] }]
        })
        const provider = make({ id: "secondary", baseURL: upstream.origin, timeoutMs: 5_000 })
        const run = (r: CompletionRequest) =>
          Effect.exit(Stream.runCollect(provider.stream({ request: r, model: MODEL, key: keyA })))
        const sdk = yield* run({ ...base, maxTokens: 256 })
        const raw = yield* run(sameWire)
        assert.deepStrictEqual(view(raw), view(sdk))
      })
    )
  )
})

describe("the upstream receives the client's own bytes", () => {
  it.effect("whole: only the model value differs", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const upstream = yield* Upstream.scoped({ kind: "anthropic", keys: [SECRET_A], reply: REPLY })
        const seen: Array<string> = []
        const answer = yield* recording(upstream.origin, seen).complete({ request: sameWire, model: MODEL, key: keyA })
        assert.strictEqual(answer.finishReason, "stop")
        assert.deepStrictEqual(seen, [CLIENT_TEXT.replace('"my-alias"', JSON.stringify(MODEL))])
      })
    )
  )

  it.effect("streamed: the model and `stream: true` are the only changes", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const upstream = yield* Upstream.scoped({ kind: "anthropic", keys: [SECRET_A], reply: REPLY })
        const seen: Array<string> = []
        yield* Stream.runDrain(recording(upstream.origin, seen).stream({ request: sameWire, model: MODEL, key: keyA }))
        assert.strictEqual(seen.length, 1)
        assert.deepStrictEqual(JSON.parse(seen[0]!), { ...JSON.parse(CLIENT_TEXT), model: MODEL, stream: true })
        assert.ok(seen[0]!.includes('"x_future_field": {"n": 1.50, "e": 1e2, "s": "caf\\u00e9"}'))
      })
    )
  )

  it.effect("a guard's rewrite replaces system and messages only; a removed system prompt is omitted", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const upstream = yield* Upstream.scoped({ kind: "anthropic", keys: [SECRET_A], reply: REPLY })
        const seen: Array<string> = []
        const provider = recording(upstream.origin, seen)
        const redacted: CompletionRequest = {
          ...sameWire,
          messages: [{ role: "user", content: "Say hi to [EMAIL_1]" }]
        }
        yield* provider.complete({ request: redacted, model: MODEL, key: keyA })
        const sent = JSON.parse(seen[0]!)
        assert.deepStrictEqual(sent.messages, [{ role: "user", content: "Say hi to [EMAIL_1]" }])
        assert.notProperty(sent, "system")
        assert.deepStrictEqual(sent.metadata, { user_id: "u-42" })
        assert.strictEqual(sent.top_k, 5)
        assert.strictEqual(sent.model, MODEL)
      })
    )
  )
})
