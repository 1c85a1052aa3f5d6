/** Anthropic's error answers: `{"type":"error","error":{"type","message","details"},"request_id"}`, with its rate-limit headers. */
import type { ProviderFaultName } from "../FaultScript.ts"
import type { Ctx, Failure, Rendered } from "./Wire.ts"
import { html, JSON_TYPE } from "./Wire.ts"

const DEFAULT_RETRY_MS = 7000
const RPM = 50
const ITPM = 40000
const OTPM = 8000

const body = (ctx: Ctx, type: string, message: string, details: unknown = null) =>
  JSON.stringify({
    type: "error",
    error: { type, message: ctx.options?.message ?? message, details },
    request_id: `req_${ctx.requestId}`
  })

export const err = (
  ctx: Ctx,
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
  details: unknown = null
): Failure => ({
  _tag: "Failure",
  status: ctx.options?.status ?? status,
  headers,
  contentType: JSON_TYPE,
  body: body(ctx, type, message, details)
})

const rfc3339 = (ms: number) => new Date(Math.ceil((Date.now() + ms) / 1000) * 1000).toISOString().replace(".000Z", "Z")

/** `anthropic-ratelimit-*`; `exhausted` names the bucket that is empty and resets after `ms`. */
export const rateHeaders = (
  ctx: Ctx,
  exhausted: "requests" | "input-tokens" | "none",
  ms: number
): Record<string, string> => {
  const soon = rfc3339(exhausted === "none" ? 1000 : ms)
  const inputRemaining = exhausted === "input-tokens" ? 0 : Math.max(0, ITPM - ctx.inputTokens)
  return {
    "anthropic-ratelimit-requests-limit": String(RPM),
    "anthropic-ratelimit-requests-remaining": exhausted === "requests" ? "0" : String(RPM - 1),
    "anthropic-ratelimit-requests-reset": soon,
    "anthropic-ratelimit-input-tokens-limit": String(ITPM),
    "anthropic-ratelimit-input-tokens-remaining": String(inputRemaining),
    "anthropic-ratelimit-input-tokens-reset": soon,
    "anthropic-ratelimit-output-tokens-limit": String(OTPM),
    "anthropic-ratelimit-output-tokens-remaining": String(OTPM),
    "anthropic-ratelimit-output-tokens-reset": soon,
    "anthropic-ratelimit-tokens-limit": String(ITPM + OTPM),
    "anthropic-ratelimit-tokens-remaining": String(inputRemaining + OTPM),
    "anthropic-ratelimit-tokens-reset": soon
  }
}

const retryAfter = (ms: number) => String(Math.max(1, Math.ceil(ms / 1000)))

const nextMonth = () => {
  const d = new Date()
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)).toISOString().slice(0, 10)
}

export const failureFor = (name: ProviderFaultName, ctx: Ctx): Rendered | undefined => {
  const ms = ctx.options?.retryAfterMs ?? DEFAULT_RETRY_MS
  switch (name) {
    case "rate_limit":
      return err(
        ctx,
        429,
        "rate_limit_error",
        `This request would exceed the rate limit for your organization (org-testkit) of ${RPM} requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later. You may also contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate limit increase.`,
        { "retry-after": retryAfter(ms), ...rateHeaders(ctx, "requests", ms) }
      )
    case "rate_limit_tokens":
      return err(
        ctx,
        429,
        "rate_limit_error",
        `This request would exceed the rate limit for your organization (org-testkit) of 40,000 input tokens per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later. You may also contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate limit increase.`,
        { "retry-after": retryAfter(ms), ...rateHeaders(ctx, "input-tokens", ms) }
      )
    case "slow_down":
      return err(
        ctx,
        429,
        "rate_limit_error",
        "This request would exceed your organization's ramp limit: usage is increasing too quickly. Please ramp up your traffic gradually and try again after the time in the retry-after header.",
        { "retry-after": retryAfter(ms), ...rateHeaders(ctx, "requests", ms) },
        // The acceleration limit; @anthropic-ai/sdk maps this code to RampLimitExceededError.
        { error_code: "ramp_limit_exceeded" }
      )
    case "request_exceeds_tpm":
    case "request_too_large":
      return err(ctx, 413, "request_too_large", "Request exceeds the maximum allowed number of bytes.")
    case "quota_exhausted":
      return err(
        ctx,
        429,
        "rate_limit_error",
        `You have reached your specified workspace API usage limits. You will regain access on ${nextMonth()} at 00:00 UTC.`,
        { ...rateHeaders(ctx, "none", 0) },
        { error_code: "enforced_spend_limit_reached" }
      )
    case "spend_limit":
      return err(
        ctx,
        400,
        "invalid_request_error",
        `You have reached your specified API usage limits. You will regain access on ${nextMonth()} at 00:00 UTC.`
      )
    case "billing_error":
      return err(
        ctx,
        402,
        "billing_error",
        "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."
      )
    case "overloaded":
    case "overloaded_in_stream":
      return err(ctx, 529, "overloaded_error", "Overloaded", { "x-should-retry": "true" })
    case "server_error":
      return err(ctx, 500, "api_error", "Internal server error")
    case "bad_gateway":
      return html(ctx.options?.status ?? 502, "Bad Gateway", "cloudflare")
    case "gateway_timeout":
      return err(ctx, 504, "timeout_error", "Request timeout")
    case "invalid_key":
      return err(ctx, 401, "authentication_error", "invalid x-api-key")
    case "permission_denied":
      return err(ctx, 403, "permission_error", "Your API key does not have permission to use the specified resource.")
    case "model_not_found":
      return err(ctx, 404, "not_found_error", `model: ${ctx.model}`)
    case "context_length_exceeded":
      return err(
        ctx,
        400,
        "invalid_request_error",
        `prompt is too long: ${Math.max(ctx.inputTokens, 208656)} tokens > 200000 maximum`
      )
    case "malformed_request":
      return err(ctx, 400, "invalid_request_error", ctx.req.invalid?.message ?? "messages.0.content: Field required")
    case "unprocessable":
      return err(ctx, 422, "invalid_request_error", 'messages: roles must alternate between "user" and "assistant"')
    case "conflict":
      return err(ctx, 409, "conflict_error", "Another request is modifying this resource. Please try again.")
    case "input_blocked":
    case "invalid_prompt":
      return undefined
  }
}

/** A bare HTTP status step: the fault with that status where there is one, else a generic body. */
export const statusFailure = (status: number, ctx: Ctx): Failure => {
  const byStatus: Record<number, ProviderFaultName> = {
    400: "malformed_request",
    401: "invalid_key",
    402: "billing_error",
    403: "permission_denied",
    404: "model_not_found",
    409: "conflict",
    413: "request_too_large",
    422: "unprocessable",
    429: "rate_limit",
    500: "server_error",
    502: "bad_gateway",
    504: "gateway_timeout",
    529: "overloaded"
  }
  const name = byStatus[status]
  if (name !== undefined) return failureFor(name, ctx) as Failure
  return err(ctx, status, status >= 500 ? "api_error" : "invalid_request_error", `Request failed with status ${status}`)
}
