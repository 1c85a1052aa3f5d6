/**
 * The same-wire path (the client's own Chat Completions JSON, model spliced in; a whole answer
 * fetched without the SDK, a stream through it) fails as the translated path does: every upstream
 * signal of the fault catalogue —
 * provider errors, 200 answers that are not plain successes, broken connections — becomes the
 * same `ProviderFailure` (or the same answer) on both, whole and streamed. And what the upstream
 * receives on the same-wire path is the client's text with only the model changed.
 */
import type { CompletionRequest, ProviderFailure } from "@am/core"
import { AnswerFaultNames, type FaultName, ProviderFaultNames, Upstream } from "@am/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Redacted, Stream } from "effect"
import { make } from "../src/index.ts"
import { key1, request, SECRET_1 } from "./support.ts"

const CLIENT_TEXT = `{ "model" : "my-alias",\n  "messages":[{"role":"user","content":"Say hi"}], "prediction":{"type":"content","content":"Hi"},\n  "x_future_field": {"n": 1.50, "e": 1e2, "s": "caf\\u00e9"} }`

const sameWire: CompletionRequest = {
  ...request,
  passthrough: { wire: "openai.chat", body: Redacted.make(CLIENT_TEXT), messages: request.messages }
}

/** Per-call ids (request ids in messages and headers, response ids) are the only things allowed to differ. */
const IDS = /\b(req_|chatcmpl-)?[A-Za-z0-9]{12}0{6,}\d+\b/g
const withoutIds = (value: unknown): unknown =>
  JSON.parse(
    JSON.stringify(value ?? null, (k, v) =>
      k === "providerResponseId" || k === "providerRequestId" || k === "requestId"
        ? undefined
        : typeof v === "string"
          ? v.replace(IDS, "<id>")
          : v
    )
  )

/** The fields of a failure that decide what the engine does with it (everything but the instance). */
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

/** An answer as is, a failure by its shape, anything else (a defect) flagged. */
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

describe("same-wire calls fail and answer as translated calls do", () => {
  it.effect.each(faults)("%s, whole answer", (fault) =>
    Effect.scoped(
      Effect.gen(function* () {
        const upstream = yield* Upstream.scoped({
          kind: "openai",
          keys: [SECRET_1],
          script: [{ sequence: [fault, fault] }]
        })
        const provider = make({ id: "primary", baseURL: `${upstream.origin}/v1`, timeoutMs: 5_000 })
        const sdk = yield* Effect.exit(provider.complete({ request, model: "gpt-4o", key: key1 }))
        const raw = yield* Effect.exit(provider.complete({ request: sameWire, model: "gpt-4o", key: key1 }))
        assert.deepStrictEqual(view(raw), view(sdk))
        assert.strictEqual(upstream.requests.length, 2)
      })
    )
  )

  it.effect.each(faults.filter((f) => f !== "truncated_body"))("%s, streamed", (fault) =>
    Effect.scoped(
      Effect.gen(function* () {
        const upstream = yield* Upstream.scoped({
          kind: "openai",
          keys: [SECRET_1],
          script: [{ sequence: [fault, fault] }]
        })
        const provider = make({ id: "primary", baseURL: `${upstream.origin}/v1`, timeoutMs: 5_000 })
        const run = (r: CompletionRequest) =>
          Effect.exit(Stream.runCollect(provider.stream({ request: r, model: "gpt-4o", key: key1 })))
        const sdk = yield* run(request)
        const raw = yield* run(sameWire)
        assert.deepStrictEqual(view(raw), view(sdk))
      })
    )
  )
})

describe("the upstream receives the client's own bytes", () => {
  it.effect("only the model value differs; unknown fields, spacing and number spellings are kept", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const upstream = yield* Upstream.scoped({ kind: "openai", keys: [SECRET_1] })
        const seen: Array<string> = []
        const provider = make({
          id: "primary",
          baseURL: `${upstream.origin}/v1`,
          fetch: (input, init) => {
            if (typeof init?.body === "string") seen.push(init.body)
            return fetch(input, init)
          }
        })
        const answer = yield* provider.complete({ request: sameWire, model: "gpt-4o", key: key1 })
        assert.strictEqual(answer.finishReason, "stop")
        assert.deepStrictEqual(seen, [CLIENT_TEXT.replace('"my-alias"', '"gpt-4o"')])
      })
    )
  )

  it.effect("messages a guard changed are sent as the adapter translates them, other fields kept", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const upstream = yield* Upstream.scoped({ kind: "openai", keys: [SECRET_1] })
        const seen: Array<any> = []
        const provider = make({
          id: "primary",
          baseURL: `${upstream.origin}/v1`,
          fetch: (input, init) => {
            if (typeof init?.body === "string") seen.push(JSON.parse(init.body))
            return fetch(input, init)
          }
        })
        const redacted: CompletionRequest = {
          ...sameWire,
          messages: [{ role: "user", content: "Say hi to [EMAIL_1]" }]
        }
        yield* provider.complete({ request: redacted, model: "gpt-4o", key: key1 })
        assert.deepStrictEqual(seen[0].messages, [{ role: "user", content: "Say hi to [EMAIL_1]" }])
        assert.deepStrictEqual(seen[0].prediction, { type: "content", content: "Hi" })
        assert.deepStrictEqual(seen[0].x_future_field, { n: 1.5, e: 100, s: "café" })
      })
    )
  )
})
