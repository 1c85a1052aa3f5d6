/** Gemini's error answers: google.rpc statuses `{"error":{"code","message","status","details"?}}`, pretty-printed as Google sends them. */
import type { ProviderFaultName } from "../FaultScript.ts"
import type { Ctx, Failure, Rendered } from "./Wire.ts"
import { html, protoDuration } from "./Wire.ts"

const DEFAULT_RETRY_MS = 22000
const JSON_UTF8 = "application/json; charset=UTF-8"

/** google.rpc.Code → HTTP status, for numeric steps without a dedicated fault. */
const STATUS_NAME: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  409: "ABORTED",
  429: "RESOURCE_EXHAUSTED",
  499: "CANCELLED",
  500: "INTERNAL",
  501: "UNIMPLEMENTED",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED"
}

export const errorObject = (code: number, status: string, message: string, details?: Array<unknown>) => ({
  error: { code, message, status, ...(details !== undefined ? { details } : {}) }
})

export const err = (ctx: Ctx, code: number, status: string, message: string, details?: Array<unknown>): Failure => {
  const http = ctx.options?.status ?? code
  return {
    _tag: "Failure",
    status: http,
    headers: { vary: "Origin, X-Origin, Referer", server: "scaffolding on HTTPServer2" },
    contentType: JSON_UTF8,
    body: JSON.stringify(errorObject(http, status, ctx.options?.message ?? message, details), null, 2)
  }
}

const HELP = {
  "@type": "type.googleapis.com/google.rpc.Help",
  links: [
    { description: "Learn more about Gemini API quotas", url: "https://ai.google.dev/gemini-api/docs/rate-limits" }
  ]
}

const quota = (ctx: Ctx, metric: string, quotaId: string, value: string, retryMs: number | undefined) => {
  const details: Array<unknown> = [
    {
      "@type": "type.googleapis.com/google.rpc.QuotaFailure",
      violations: [
        {
          quotaMetric: `generativelanguage.googleapis.com/${metric}`,
          quotaId,
          quotaDimensions: { location: "global", model: ctx.model },
          quotaValue: value
        }
      ]
    },
    HELP
  ]
  if (retryMs !== undefined)
    details.push({ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: protoDuration(retryMs) })
  const retryText = retryMs !== undefined ? `\nPlease retry in ${protoDuration(retryMs)}.` : ""
  return err(
    ctx,
    429,
    "RESOURCE_EXHAUSTED",
    `You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. To monitor your current usage, head to: https://ai.dev/usage?tab=rate-limit. \n* Quota exceeded for metric: generativelanguage.googleapis.com/${metric}, limit: ${value}, model: ${ctx.model}${retryText}`,
    details
  )
}

export const failureFor = (name: ProviderFaultName, ctx: Ctx): Rendered | undefined => {
  const ms = ctx.options?.retryAfterMs ?? DEFAULT_RETRY_MS
  switch (name) {
    case "rate_limit":
    case "slow_down":
      return quota(
        ctx,
        "generate_content_free_tier_requests",
        "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
        "10",
        ms
      )
    case "rate_limit_tokens":
    case "request_exceeds_tpm":
      return quota(
        ctx,
        "generate_content_free_tier_input_token_count",
        "GenerateContentInputTokensPerModelPerMinute-FreeTier",
        "250000",
        ms
      )
    case "quota_exhausted":
      return quota(
        ctx,
        "generate_content_free_tier_requests",
        "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
        "250",
        ctx.options?.retryAfterMs
      )
    case "spend_limit":
      return err(
        ctx,
        429,
        "RESOURCE_EXHAUSTED",
        "Your prepayment credits are depleted. Please go to AI Studio at https://ai.studio/projects to manage your project and billing."
      )
    case "billing_error":
      return err(
        ctx,
        400,
        "FAILED_PRECONDITION",
        "User location is not supported for the API use without a billing account linked."
      )
    case "overloaded":
    case "overloaded_in_stream":
      return err(ctx, 503, "UNAVAILABLE", "The model is overloaded. Please try again later.")
    case "server_error":
      return err(
        ctx,
        500,
        "INTERNAL",
        "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"
      )
    case "bad_gateway":
      return html(ctx.options?.status ?? 502, "Server Error", "Google Frontend")
    case "gateway_timeout":
      return err(ctx, 504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete.")
    case "invalid_key":
      return err(ctx, 400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", [
        {
          "@type": "type.googleapis.com/google.rpc.ErrorInfo",
          reason: "API_KEY_INVALID",
          domain: "googleapis.com",
          metadata: { service: "generativelanguage.googleapis.com" }
        },
        {
          "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
          locale: "en-US",
          message: "API key not valid. Please pass a valid API key."
        }
      ])
    case "permission_denied":
      return err(ctx, 403, "PERMISSION_DENIED", "The caller does not have permission")
    case "model_not_found":
      return err(
        ctx,
        404,
        "NOT_FOUND",
        `models/${ctx.model} is not found for API version ${ctx.req.apiVersion ?? "v1beta"}, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`
      )
    case "context_length_exceeded":
      return err(
        ctx,
        400,
        "INVALID_ARGUMENT",
        `The input token count (${Math.max(ctx.inputTokens, 3475108)}) exceeds the maximum number of tokens allowed (1048576).`
      )
    case "request_too_large":
      return err(ctx, 400, "INVALID_ARGUMENT", "Request payload size exceeds the limit: 20971520 bytes.")
    case "malformed_request":
      return err(
        ctx,
        400,
        "INVALID_ARGUMENT",
        ctx.req.invalid?.message ?? "* GenerateContentRequest.contents: contents is not specified\n"
      )
    case "unprocessable":
      return err(
        ctx,
        400,
        "INVALID_ARGUMENT",
        'Invalid JSON payload received. Unknown name "foo": Cannot find field.',
        [
          {
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            fieldViolations: [{ description: 'Invalid JSON payload received. Unknown name "foo": Cannot find field.' }]
          }
        ]
      )
    case "conflict":
      return err(ctx, 409, "ABORTED", "The operation was aborted.")
    case "input_blocked":
    case "invalid_prompt":
      return undefined
  }
}

/** A bare HTTP status step: the fault with that status where there is one, else a generic body. */
export const statusFailure = (status: number, ctx: Ctx): Failure => {
  const byStatus: Record<number, ProviderFaultName> = {
    400: "malformed_request",
    403: "permission_denied",
    404: "model_not_found",
    409: "conflict",
    429: "rate_limit",
    500: "server_error",
    502: "bad_gateway",
    503: "overloaded",
    504: "gateway_timeout"
  }
  const name = byStatus[status]
  if (name !== undefined) return failureFor(name, ctx) as Failure
  const rpc = STATUS_NAME[status] ?? (status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION")
  return err(
    ctx,
    status,
    rpc,
    status === 401 ? "Request had invalid authentication credentials." : `Request failed with status ${status}.`
  )
}
