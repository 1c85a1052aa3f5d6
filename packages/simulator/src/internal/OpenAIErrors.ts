/** OpenAI's error answers: `{"error":{"message","type","param","code"}}`, with its rate-limit headers. */
import type { ProviderFaultName } from "../FaultScript.ts"
import type { Ctx, Failure, Rendered } from "./Wire.ts"
import { goDuration, html, JSON_TYPE, maskKey } from "./Wire.ts"

const DEFAULT_RETRY_MS = 1574
const RPM = 500
const TPM = 30000

export const err = (
  ctx: Ctx,
  status: number,
  type: string,
  code: string | null,
  message: string,
  param: string | null = null,
  headers: Record<string, string> = {}
): Failure => ({
  _tag: "Failure",
  status: ctx.options?.status ?? status,
  headers,
  contentType: JSON_TYPE,
  body: JSON.stringify({ error: { message: ctx.options?.message ?? message, type, param, code } })
})

export const rateHeaders = (
  ctx: Ctx,
  exhausted: "requests" | "tokens" | "none",
  ms: number
): Record<string, string> => ({
  "x-ratelimit-limit-requests": String(RPM),
  "x-ratelimit-limit-tokens": String(TPM),
  "x-ratelimit-remaining-requests": exhausted === "requests" ? "0" : String(RPM - 1),
  "x-ratelimit-remaining-tokens": exhausted === "tokens" ? "0" : String(Math.max(0, TPM - ctx.inputTokens)),
  "x-ratelimit-reset-requests": exhausted === "requests" ? goDuration(ms) : "120ms",
  "x-ratelimit-reset-tokens": exhausted === "tokens" ? goDuration(ms) : "2ms"
})

const tryAgain = (ms: number) => `Please try again in ${goDuration(ms)}.`
const LIMITS_URL = "Visit https://platform.openai.com/account/rate-limits to learn more."

export const failureFor = (name: ProviderFaultName, ctx: Ctx): Rendered | undefined => {
  const ms = ctx.options?.retryAfterMs ?? DEFAULT_RETRY_MS
  const model = ctx.model
  switch (name) {
    case "rate_limit":
      return err(
        ctx,
        429,
        "requests",
        "rate_limit_exceeded",
        `Rate limit reached for ${model} in organization org-testkit on requests per min (RPM): Limit ${RPM}, Used ${RPM}, Requested 1. ${tryAgain(ms)} ${LIMITS_URL}`,
        null,
        rateHeaders(ctx, "requests", ms)
      )
    case "rate_limit_tokens":
      return err(
        ctx,
        429,
        "tokens",
        "rate_limit_exceeded",
        `Rate limit reached for ${model} in organization org-testkit on tokens per min (TPM): Limit ${TPM}, Used ${TPM - 120}, Requested ${ctx.inputTokens + 200}. ${tryAgain(ms)} ${LIMITS_URL}`,
        null,
        rateHeaders(ctx, "tokens", ms)
      )
    case "request_exceeds_tpm":
      return err(
        ctx,
        429,
        "tokens",
        "rate_limit_exceeded",
        `Request too large for ${model} in organization org-testkit on tokens per min (TPM): Limit ${TPM}, Requested ${Math.max(TPM + 601, ctx.inputTokens)}. The input or output tokens must be reduced in order to run successfully. ${LIMITS_URL}`,
        null,
        rateHeaders(ctx, "none", ms)
      )
    case "slow_down":
      return err(
        ctx,
        429,
        "slow_down",
        "slow_down",
        "A sudden increase in your request rate is impacting service reliability. Please reduce your request rate to its original level, maintain a consistent rate for at least 15 minutes, and then gradually increase it."
      )
    case "quota_exhausted":
    case "spend_limit":
    case "billing_error":
      return err(
        ctx,
        429,
        "insufficient_quota",
        "insufficient_quota",
        "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors."
      )
    case "overloaded":
    case "overloaded_in_stream":
      return err(
        ctx,
        503,
        "server_error",
        "server_is_overloaded",
        "The engine is currently overloaded, please try again later."
      )
    case "server_error":
      return err(
        ctx,
        500,
        "server_error",
        null,
        `The server had an error while processing your request. Sorry about that! You can retry your request, or contact us through our help center at help.openai.com if the error persists. (Please include the request ID ${ctx.requestId} in your message.)`
      )
    case "bad_gateway":
      return html(ctx.options?.status ?? 502, "Bad Gateway", "cloudflare")
    case "gateway_timeout":
      return html(ctx.options?.status ?? 504, "Gateway Time-out", "cloudflare")
    case "invalid_key":
      return err(
        ctx,
        401,
        "invalid_request_error",
        "invalid_api_key",
        `Incorrect API key provided: ${maskKey(ctx.key)}. You can find your API key at https://platform.openai.com/account/api-keys.`
      )
    case "permission_denied":
      return err(
        ctx,
        403,
        "request_forbidden",
        "unsupported_country_region_territory",
        "Country, region, or territory not supported"
      )
    case "model_not_found":
      return err(
        ctx,
        404,
        "invalid_request_error",
        "model_not_found",
        `The model \`${model}\` does not exist or you do not have access to it.`
      )
    case "context_length_exceeded": {
      const tokens = Math.max(ctx.inputTokens, 8227)
      return err(
        ctx,
        400,
        "invalid_request_error",
        "context_length_exceeded",
        `This model's maximum context length is 8192 tokens. However, your messages resulted in ${tokens} tokens. Please reduce the length of the messages.`,
        "messages"
      )
    }
    case "request_too_large":
      return err(
        ctx,
        413,
        "invalid_request_error",
        "request_too_large",
        "Request too large: the request body exceeds the maximum allowed size."
      )
    case "malformed_request":
      return err(
        ctx,
        400,
        "invalid_request_error",
        ctx.req.invalid !== undefined ? "missing_required_parameter" : "invalid_value",
        ctx.req.invalid?.message ?? "Invalid value for 'temperature': expected a number between 0 and 2.",
        ctx.req.invalid?.param ?? "temperature"
      )
    case "unprocessable":
      return err(
        ctx,
        422,
        "invalid_request_error",
        null,
        "The request was well-formed but could not be processed: unsupported combination of parameters."
      )
    case "conflict":
      return err(
        ctx,
        409,
        "invalid_request_error",
        null,
        "The request conflicts with another request in progress. Please try again."
      )
    case "input_blocked":
      return err(
        ctx,
        400,
        "invalid_request_error",
        "content_policy_violation",
        "Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system."
      )
    case "invalid_prompt":
      return err(
        ctx,
        400,
        "invalid_request_error",
        "invalid_prompt",
        "Invalid prompt: your prompt was flagged as potentially violating our usage policy. Please try again with a different prompt: https://platform.openai.com/docs/guides/reasoning#advice-on-prompting"
      )
  }
}

/** A bare HTTP status step: the fault with that status where there is one, else a generic body. */
export const statusFailure = (status: number, ctx: Ctx): Failure => {
  const byStatus: Record<number, ProviderFaultName> = {
    400: "malformed_request",
    401: "invalid_key",
    403: "permission_denied",
    404: "model_not_found",
    409: "conflict",
    413: "request_too_large",
    422: "unprocessable",
    429: "rate_limit",
    500: "server_error",
    502: "bad_gateway",
    503: "overloaded",
    504: "gateway_timeout"
  }
  const name = byStatus[status]
  if (name !== undefined) return failureFor(name, ctx) as Failure
  return err(
    ctx,
    status,
    status >= 500 ? "server_error" : "invalid_request_error",
    null,
    `Request failed with status ${status}.`
  )
}
