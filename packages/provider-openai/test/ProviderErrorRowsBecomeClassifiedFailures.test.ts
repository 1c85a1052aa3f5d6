import { classify } from "@am/classifier"
import type { FailureClass, FailureScope } from "@am/core"
import type { FaultName } from "@am/testkit"
import { Upstream } from "@am/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { make } from "../src/index.ts"
import { failureOf, key1, streamFailureOf } from "./support.ts"

interface Row {
  readonly fault: FaultName
  readonly status: number
  readonly errorType?: string
  readonly errorCode?: string
  readonly message: RegExp
  readonly class: FailureClass
  readonly scope: FailureScope
  readonly rateLimit?: boolean
}

// One row per OpenAI cell of provider-signals.md A.9, as the fake upstream sends it.
const rows: ReadonlyArray<Row> = [
  {
    fault: "rate_limit",
    status: 429,
    errorType: "requests",
    errorCode: "rate_limit_exceeded",
    message: /Please try again in/,
    class: "rate_limit",
    scope: "key",
    rateLimit: true
  },
  {
    fault: "rate_limit_tokens",
    status: 429,
    errorType: "tokens",
    errorCode: "rate_limit_exceeded",
    message: /tokens per min/,
    class: "rate_limit",
    scope: "key",
    rateLimit: true
  },
  {
    fault: "request_exceeds_tpm",
    status: 429,
    errorType: "tokens",
    errorCode: "rate_limit_exceeded",
    message: /^Request too large/,
    class: "request_too_large",
    scope: "request"
  },
  {
    fault: "slow_down",
    status: 429,
    errorType: "slow_down",
    errorCode: "slow_down",
    message: /sudden increase/,
    class: "rate_limit",
    scope: "key"
  },
  {
    fault: "quota_exhausted",
    status: 429,
    errorType: "insufficient_quota",
    errorCode: "insufficient_quota",
    message: /exceeded your current quota/,
    class: "quota_exhausted",
    scope: "key"
  },
  {
    fault: "overloaded",
    status: 503,
    errorType: "server_error",
    errorCode: "server_is_overloaded",
    message: /currently overloaded/,
    class: "overloaded",
    scope: "provider"
  },
  {
    fault: "server_error",
    status: 500,
    errorType: "server_error",
    message: /server had an error/,
    class: "server_error",
    scope: "provider"
  },
  { fault: "bad_gateway", status: 502, message: /^502 Bad Gateway$/, class: "server_error", scope: "provider" },
  {
    fault: "gateway_timeout",
    status: 504,
    message: /^504 Gateway Time-out$/,
    class: "server_error",
    scope: "provider"
  },
  {
    fault: "invalid_key",
    status: 401,
    errorType: "invalid_request_error",
    errorCode: "invalid_api_key",
    message: /^Incorrect API key provided: \[REDACTED\]/,
    class: "auth_invalid",
    scope: "key"
  },
  {
    fault: "permission_denied",
    status: 403,
    errorCode: "unsupported_country_region_territory",
    message: /region/,
    class: "permission_denied",
    scope: "key"
  },
  {
    fault: "model_not_found",
    status: 404,
    errorType: "invalid_request_error",
    errorCode: "model_not_found",
    message: /does not exist/,
    class: "model_not_found",
    scope: "model"
  },
  {
    fault: "context_length_exceeded",
    status: 400,
    errorType: "invalid_request_error",
    errorCode: "context_length_exceeded",
    message: /maximum context length/,
    class: "context_length_exceeded",
    scope: "model"
  },
  { fault: "request_too_large", status: 413, message: /too large/, class: "request_too_large", scope: "request" },
  {
    fault: "malformed_request",
    status: 400,
    errorType: "invalid_request_error",
    message: /Invalid value/,
    class: "invalid_request",
    scope: "request"
  },
  {
    fault: "unprocessable",
    status: 422,
    message: /could not be processed/,
    class: "invalid_request",
    scope: "request"
  },
  { fault: "conflict", status: 409, message: /conflicts/, class: "conflict", scope: "provider" },
  {
    fault: "input_blocked",
    status: 400,
    errorCode: "content_policy_violation",
    message: /safety system/,
    class: "content_policy",
    scope: "content"
  },
  {
    fault: "invalid_prompt",
    status: 400,
    errorCode: "invalid_prompt",
    message: /^Invalid prompt/,
    class: "content_policy",
    scope: "content"
  }
]

describe("every OpenAI error row becomes the right ProviderFailure and classification", () => {
  for (const row of rows) {
    it.effect(`${row.fault} → ${row.status} ${row.class}/${row.scope}`, () =>
      Effect.gen(function* () {
        const upstream = yield* Upstream.scoped({ kind: "openai", script: [{ sequence: [row.fault, row.fault] }] })
        const provider = make({ id: "primary", baseURL: upstream.baseURL })
        // The same failure whether the call was a whole answer or a stream (the error precedes the stream).
        for (const failure of [yield* failureOf(provider), yield* streamFailureOf(provider)]) {
          assert.deepInclude(failure, {
            provider: "openai",
            providerId: "primary",
            model: "gpt-4o",
            keyId: "k1",
            keyFingerprint: key1.fingerprint,
            kind: "http",
            status: row.status,
            responseBytesReceived: true
          })
          if (row.errorType !== undefined) assert.strictEqual(failure.errorType, row.errorType)
          if (row.errorCode !== undefined) assert.strictEqual(failure.errorCode, row.errorCode)
          assert.match(failure.message, row.message)
          assert.match(failure.requestId ?? "", /^req_/)
          if (row.rateLimit === true) {
            assert.strictEqual(failure.rateLimit?.["x-ratelimit-limit-requests"], "500")
            assert.isDefined(failure.rateLimit?.["x-ratelimit-reset-requests"])
          }
          const c = classify(failure)
          assert.strictEqual(c.class, row.class)
          assert.strictEqual(c.scope, row.scope)
        }
        assert.strictEqual(upstream.requests.length, 2, "no SDK retries")
      })
    )
  }

  it.effect("the announced wait travels in the rate-limit headers, where the classifier finds it", () =>
    Effect.gen(function* () {
      // The fake OpenAI upstream announces waits in the message and the reset headers, as OpenAI does.
      const upstream = yield* Upstream.scoped({
        kind: "openai",
        script: [{ sequence: [{ fault: "rate_limit", retryAfterMs: 2500 }] }]
      })
      const failure = yield* failureOf(make({ id: "primary", baseURL: upstream.baseURL }))
      assert.strictEqual(failure.rateLimit?.["x-ratelimit-reset-requests"], "2.5s")
      assert.strictEqual(classify(failure).retryAfterMs, 2500)
    })
  )
})
