import type { AnswerFaultName, ProviderFaultName } from "../FaultScript.ts"
import { err, failureFor, rateHeaders, statusFailure } from "./OpenAIErrors.ts"
import type { Answer, Ctx, Dialect, ParsedRequest, Route } from "./Wire.ts"
import { contentText, deltas, estimateTokens, lastUserText, trailingText } from "./Wire.ts"

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

/** A search model's citation of its one result (`web_search_options` asked), over the whole answer. */
const citations = (a: Answer, ctx: Ctx) =>
  (ctx.req as OpenAIParsed).webSearch === true && a.shape === "text"
    ? [
        {
          type: "url_citation",
          url_citation: {
            start_index: 0,
            end_index: a.text.length,
            url: "https://example.test/result",
            title: "A result"
          }
        }
      ]
    : []

const message = (a: Answer, ctx: Ctx) =>
  isTool(a)
    ? { role: "assistant", content: null, tool_calls: [toolCall(a, ctx)], refusal: null, annotations: [] }
    : a.shape === "refusal"
      ? { role: "assistant", content: null, refusal: a.text, annotations: [] }
      : { role: "assistant", content: a.text, refusal: null, annotations: citations(a, ctx) }

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

/** OpenAI's parsed request: also whether `logprobs` was asked for. */
interface OpenAIParsed extends ParsedRequest {
  readonly logprobs?: boolean
  /** `web_search_options` was sent (a search model): the answer cites its result. */
  readonly webSearch?: boolean
}

/** A streamed text delta's `logprobs`: one token per delta when the request asked for them. */
const deltaLogprobs = (ctx: Ctx, text: string) =>
  (ctx.req as OpenAIParsed).logprobs === true
    ? {
        content: [
          { token: text, logprob: -0.0125, bytes: Array.from(new TextEncoder().encode(text)), top_logprobs: [] }
        ],
        refusal: null
      }
    : null

/** A whole answer's `logprobs`: its text as the tokens its stream's deltas carry. */
const wholeLogprobs = (text: string) => ({
  content: deltas(text).map((t) => ({
    token: t,
    logprob: -0.0125,
    bytes: Array.from(new TextEncoder().encode(t)),
    top_logprobs: []
  })),
  refusal: null
})

const parseRequest = (body: any): OpenAIParsed => {
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
    prefill: trailingText(messages, "assistant", (m) => contentText(m.content)),
    inputChars: chars,
    messageCount: Array.isArray(messages) ? messages.length : 0,
    maxTokens: typeof maxTokens === "number" ? maxTokens : undefined,
    includeUsage: body?.stream_options?.include_usage === true,
    toolName: Array.isArray(tools) ? tools[0]?.function?.name : undefined,
    invalid,
    logprobs: body?.logprobs === true,
    webSearch: body?.web_search_options != null
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
  status: (status, ctx) => statusFailure(status, ctx),
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
      choices: [
        {
          index: 0,
          message: message(a, ctx),
          // A whole answer's tokens: one per streamed delta it would have been.
          logprobs: a.shape !== "text" || (ctx.req as OpenAIParsed).logprobs !== true ? null : wholeLogprobs(a.text),
          finish_reason: a.finish
        }
      ],
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
        out.push(
          chunk(
            ctx,
            [
              {
                index: 0,
                delta: { [field]: d },
                logprobs: field === "content" ? deltaLogprobs(ctx, d) : null,
                finish_reason: null
              }
            ],
            null
          )
        )
    }
    const cited = citations(a, ctx)
    if (cited.length > 0)
      out.push(chunk(ctx, [{ index: 0, delta: { annotations: cited }, logprobs: null, finish_reason: null }], null))
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
