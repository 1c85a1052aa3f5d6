import { classify } from "@am/classifier"
import type { FailureClass, FailureScope, ProviderFailure } from "@am/core"
import type { FaultName, Step } from "@am/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { call, gemini, keyA } from "./support.ts"

interface Row {
  readonly step: Step
  readonly status: number
  readonly errorType: string | undefined
  readonly errorCode?: string
  readonly retryAfterMs?: number
  readonly class: FailureClass
  readonly scope: FailureScope
}

// One row per Gemini column of provider-signals.md A.9, as the fake upstream sends it.
const rows: ReadonlyArray<[FaultName | string, Row]> = [
  [
    "rate_limit",
    {
      step: "rate_limit",
      status: 429,
      errorType: "RESOURCE_EXHAUSTED",
      errorCode: "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
      retryAfterMs: 22_000,
      class: "rate_limit",
      scope: "key"
    }
  ],
  [
    "rate_limit with a custom RetryInfo",
    {
      step: { fault: "rate_limit", retryAfterMs: 1500 },
      status: 429,
      errorType: "RESOURCE_EXHAUSTED",
      errorCode: "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
      retryAfterMs: 1500,
      class: "rate_limit",
      scope: "key"
    }
  ],
  [
    "rate_limit_tokens",
    {
      step: "rate_limit_tokens",
      status: 429,
      errorType: "RESOURCE_EXHAUSTED",
      errorCode: "GenerateContentInputTokensPerModelPerMinute-FreeTier",
      retryAfterMs: 22_000,
      class: "rate_limit",
      scope: "key"
    }
  ],
  [
    "quota_exhausted (daily)",
    {
      step: "quota_exhausted",
      status: 429,
      errorType: "RESOURCE_EXHAUSTED",
      errorCode: "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
      class: "quota_exhausted",
      scope: "key"
    }
  ],
  [
    "billing_error (FAILED_PRECONDITION)",
    { step: "billing_error", status: 400, errorType: "FAILED_PRECONDITION", class: "quota_exhausted", scope: "key" }
  ],
  ["overloaded", { step: "overloaded", status: 503, errorType: "UNAVAILABLE", class: "overloaded", scope: "provider" }],
  [
    "server_error",
    { step: "server_error", status: 500, errorType: "INTERNAL", class: "server_error", scope: "provider" }
  ],
  [
    "bad_gateway (HTML from the front end)",
    { step: "bad_gateway", status: 502, errorType: undefined, class: "server_error", scope: "provider" }
  ],
  [
    "gateway_timeout",
    { step: "gateway_timeout", status: 504, errorType: "DEADLINE_EXCEEDED", class: "server_error", scope: "provider" }
  ],
  [
    "invalid_key (400 + API_KEY_INVALID, not 401)",
    {
      step: "invalid_key",
      status: 400,
      errorType: "INVALID_ARGUMENT",
      errorCode: "API_KEY_INVALID",
      class: "auth_invalid",
      scope: "key"
    }
  ],
  [
    "permission_denied",
    { step: "permission_denied", status: 403, errorType: "PERMISSION_DENIED", class: "permission_denied", scope: "key" }
  ],
  [
    "model_not_found",
    { step: "model_not_found", status: 404, errorType: "NOT_FOUND", class: "model_not_found", scope: "model" }
  ],
  [
    "context_length_exceeded",
    {
      step: "context_length_exceeded",
      status: 400,
      errorType: "INVALID_ARGUMENT",
      class: "context_length_exceeded",
      scope: "model"
    }
  ],
  [
    "request_too_large",
    {
      step: "request_too_large",
      status: 400,
      errorType: "INVALID_ARGUMENT",
      class: "request_too_large",
      scope: "request"
    }
  ],
  [
    "malformed_request",
    {
      step: "malformed_request",
      status: 400,
      errorType: "INVALID_ARGUMENT",
      class: "invalid_request",
      scope: "request"
    }
  ],
  [
    "unprocessable",
    { step: "unprocessable", status: 400, errorType: "INVALID_ARGUMENT", class: "invalid_request", scope: "request" }
  ],
  ["conflict", { step: "conflict", status: 409, errorType: "ABORTED", class: "conflict", scope: "provider" }]
]

const failureOf = (step: Step) =>
  Effect.gen(function* () {
    const { upstream, provider } = yield* gemini({ script: [{ sequence: [step] }] })
    const failure: ProviderFailure = yield* Effect.flip(provider.complete(call()))
    return { failure, attempts: upstream.requests.length }
  }).pipe(Effect.scoped)

describe("every Gemini error row becomes the right ProviderFailure and classification", () => {
  for (const [name, row] of rows) {
    it.live(name, () =>
      Effect.gen(function* () {
        const { failure, attempts } = yield* failureOf(row.step)
        // The SDK's own retries are off: one call is one request, even for 429/5xx.
        assert.strictEqual(attempts, 1)
        assert.strictEqual(failure.kind, "http")
        assert.strictEqual(failure.status, row.status)
        assert.strictEqual(failure.errorType, row.errorType)
        assert.strictEqual(failure.errorCode, row.errorCode)
        assert.strictEqual(failure.retryAfterMs, row.retryAfterMs)
        assert.isTrue(failure.responseBytesReceived)
        assert.strictEqual(failure.provider, "gemini")
        assert.strictEqual(failure.providerId, "primary")
        assert.strictEqual(failure.keyId, keyA.id)
        assert.strictEqual(failure.keyFingerprint, keyA.fingerprint)
        assert.isAbove(failure.message.length, 0)
        const c = classify(failure)
        assert.strictEqual(c.class, row.class, `classified by ${c.rule}`)
        assert.strictEqual(c.scope, row.scope, `classified by ${c.rule}`)
        if (row.retryAfterMs !== undefined) assert.strictEqual(c.retryAfterMs, row.retryAfterMs)
      })
    )
  }

  it.live("an unknown key is rejected by the upstream as API_KEY_INVALID and lands in the key scope", () =>
    Effect.gen(function* () {
      const { provider } = yield* gemini({ keys: ["AIzaSy-some-other-key-000000000000000"] })
      const failure = yield* Effect.flip(provider.complete(call()))
      assert.strictEqual(failure.errorCode, "API_KEY_INVALID")
      assert.strictEqual(classify(failure).class, "auth_invalid")
    }).pipe(Effect.scoped)
  )
})
