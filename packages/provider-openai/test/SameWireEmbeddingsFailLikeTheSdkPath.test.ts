/**
 * The same-wire embeddings path (the client's own `/embeddings` JSON, model spliced in) goes
 * through the same SDK client as `embeddings.create`, so every provider error and transport fault
 * of the catalogue becomes the same `ProviderFailure` (or the same vectors) on both.
 */
import type { EmbeddingRequest, ProviderFailure } from "@am/core"
import { type FaultName, ProviderFaultNames, Upstream } from "@am/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Redacted } from "effect"
import { make } from "../src/index.ts"
import { key1, SECRET_1 } from "./support.ts"

const request: EmbeddingRequest = { input: ["first text", "second text"] }
const sameWire: EmbeddingRequest = {
  ...request,
  passthrough: {
    wire: "openai.embeddings",
    body: Redacted.make(`{"model":"alias", "input":["first text","second text"], "x_future_field": 1.50}`),
    input: request.input
  }
}

const IDS = /\b(req_)?[A-Za-z0-9]{12}0{6,}\d+\b/g
const shape = (f: ProviderFailure) => ({
  kind: f.kind,
  status: f.status,
  errorType: f.errorType,
  errorCode: f.errorCode,
  retryAfterMs: f.retryAfterMs,
  responseBytesReceived: f.responseBytesReceived,
  message: f.message.replace(IDS, "<id>")
})
const view = <A>(exit: Exit.Exit<A, ProviderFailure>) => {
  if (Exit.isSuccess(exit)) return { ok: { ...exit.value, providerRequestId: undefined } }
  const error = Exit.findErrorOption(exit)
  return error._tag === "Some" ? { failure: shape(error.value) } : { defect: String(exit.cause) }
}

const faults: ReadonlyArray<FaultName> = [...ProviderFaultNames, "reset_before_headers", "malformed_json"]

describe("same-wire embeddings fail and answer as embeddings.create does", () => {
  it.effect.each(faults)("%s", (fault) =>
    Effect.scoped(
      Effect.gen(function* () {
        const upstream = yield* Upstream.scoped({
          kind: "openai",
          keys: [SECRET_1],
          script: [{ sequence: [fault, fault] }]
        })
        const provider = make({ id: "primary", baseURL: `${upstream.origin}/v1`, timeoutMs: 5_000 })
        const call = (r: EmbeddingRequest) =>
          Effect.exit(provider.embed!({ request: r, model: "text-embedding-3-small", key: key1 }))
        const sdk = yield* call(request)
        const raw = yield* call(sameWire)
        assert.deepStrictEqual(view(raw), view(sdk))
        assert.strictEqual(upstream.requests.length, 2)
      })
    )
  )
})
