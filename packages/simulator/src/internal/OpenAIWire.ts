import type { AnswerFaultName, ProviderFaultName } from "../FaultScript.ts"
import type { Answer, Ctx, Dialect, Failure, ParsedRequest, Rendered, Route } from "./Wire.ts"
import { contentText, deltas, estimateTokens, goDuration, html, JSON_TYPE, lastUserText, maskKey } from "./Wire.ts"

const DEFAULT_RETRY_MS = 1574
const RPM = 500
const TPM = 30000

const err = (
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

const rateHeaders = (ctx: Ctx, exhausted: "requests" | "tokens" | "none", ms: number): Record<string, string> => ({
  "x-ratelimit-limit-requests": String(RPM),
  "x-ratelimit-limit-tokens": String(TPM),
  "x-ratelimit-remaining-requests": exhausted === "requests" ? "0" : String(RPM - 1),
  "x-ratelimit-remaining-tokens": exhausted === "tokens" ? "0" : String(Math.max(0, TPM - ctx.inputTokens)),
  "x-ratelimit-reset-requests": exhausted === "requests" ? goDuration(ms) : "120ms",
  "x-ratelimit-reset-tokens": exhausted === "tokens" ? goDuration(ms) : "2ms"
})

const tryAgain = (ms: number) => `Please try again in ${goDuration(ms)}.`
const LIMITS_URL = "Visit https://platform.openai.com/account/rate-limits to learn more."

const failureFor = (name: ProviderFaultName, ctx: Ctx): Rendered | undefined => {
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

const answer = (shape: Answer["shape"], ctx: Ctx): Answer => {
  const full = ctx.reply
  const maxChars = ctx.req.maxTokens !== undefined ? ctx.req.maxTokens * 4 : Number.POSITIVE_INFINITY
  let text = full
  let finish = "stop"
  switch (shape) {
    case "text":
      if (full.length > maxChars) {
        text = full.slice(0, maxChars)
        finish = "length"
      }
      break
    case "max_tokens":
    case "model_context_window_exceeded":
      text = full.slice(0, Math.max(1, Math.floor(full.length / 2)))
      finish = "length"
      break
    case "content_filter":
      text = full.slice(0, Math.max(1, Math.floor(full.length / 3)))
      finish = "content_filter"
      break
    case "refusal":
      text = "I'm sorry, but I can't help with that request."
      finish = "stop"
      break
    case "tool_call":
    case "malformed_tool_call":
      text = shape === "tool_call" ? '{"location":"Paris, France"}' : '{"location": "Paris, Fr'
      finish = "tool_calls"
      break
    case "prompt_blocked":
      text = ""
      finish = "content_filter"
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

const usage = (a: Answer, ctx: Ctx) => ({
  prompt_tokens: ctx.inputTokens,
  completion_tokens: a.outputTokens,
  total_tokens: ctx.inputTokens + a.outputTokens,
  prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
  completion_tokens_details: {
    reasoning_tokens: 0,
    audio_tokens: 0,
    accepted_prediction_tokens: 0,
    rejected_prediction_tokens: 0
  }
})

const toolCall = (a: Answer, ctx: Ctx) => ({
  id: `call_${ctx.responseId.slice(0, 24)}`,
  type: "function",
  function: { name: ctx.req.toolName ?? "get_weather", arguments: a.text }
})

const isTool = (a: Answer) => a.shape === "tool_call" || a.shape === "malformed_tool_call"

const message = (a: Answer, ctx: Ctx) =>
  isTool(a)
    ? { role: "assistant", content: null, tool_calls: [toolCall(a, ctx)], refusal: null, annotations: [] }
    : a.shape === "refusal"
      ? { role: "assistant", content: null, refusal: a.text, annotations: [] }
      : { role: "assistant", content: a.text, refusal: null, annotations: [] }

const FINGERPRINT = "fp_7a1b2c3d4e"

const chunk = (ctx: Ctx, choices: Array<unknown>, withUsage: unknown) =>
  `data: ${JSON.stringify({
    id: `chatcmpl-${ctx.responseId}`,
    object: "chat.completion.chunk",
    created: ctx.created,
    model: ctx.model,
    service_tier: "default",
    system_fingerprint: FINGERPRINT,
    choices,
    ...(ctx.req.includeUsage ? { usage: withUsage } : {})
  })}\n\n`

const parseRequest = (body: any): ParsedRequest => {
  const messages = body?.messages
  let chars = 0
  if (Array.isArray(messages)) for (const m of messages) chars += contentText(m?.content).length + 4
  const maxTokens = body?.max_completion_tokens ?? body?.max_tokens
  const tools = body?.tools
  const invalid =
    typeof body?.model !== "string"
      ? { message: "you must provide a model parameter", param: "model" }
      : !Array.isArray(messages)
        ? { message: "Missing required parameter: 'messages'.", param: "messages" }
        : messages.length === 0
          ? { message: "Invalid 'messages': empty array. Expected an array with minimum length 1.", param: "messages" }
          : undefined
  return {
    model: typeof body?.model === "string" ? body.model : undefined,
    stream: body?.stream === true,
    prompt: lastUserText(messages, "user", (m) => contentText(m.content)),
    inputChars: chars,
    messageCount: Array.isArray(messages) ? messages.length : 0,
    maxTokens: typeof maxTokens === "number" ? maxTokens : undefined,
    includeUsage: body?.stream_options?.include_usage === true,
    toolName: Array.isArray(tools) ? tools[0]?.function?.name : undefined,
    invalid
  }
}

export const OpenAIWire: Dialect = {
  kind: "openai",
  defaultModel: "gpt-4o-mini",
  sseDelimiter: "\n\n",
  route: (method, path): Route | undefined => {
    if (method === "POST" && path === "/v1/chat/completions") return { op: "generate" }
    if (method === "GET" && path === "/v1/models") return { op: "models" }
    return undefined
  },
  keyOf: (headers) => {
    const h = headers["authorization"]
    const v = Array.isArray(h) ? h[0] : h
    if (v === undefined) return undefined
    return v.startsWith("Bearer ") ? v.slice(7).trim() : v.trim()
  },
  parse: (body) => parseRequest(body),
  baseHeaders: (ctx) => ({
    "x-request-id": `req_${ctx.requestId}`,
    "openai-organization": "org-testkit",
    "openai-processing-ms": "12",
    "openai-version": "2020-10-01",
    ...rateHeaders(ctx, "none", 0)
  }),
  fault: (name, ctx) => {
    if (name === "ok") return answer("text", ctx)
    const f = failureFor(name as ProviderFaultName, ctx)
    return f ?? answer(name as AnswerFaultName, ctx)
  },
  status: (status, ctx) => {
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
  },
  missingKey: (ctx) =>
    err(
      ctx,
      401,
      "invalid_request_error",
      null,
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys."
    ),
  notFound: (method, path, ctx) => err(ctx, 404, "invalid_request_error", null, `Invalid URL (${method} ${path})`),
  badJson: (ctx) =>
    err(
      ctx,
      400,
      "invalid_request_error",
      null,
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)"
    ),
  json: (a, ctx) =>
    JSON.stringify({
      id: `chatcmpl-${ctx.responseId}`,
      object: "chat.completion",
      created: ctx.created,
      model: ctx.model,
      choices: [{ index: 0, message: message(a, ctx), logprobs: null, finish_reason: a.finish }],
      usage: usage(a, ctx),
      service_tier: "default",
      system_fingerprint: FINGERPRINT
    }),
  events: (a, ctx) => {
    const out: Array<string> = []
    const first =
      a.shape === "refusal"
        ? { role: "assistant", content: null, refusal: "" }
        : { role: "assistant", content: "", refusal: null }
    out.push(chunk(ctx, [{ index: 0, delta: first, logprobs: null, finish_reason: null }], null))
    if (isTool(a)) {
      const call = toolCall(a, ctx)
      out.push(
        chunk(
          ctx,
          [
            {
              index: 0,
              delta: {
                tool_calls: [
                  { index: 0, id: call.id, type: "function", function: { name: call.function.name, arguments: "" } }
                ]
              },
              logprobs: null,
              finish_reason: null
            }
          ],
          null
        )
      )
      for (const piece of splitArgs(a.text))
        out.push(
          chunk(
            ctx,
            [
              {
                index: 0,
                delta: { tool_calls: [{ index: 0, function: { arguments: piece } }] },
                logprobs: null,
                finish_reason: null
              }
            ],
            null
          )
        )
    } else {
      const field = a.shape === "refusal" ? "refusal" : "content"
      for (const d of deltas(a.text))
        out.push(chunk(ctx, [{ index: 0, delta: { [field]: d }, logprobs: null, finish_reason: null }], null))
    }
    out.push(chunk(ctx, [{ index: 0, delta: {}, logprobs: null, finish_reason: a.finish }], null))
    if (ctx.req.includeUsage) out.push(chunk(ctx, [], usage(a, ctx)))
    out.push("data: [DONE]\n\n")
    return out
  },
  streamError: (ctx) =>
    `data: ${JSON.stringify({
      error: {
        message: ctx.options?.message ?? "The engine is currently overloaded, please try again later.",
        type: "server_error",
        param: null,
        code: "server_is_overloaded"
      }
    })}\n\n`,
  models: (models) =>
    JSON.stringify({
      object: "list",
      data: models.map((id) => ({ id, object: "model", created: 1715367049, owned_by: "system" }))
    })
}

const splitArgs = (s: string): Array<string> => {
  const out: Array<string> = []
  for (let i = 0; i < s.length; i += 8) out.push(s.slice(i, i + 8))
  return out
}
