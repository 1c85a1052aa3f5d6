import type { AnswerFaultName, ProviderFaultName } from "../FaultScript.ts"
import type { Answer, Ctx, Dialect, Failure, ParsedRequest, Rendered, Route } from "./Wire.ts"
import { contentText, deltas, estimateTokens, html, JSON_TYPE, lastUserText } from "./Wire.ts"

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

const err = (
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
const rateHeaders = (ctx: Ctx, exhausted: "requests" | "input-tokens" | "none", ms: number): Record<string, string> => {
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

const failureFor = (name: ProviderFaultName, ctx: Ctx): Rendered | undefined => {
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

const answer = (shape: Answer["shape"], ctx: Ctx): Answer => {
  const full = ctx.reply
  const maxChars = ctx.req.maxTokens !== undefined ? ctx.req.maxTokens * 4 : Number.POSITIVE_INFINITY
  let text = full
  let finish = "end_turn"
  switch (shape) {
    case "text":
      if (full.length > maxChars) {
        text = full.slice(0, maxChars)
        finish = "max_tokens"
      }
      break
    case "max_tokens":
      text = full.slice(0, Math.max(1, Math.floor(full.length / 2)))
      finish = "max_tokens"
      break
    case "model_context_window_exceeded":
      text = full.slice(0, Math.max(1, Math.floor(full.length / 2)))
      finish = "model_context_window_exceeded"
      break
    case "content_filter":
      // Streaming classifiers stop mid-answer: some text, then `refusal`.
      text = full.slice(0, Math.max(1, Math.floor(full.length / 3)))
      finish = "refusal"
      break
    case "refusal":
    case "prompt_blocked":
      text = ""
      finish = "refusal"
      break
    case "tool_call":
      text = '{"location":"Paris, France"}'
      finish = "tool_use"
      break
    case "malformed_tool_call":
      // Anthropic's row: a server-tool loop hit its limit — resend to continue.
      text = "Let me keep searching for that."
      finish = "pause_turn"
      break
  }
  return {
    _tag: "Answer",
    shape,
    text,
    outputTokens: estimateTokens(text.length),
    finish: ctx.options?.finishReason ?? finish
  }
}

const usage = (ctx: Ctx, outputTokens: number) => ({
  input_tokens: ctx.inputTokens,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
  output_tokens: outputTokens,
  service_tier: "standard"
})

const content = (a: Answer, ctx: Ctx): Array<unknown> => {
  if (a.shape === "tool_call")
    return [
      {
        type: "tool_use",
        id: `toolu_${ctx.responseId}`,
        name: ctx.req.toolName ?? "get_weather",
        input: JSON.parse(a.text)
      }
    ]
  return a.text.length === 0 ? [] : [{ type: "text", text: a.text }]
}

const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`

const parseRequest = (b: any): ParsedRequest => {
  const messages = b?.messages
  let chars = contentText(b?.system).length
  if (Array.isArray(messages)) for (const m of messages) chars += contentText(m?.content).length + 4
  const invalid =
    typeof b?.model !== "string"
      ? { message: "model: Field required" }
      : !Array.isArray(messages)
        ? { message: "messages: Field required" }
        : typeof b?.max_tokens !== "number"
          ? { message: "max_tokens: Field required" }
          : messages.length === 0
            ? { message: "messages: at least one message is required" }
            : undefined
  const tools = b?.tools
  return {
    model: typeof b?.model === "string" ? b.model : undefined,
    stream: b?.stream === true,
    prompt: lastUserText(messages, "user", (m) => contentText(m.content)),
    inputChars: chars,
    messageCount: Array.isArray(messages) ? messages.length : 0,
    maxTokens: typeof b?.max_tokens === "number" ? b.max_tokens : undefined,
    includeUsage: false,
    toolName: Array.isArray(tools) && typeof tools[0]?.name === "string" ? tools[0].name : undefined,
    invalid
  }
}

export const AnthropicWire: Dialect = {
  kind: "anthropic",
  defaultModel: "claude-sonnet-4-6",
  sseDelimiter: "\n\n",
  route: (method, path): Route | undefined => {
    if (method === "POST" && path === "/v1/messages") return { op: "generate" }
    if (method === "GET" && path === "/v1/models") return { op: "models" }
    return undefined
  },
  // `x-api-key`, or `Authorization: Bearer` (what @anthropic-ai/sdk 1.x sends for `apiKey`).
  keyOf: (headers) => {
    const h = headers["x-api-key"]
    const key = Array.isArray(h) ? h[0] : h
    if (key !== undefined) return key
    const a = headers["authorization"]
    const v = Array.isArray(a) ? a[0] : a
    return v?.startsWith("Bearer ") ? v.slice(7).trim() : undefined
  },
  parse: (b) => parseRequest(b),
  baseHeaders: (ctx) => ({
    "request-id": `req_${ctx.requestId}`,
    "anthropic-organization-id": "00000000-0000-4000-8000-000000000000",
    ...rateHeaders(ctx, "none", 0)
  }),
  fault: (name, ctx) => {
    if (name === "ok") return answer("text", ctx)
    if (name === "input_blocked" || name === "invalid_prompt") return answer("prompt_blocked", ctx)
    return failureFor(name as ProviderFaultName, ctx) ?? answer(name as AnswerFaultName, ctx)
  },
  status: (status, ctx) => {
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
    return err(
      ctx,
      status,
      status >= 500 ? "api_error" : "invalid_request_error",
      `Request failed with status ${status}`
    )
  },
  missingKey: (ctx) => err(ctx, 401, "authentication_error", "x-api-key header is required"),
  notFound: (_method, _path, ctx) => err(ctx, 404, "not_found_error", "Not Found"),
  badJson: (ctx) =>
    err(
      ctx,
      400,
      "invalid_request_error",
      "There was an error parsing the body of your request. Please check your JSON."
    ),
  json: (a, ctx) =>
    JSON.stringify({
      id: `msg_${ctx.responseId}`,
      type: "message",
      role: "assistant",
      model: ctx.model,
      content: content(a, ctx),
      stop_reason: a.finish,
      stop_sequence: null,
      usage: usage(ctx, a.outputTokens)
    }),
  events: (a, ctx) => {
    const out: Array<string> = []
    out.push(
      sse("message_start", {
        type: "message_start",
        message: {
          id: `msg_${ctx.responseId}`,
          type: "message",
          role: "assistant",
          model: ctx.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: usage(ctx, 1)
        }
      })
    )
    if (a.shape === "tool_call") {
      out.push(
        sse("content_block_start", {
          type: "content_block_start",
          index: 0,
          content_block: {
            type: "tool_use",
            id: `toolu_${ctx.responseId}`,
            name: ctx.req.toolName ?? "get_weather",
            input: {}
          }
        })
      )
      for (let i = 0; i < a.text.length; i += 8)
        out.push(
          sse("content_block_delta", {
            type: "content_block_delta",
            index: 0,
            delta: { type: "input_json_delta", partial_json: a.text.slice(i, i + 8) }
          })
        )
      out.push(sse("content_block_stop", { type: "content_block_stop", index: 0 }))
    } else if (a.text.length > 0) {
      out.push(
        sse("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } })
      )
      out.push(sse("ping", { type: "ping" }))
      for (const d of deltas(a.text))
        out.push(
          sse("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: d } })
        )
      out.push(sse("content_block_stop", { type: "content_block_stop", index: 0 }))
    }
    out.push(
      sse("message_delta", {
        type: "message_delta",
        delta: { stop_reason: a.finish, stop_sequence: null },
        usage: { output_tokens: a.outputTokens }
      })
    )
    out.push(sse("message_stop", { type: "message_stop" }))
    return out
  },
  streamError: (ctx) =>
    sse("error", {
      type: "error",
      error: { details: null, type: "overloaded_error", message: ctx.options?.message ?? "Overloaded" },
      request_id: `req_${ctx.requestId}`
    }),
  models: (models) =>
    JSON.stringify({
      data: models.map((id) => ({ type: "model", id, display_name: id, created_at: "2025-09-29T00:00:00Z" })),
      has_more: false,
      first_id: models[0] ?? null,
      last_id: models[models.length - 1] ?? null
    })
}
