import type { AnswerFaultName, ProviderFaultName } from "../FaultScript.ts"
import type { Answer, Ctx, Dialect, Failure, ParsedRequest, Rendered, Route } from "./Wire.ts"
import { deltas, estimateTokens, html, lastUserText, protoDuration } from "./Wire.ts"

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

const errorObject = (code: number, status: string, message: string, details?: Array<unknown>) => ({
  error: { code, message, status, ...(details !== undefined ? { details } : {}) }
})

const err = (ctx: Ctx, code: number, status: string, message: string, details?: Array<unknown>): Failure => {
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

const failureFor = (name: ProviderFaultName, ctx: Ctx): Rendered | undefined => {
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

const SAFETY_RATINGS = (blocked: string | undefined) =>
  [
    "HARM_CATEGORY_HATE_SPEECH",
    "HARM_CATEGORY_DANGEROUS_CONTENT",
    "HARM_CATEGORY_HARASSMENT",
    "HARM_CATEGORY_SEXUALLY_EXPLICIT"
  ].map((category) =>
    category === blocked ? { category, probability: "HIGH", blocked: true } : { category, probability: "NEGLIGIBLE" }
  )

const answer = (shape: Answer["shape"], ctx: Ctx): Answer => {
  const full = ctx.reply
  const maxChars = ctx.req.maxTokens !== undefined ? ctx.req.maxTokens * 4 : Number.POSITIVE_INFINITY
  let text = full
  let finish = "STOP"
  let blockReason: string | undefined
  switch (shape) {
    case "text":
      if (full.length > maxChars) {
        text = full.slice(0, maxChars)
        finish = "MAX_TOKENS"
      }
      break
    case "max_tokens":
    case "model_context_window_exceeded":
      text = full.slice(0, Math.max(1, Math.floor(full.length / 2)))
      finish = "MAX_TOKENS"
      break
    case "content_filter":
    case "refusal":
      // With SAFETY the candidate carries no content.
      text = ""
      finish = "SAFETY"
      break
    case "tool_call":
      text = '{"location":"Paris, France"}'
      finish = "STOP"
      break
    case "malformed_tool_call":
      text = ""
      finish = "MALFORMED_FUNCTION_CALL"
      break
    case "prompt_blocked":
      text = ""
      finish = ""
      blockReason = ctx.options?.blockReason ?? "SAFETY"
      break
  }
  return {
    _tag: "Answer",
    shape,
    text,
    outputTokens: text.length === 0 ? 0 : estimateTokens(text.length),
    finish: ctx.options?.finishReason ?? finish,
    ...(blockReason !== undefined ? { blockReason } : {})
  }
}

const usageMetadata = (ctx: Ctx, outputTokens: number) => ({
  promptTokenCount: ctx.inputTokens,
  ...(outputTokens > 0 ? { candidatesTokenCount: outputTokens } : {}),
  totalTokenCount: ctx.inputTokens + outputTokens,
  promptTokensDetails: [{ modality: "TEXT", tokenCount: ctx.inputTokens }]
})

const candidate = (a: Answer, ctx: Ctx, text: string, final: boolean) => {
  const c: Record<string, unknown> = {}
  if (a.shape === "tool_call") {
    c.content = {
      parts: [{ functionCall: { name: ctx.req.toolName ?? "get_weather", args: JSON.parse(a.text) } }],
      role: "model"
    }
  } else if (text.length > 0) {
    c.content = { parts: [{ text }], role: "model" }
  } else if (a.shape === "malformed_tool_call") {
    c.content = {}
  }
  if (final) {
    c.finishReason = a.finish
    if (a.finish === "SAFETY") c.safetyRatings = SAFETY_RATINGS("HARM_CATEGORY_DANGEROUS_CONTENT")
    if (a.shape === "malformed_tool_call")
      c.finishMessage = `Malformed function call: print(default_api.${ctx.req.toolName ?? "get_weather"}(location="Paris`
  }
  c.index = 0
  return c
}

const response = (a: Answer, ctx: Ctx, text: string, final: boolean, outputTokens: number) => {
  if (a.shape === "prompt_blocked")
    return {
      promptFeedback: { blockReason: a.blockReason, safetyRatings: SAFETY_RATINGS("HARM_CATEGORY_HARASSMENT") },
      usageMetadata: usageMetadata(ctx, 0),
      modelVersion: ctx.model,
      responseId: ctx.responseId
    }
  return {
    candidates: [candidate(a, ctx, text, final)],
    usageMetadata: usageMetadata(ctx, outputTokens),
    modelVersion: ctx.model,
    responseId: ctx.responseId
  }
}

const partsText = (parts: unknown): string => {
  if (!Array.isArray(parts)) return ""
  let s = ""
  for (const p of parts) if (p !== null && typeof p === "object" && typeof p.text === "string") s += p.text
  return s
}

const parseRequest = (b: any, route: Route): ParsedRequest => {
  const contents = b?.contents
  let chars = partsText(b?.systemInstruction?.parts).length
  if (Array.isArray(contents)) for (const c of contents) chars += partsText(c?.parts).length
  const tools = b?.tools
  const maxTokens = b?.generationConfig?.maxOutputTokens
  return {
    model: route.op === "generate" ? route.model : undefined,
    stream: route.op === "generate" && route.stream === true,
    prompt: lastUserText(contents, "user", (c) => partsText(c.parts)),
    inputChars: chars,
    messageCount: Array.isArray(contents) ? contents.length : 0,
    maxTokens: typeof maxTokens === "number" ? maxTokens : undefined,
    includeUsage: true,
    apiVersion: route.op === "generate" ? route.version : undefined,
    toolName: Array.isArray(tools) ? tools[0]?.functionDeclarations?.[0]?.name : undefined,
    invalid:
      !Array.isArray(contents) || contents.length === 0
        ? { message: "* GenerateContentRequest.contents: contents is not specified\n" }
        : undefined
  }
}

const GENERATE = /^\/(v1beta|v1)\/models\/([^/:]+):(generateContent|streamGenerateContent)$/

export const GeminiWire: Dialect = {
  kind: "gemini",
  defaultModel: "gemini-2.5-flash",
  sseDelimiter: "\r\n\r\n",
  route: (method, path): Route | undefined => {
    if (method === "POST") {
      const m = GENERATE.exec(path)
      if (m !== null)
        return {
          op: "generate",
          model: decodeURIComponent(m[2]!),
          stream: m[3] === "streamGenerateContent",
          version: m[1]!
        }
    }
    if (method === "GET" && (path === "/v1beta/models" || path === "/v1/models")) return { op: "models" }
    return undefined
  },
  keyOf: (headers, query) => {
    const h = headers["x-goog-api-key"]
    return (Array.isArray(h) ? h[0] : h) ?? query.get("key") ?? undefined
  },
  parse: (b, route) => parseRequest(b, route),
  baseHeaders: () => ({ vary: "Origin, X-Origin, Referer", server: "scaffolding on HTTPServer2" }),
  fault: (name, ctx) => {
    if (name === "ok") return answer("text", ctx)
    if (name === "input_blocked") return answer("prompt_blocked", ctx)
    if (name === "invalid_prompt")
      return answer("prompt_blocked", {
        ...ctx,
        options: { fault: "invalid_prompt", blockReason: "PROHIBITED_CONTENT", ...ctx.options }
      })
    return failureFor(name as ProviderFaultName, ctx) ?? answer(name as AnswerFaultName, ctx)
  },
  status: (status, ctx) => {
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
  },
  missingKey: (ctx) =>
    err(
      ctx,
      403,
      "PERMISSION_DENIED",
      "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API."
    ),
  notFound: (_method, path, ctx) => err(ctx, 404, "NOT_FOUND", `Requested entity was not found: ${path}`),
  badJson: (ctx) =>
    err(ctx, 400, "INVALID_ARGUMENT", "Invalid JSON payload received. Unexpected token.", [
      {
        "@type": "type.googleapis.com/google.rpc.BadRequest",
        fieldViolations: [{ description: "Invalid JSON payload received. Unexpected token." }]
      }
    ]),
  json: (a, ctx) => JSON.stringify(response(a, ctx, a.shape === "tool_call" ? "" : a.text, true, a.outputTokens)),
  events: (a, ctx) => {
    const out: Array<string> = []
    const frame = (o: unknown) => `data: ${JSON.stringify(o)}\r\n\r\n`
    if (a.shape === "prompt_blocked" || a.shape === "tool_call" || a.text.length === 0) {
      out.push(frame(response(a, ctx, a.text, true, a.outputTokens)))
      return out
    }
    const pieces = deltas(a.text)
    let sent = 0
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!
      sent += piece.length
      const final = i === pieces.length - 1
      out.push(frame(response(a, ctx, piece, final, final ? a.outputTokens : estimateTokens(sent))))
    }
    return out
  },
  streamError: (ctx) =>
    `data: ${JSON.stringify(errorObject(503, "UNAVAILABLE", ctx.options?.message ?? "The model is overloaded. Please try again later."))}\r\n\r\n`,
  models: (models) =>
    JSON.stringify({
      models: models.map((id) => ({
        name: `models/${id}`,
        version: "001",
        displayName: id,
        inputTokenLimit: 1048576,
        outputTokenLimit: 65536,
        supportedGenerationMethods: ["generateContent", "countTokens"]
      }))
    })
}
