// biome-ignore-all lint/suspicious/noThenProperty: a rule's `then` is a plain object, never a function, so a rule is not a thenable.
/** Any provider, by HTTP status; then `unknown`. */
import { type ClassificationRule, unknownRule } from "../../ClassificationRule.ts"
import { status, statusIn } from "../Predicates.ts"

// --- Any provider, by HTTP status --------------------------------------------------------------------

const http = (code: number, then: ClassificationRule["then"], name = `http.${code}`): ClassificationRule => ({
  name,
  when: status(code),
  then: { errorTypeFrom: ["errorCode", "errorType"], ...then }
})

export const httpRules: ReadonlyArray<ClassificationRule> = [
  http(400, { class: "invalid_request", scope: "request", retryable: false, errorType: "invalid_request" }),
  http(401, { class: "auth_invalid", scope: "key", retryable: false, errorType: "authentication_error" }),
  http(402, { class: "quota_exhausted", scope: "key", retryable: false, errorType: "billing_error" }),
  http(403, { class: "permission_denied", scope: "key", retryable: false, errorType: "permission_denied" }),
  http(404, { class: "model_not_found", scope: "model", retryable: false, errorType: "not_found" }),
  http(408, { class: "timeout", scope: "provider", retryable: true, errorType: "request_timeout" }),
  http(409, { class: "conflict", scope: "provider", retryable: true, errorType: "conflict" }),
  http(413, { class: "request_too_large", scope: "request", retryable: false, errorType: "request_too_large" }),
  http(422, { class: "invalid_request", scope: "request", retryable: false, errorType: "unprocessable_entity" }),
  http(429, { class: "rate_limit", scope: "key", retryable: true, errorType: "rate_limit", retryAfter: "rate-limit" }),
  http(500, { class: "server_error", scope: "provider", retryable: true, errorType: "server_error" }),
  http(502, { class: "server_error", scope: "provider", retryable: true, errorType: "bad_gateway" }),
  http(503, { class: "overloaded", scope: "provider", retryable: true, errorType: "overloaded" }),
  http(504, { class: "server_error", scope: "provider", retryable: true, errorType: "gateway_timeout" }),
  http(529, { class: "overloaded", scope: "provider", retryable: true, errorType: "overloaded" }),
  {
    // Other client errors are deterministic: Anthropic documents "other unlisted 4XX" as invalid_request_error.
    name: "http.4xx",
    when: statusIn(400, 499),
    then: {
      class: "invalid_request",
      scope: "request",
      retryable: false,
      errorType: "invalid_request",
      errorTypeFrom: ["errorCode", "errorType", "status"]
    }
  },
  {
    name: "http.5xx",
    when: statusIn(500, 599),
    then: {
      class: "server_error",
      scope: "provider",
      retryable: true,
      errorType: "server_error",
      errorTypeFrom: ["errorCode", "errorType", "status"]
    }
  },
  unknownRule
]
