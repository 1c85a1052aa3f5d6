import { Classification, type ProviderFailure } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import fc from "fast-check"
import { classify, rules } from "../src/index.ts"

const PROVIDERS = ["openai", "openai-compatible", "anthropic", "gemini"]
const KINDS = ["http", "network", "timeout", "stream", "content", "decode"]
const STATUSES = [200, 400, 401, 402, 403, 404, 408, 409, 413, 422, 429, 500, 502, 503, 504, 529]
const TYPES = [
  "rate_limit_error",
  "overloaded_error",
  "invalid_request_error",
  "insufficient_quota",
  "tokens",
  "requests",
  "RESOURCE_EXHAUSTED",
  "INVALID_ARGUMENT",
  "FAILED_PRECONDITION",
  "UNAVAILABLE",
  "INTERNAL",
  "api_error"
]
const CODES = [
  "rate_limit_exceeded",
  "insufficient_quota",
  "context_length_exceeded",
  "model_not_found",
  "slow_down",
  "enforced_spend_limit_reached",
  "API_KEY_INVALID",
  "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
  "content_policy_violation",
  "MALFORMED_FUNCTION_CALL"
]
const MESSAGES = [
  "Please try again in 1.574s.",
  "Please retry in 45.578569677s.",
  "Please try again in 99999999999999999999999999999999999999999999999999h.",
  "prompt is too long: 208656 tokens > 200000 maximum",
  "Request too large for gpt-4o on tokens per min",
  "The input token count (3475108) exceeds the maximum number of tokens allowed (1048576).",
  "limit: 0, model: gemini-3-pro",
  "Please retry after 6 seconds."
]
const HEADERS = [
  "x-ratelimit-reset-requests",
  "x-ratelimit-reset-tokens",
  "x-ratelimit-remaining-requests",
  "x-ratelimit-remaining-tokens",
  "anthropic-ratelimit-tokens-reset",
  "anthropic-ratelimit-tokens-remaining",
  "quota-id"
]
const HEADER_VALUES = ["0", "-1", "7", "6m0s", "12ms", "2026-03-01T12:00:30Z", "1741305600000", "1e400", "NaN", ""]

const known = <T>(values: ReadonlyArray<T>, noise: fc.Arbitrary<T>) => fc.oneof(fc.constantFrom(...values), noise)
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined })

/**
 * Failures as sloppy as a buggy adapter or a JavaScript caller could make them: known signals
 * mixed with noise, out-of-range numbers (NaN, negative, infinite delays) and missing fields. The
 * schema would reject some of these; the classifier must still answer.
 */
const anyFailure: fc.Arbitrary<ProviderFailure> = fc
  .record({
    _tag: fc.constant("ProviderFailure"),
    provider: known(PROVIDERS, fc.string()),
    kind: known(KINDS, fc.string()),
    status: maybe(fc.oneof(fc.constantFrom(...STATUSES), fc.integer({ min: -10, max: 1000 }), fc.double())),
    errorType: maybe(known(TYPES, fc.string())),
    errorCode: maybe(known(CODES, fc.string())),
    message: fc.oneof(fc.constantFrom(...MESSAGES), fc.string(), fc.constant(undefined)),
    retryAfterMs: maybe(fc.oneof(fc.double(), fc.constantFrom(Number.NaN, -1, Number.POSITIVE_INFINITY))),
    rateLimit: maybe(fc.dictionary(known(HEADERS, fc.string()), known(HEADER_VALUES, fc.string()))),
    responseBytesReceived: fc.oneof(fc.boolean(), fc.constant(undefined)),
    finishReason: maybe(known(["content_filter", "refusal", "SAFETY", "MALFORMED_FUNCTION_CALL"], fc.string())),
    blockReason: maybe(known(["SAFETY", "PROHIBITED_CONTENT", "BLOCKED_REASON_UNSPECIFIED"], fc.string()))
  })
  .map((raw) => raw as unknown as ProviderFailure)

const isClassification = Schema.is(Classification)
const RULE_NAMES = new Set(rules.map((r) => r.name))
const NOW = () => Date.parse("2026-03-01T12:00:00Z")

describe("classify is total", () => {
  it("never throws, and always answers a valid Classification naming a table row", () => {
    fc.assert(
      fc.property(anyFailure, (f) => {
        const c = classify(f, { now: NOW })
        assert.isTrue(isClassification(c), JSON.stringify(c))
        assert.isTrue(RULE_NAMES.has(c.rule), c.rule)
      }),
      { numRuns: 3000 }
    )
  })

  it("retryAfterMs is never negative, NaN or infinite", () => {
    fc.assert(
      fc.property(anyFailure, (f) => {
        const { retryAfterMs } = classify(f, { now: NOW })
        if (retryAfterMs !== undefined) assert.isTrue(Number.isFinite(retryAfterMs) && retryAfterMs >= 0)
      }),
      { numRuns: 3000 }
    )
  })

  it("error.type stays a short token (low-cardinality for OpenTelemetry), whatever the provider sent", () => {
    fc.assert(
      fc.property(anyFailure, (f) => {
        assert.match(classify(f, { now: NOW }).errorType, /^[A-Za-z0-9_.:-]{1,64}$/)
      }),
      { numRuns: 3000 }
    )
  })

  it("model-, request- and content-scoped answers never carry a retry-after (waiting does not help)", () => {
    fc.assert(
      fc.property(anyFailure, (f) => {
        const c = classify(f, { now: NOW })
        if (c.scope === "model" || c.scope === "request" || c.scope === "content") assert.isUndefined(c.retryAfterMs)
      }),
      { numRuns: 2000 }
    )
  })
})

describe("content outcomes never count as provider failures", () => {
  it("a failure of kind content is never provider-scoped and never blindly retried", () => {
    fc.assert(
      fc.property(anyFailure, (f) => {
        const c = classify({ ...f, kind: "content" } as ProviderFailure, { now: NOW })
        assert.notStrictEqual(c.scope, "provider")
        assert.isFalse(c.retryable)
      }),
      { numRuns: 2000 }
    )
  })
})

describe("unknown signals", () => {
  // Prefixed values cannot collide with a provider's real type or code.
  const unrecognised = fc
    .record({
      provider: known(
        PROVIDERS,
        fc.string().map((s) => `other-${s}`)
      ),
      status: maybe(fc.integer({ min: 100, max: 399 })),
      errorType: maybe(fc.string().map((s) => `x-${s}`)),
      errorCode: maybe(fc.string().map((s) => `x-${s}`)),
      message: fc.oneof(fc.string(), fc.constantFrom(...MESSAGES)),
      responseBytesReceived: fc.boolean()
    })
    .map((raw) => ({ _tag: "ProviderFailure", kind: "http", ...raw }) as unknown as ProviderFailure)

  it("classify as unknown: provider scope, retryable (transient, bounded by the engine)", () => {
    fc.assert(
      fc.property(unrecognised, (f) => {
        const c = classify(f, { now: NOW })
        assert.deepStrictEqual([c.class, c.scope, c.retryable, c.rule], ["unknown", "provider", true, "unknown"])
      }),
      { numRuns: 2000 }
    )
  })
})
