/**
 * Every Anthropic row of provider-signals.md, answered by the fake upstream in Anthropic's own
 * status, body and headers, read through the official SDK: the ProviderFailure fields the
 * classifier matches on, and the class and scope `classify` gives them.
 */
import { classify, contentFailureOf } from "@am/classifier"
import { ApiKey, type FailureClass, type FailureScope, type ProviderFailure } from "@am/core"
import type { Step } from "@am/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Stream } from "effect"
import { call, harness, keyA } from "./support.ts"

interface Row {
  readonly step: Step
  readonly status: number
  readonly errorType?: string
  readonly errorCode?: string
  readonly retryAfterMs?: number
  readonly rateLimited?: boolean
  readonly class: FailureClass
  readonly scope: FailureScope
}

const rows: ReadonlyArray<Row> = [
  {
    step: "rate_limit",
    status: 429,
    errorType: "rate_limit_error",
    retryAfterMs: 7000,
    rateLimited: true,
    class: "rate_limit",
    scope: "key"
  },
  {
    step: { fault: "rate_limit", retryAfterMs: 2000 },
    status: 429,
    errorType: "rate_limit_error",
    retryAfterMs: 2000,
    rateLimited: true,
    class: "rate_limit",
    scope: "key"
  },
  {
    step: "rate_limit_tokens",
    status: 429,
    errorType: "rate_limit_error",
    retryAfterMs: 7000,
    rateLimited: true,
    class: "rate_limit",
    scope: "key"
  },
  {
    step: "slow_down",
    status: 429,
    errorType: "rate_limit_error",
    errorCode: "ramp_limit_exceeded",
    rateLimited: true,
    class: "rate_limit",
    scope: "key"
  },
  {
    step: "quota_exhausted",
    status: 429,
    errorType: "rate_limit_error",
    errorCode: "enforced_spend_limit_reached",
    class: "quota_exhausted",
    scope: "key"
  },
  { step: "spend_limit", status: 400, errorType: "invalid_request_error", class: "quota_exhausted", scope: "key" },
  { step: "billing_error", status: 402, errorType: "billing_error", class: "quota_exhausted", scope: "key" },
  { step: "overloaded", status: 529, errorType: "overloaded_error", class: "overloaded", scope: "provider" },
  { step: "server_error", status: 500, errorType: "api_error", class: "server_error", scope: "provider" },
  { step: "bad_gateway", status: 502, class: "server_error", scope: "provider" },
  { step: "gateway_timeout", status: 504, errorType: "timeout_error", class: "server_error", scope: "provider" },
  { step: "invalid_key", status: 401, errorType: "authentication_error", class: "auth_invalid", scope: "key" },
  { step: "permission_denied", status: 403, errorType: "permission_error", class: "permission_denied", scope: "key" },
  { step: "model_not_found", status: 404, errorType: "not_found_error", class: "model_not_found", scope: "model" },
  {
    step: "context_length_exceeded",
    status: 400,
    errorType: "invalid_request_error",
    class: "context_length_exceeded",
    scope: "model"
  },
  {
    step: "request_too_large",
    status: 413,
    errorType: "request_too_large",
    class: "request_too_large",
    scope: "request"
  },
  {
    step: "malformed_request",
    status: 400,
    errorType: "invalid_request_error",
    class: "invalid_request",
    scope: "request"
  },
  {
    step: "unprocessable",
    status: 422,
    errorType: "invalid_request_error",
    class: "invalid_request",
    scope: "request"
  },
  { step: "conflict", status: 409, errorType: "conflict_error", class: "conflict", scope: "provider" }
]

const label = (step: Step) => (typeof step === "object" ? JSON.stringify(step) : String(step))

const checkRow = (row: Row, f: ProviderFailure) => {
  assert.strictEqual(f._tag, "ProviderFailure")
  assert.strictEqual(f.provider, "anthropic")
  assert.strictEqual(f.kind, "http")
  assert.strictEqual(f.status, row.status)
  assert.strictEqual(f.errorType, row.errorType)
  assert.strictEqual(f.errorCode, row.errorCode)
  assert.isTrue(f.responseBytesReceived)
  assert.match(f.requestId ?? "", /^req_/)
  assert.isTrue(f.message.length > 0)
  if (row.retryAfterMs !== undefined) assert.strictEqual(f.retryAfterMs, row.retryAfterMs)
  if (row.rateLimited === true) {
    assert.strictEqual(f.rateLimit?.["anthropic-ratelimit-requests-limit"], "50")
    assert.match(f.rateLimit?.["anthropic-ratelimit-requests-reset"] ?? "", /^\d{4}-\d\d-\d\dT/)
  }
  const c = classify(f)
  assert.strictEqual(c.class, row.class, `class of ${c.rule}`)
  assert.strictEqual(c.scope, row.scope, `scope of ${c.rule}`)
}

describe("Anthropic error rows → ProviderFailure → classification", () => {
  for (const row of rows) {
    it.effect(
      `${label(row.step)} → ${row.status} ${row.errorCode ?? row.errorType ?? ""} → ${row.class}/${row.scope}`,
      () =>
        Effect.gen(function* () {
          const h = yield* harness({ script: [{ sequence: [row.step, row.step] }] })
          checkRow(row, yield* Effect.flip(h.provider.complete(call())))
          // The same row before the stream's HTTP 200 fails the stream the same way.
          const streamed = yield* Effect.flip(Stream.runDrain(h.provider.stream(call())))
          checkRow(row, streamed)
        }).pipe(Effect.scoped)
    )
  }

  it.effect("an unknown key is rejected by the upstream as authentication_error → auth_invalid/key", () =>
    Effect.gen(function* () {
      const h = yield* harness({})
      const stranger = ApiKey.make("stranger", Redacted.make("sk-ant-api03-unknownkeyunknownkeyunknown"))
      const f = yield* Effect.flip(h.provider.complete(call({ key: stranger })))
      assert.strictEqual(f.status, 401)
      assert.strictEqual(f.keyId, "stranger")
      assert.deepInclude(classify(f), { class: "auth_invalid", scope: "key" })
    }).pipe(Effect.scoped)
  )

  it.effect("an SSE error event after HTTP 200 is a stream failure carrying the event's error type", () =>
    Effect.gen(function* () {
      const h = yield* harness({
        script: [{ sequence: ["overloaded_in_stream", { fault: "overloaded_in_stream", afterChunks: 5 }] }]
      })
      // Right after message_start, before any content: retrying duplicates nothing.
      const early = yield* Effect.flip(Stream.runDrain(h.provider.stream(call())))
      assert.strictEqual(early.kind, "stream")
      assert.isUndefined(early.status)
      assert.strictEqual(early.errorType, "overloaded_error")
      assert.strictEqual(early.message, "Overloaded")
      assert.isFalse(early.responseBytesReceived)
      assert.match(early.requestId ?? "", /^req_/)
      assert.deepInclude(classify(early), {
        class: "overloaded",
        scope: "provider",
        retryable: true,
        rule: "stream.overloaded"
      })
      // After text went downstream: still overloaded, no longer retryable.
      const texts: Array<string> = []
      const late = yield* Effect.flip(
        Stream.runForEach(h.provider.stream(call()), (c) =>
          Effect.sync(() => {
            if (c._tag === "TextDelta") texts.push(c.text)
          })
        )
      )
      assert.isAbove(texts.length, 0)
      assert.strictEqual(late.kind, "stream")
      assert.strictEqual(late.errorType, "overloaded_error")
      assert.isTrue(late.responseBytesReceived)
      assert.deepInclude(classify(late), { class: "overloaded", scope: "provider", retryable: false })
    }).pipe(Effect.scoped)
  )

  it.effect("overloaded_in_stream without streaming is the plain 529", () =>
    Effect.gen(function* () {
      const h = yield* harness({ script: [{ sequence: ["overloaded_in_stream"] }] })
      const f = yield* Effect.flip(h.provider.complete(call()))
      assert.strictEqual(f.status, 529)
      assert.strictEqual(f.errorType, "overloaded_error")
    }).pipe(Effect.scoped)
  )

  it.effect(
    "a refusal (input_blocked) is an HTTP-200 Completion the classifier turns into content/content_policy",
    () =>
      Effect.gen(function* () {
        const h = yield* harness({ script: [{ sequence: ["input_blocked", "refusal"] }] })
        for (const _ of [0, 1]) {
          const c = yield* h.provider.complete(call())
          assert.strictEqual(c.finishReason, "refusal")
          const f = contentFailureOf(c, { providerId: "secondary", keyId: keyA.id })
          assert.isDefined(f)
          assert.deepInclude(classify(f!), { class: "content_policy", scope: "content" })
        }
      }).pipe(Effect.scoped)
  )
})
