import type { AnswerFaultName, ProviderFaultName } from "../FaultScript.ts"
import { err, failureFor, rateHeaders, statusFailure } from "./AnthropicErrors.ts"
import type { Answer, Ctx, Dialect, ParsedRequest, Route } from "./Wire.ts"
import { contentText, deltas, estimateTokens, lastUserText, trailingText, signThought, thoughtFor } from "./Wire.ts"

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

/** The thinking block a thinking request gets before its answer. */
const thinkingOf = (a: Answer, ctx: Ctx): { thinking: string; signature: string } | undefined => {
  if (ctx.req.thinking !== true || (a.shape !== "text" && a.shape !== "tool_call")) return undefined
  const thinking = thoughtFor(ctx.req.prompt)
  return { thinking, signature: signThought(thinking) }
}

/** Anthropic's parsed request: also whether the `web_search` server tool was offered. */
interface AnthropicParsed extends ParsedRequest {
  readonly webSearch?: boolean
}

/** The search a `web_search` server tool runs before a text answer: its call and its result blocks. */
const searchBlocks = (a: Answer, ctx: Ctx): Array<Record<string, unknown>> =>
  (ctx.req as AnthropicParsed).webSearch === true && a.shape === "text"
    ? [
        {
          type: "server_tool_use",
          id: `srvtoolu_${ctx.responseId}`,
          name: "web_search",
          input: { query: ctx.req.prompt.slice(0, 200) }
        },
        {
          type: "web_search_tool_result",
          tool_use_id: `srvtoolu_${ctx.responseId}`,
          content: [
            {
              type: "web_search_result",
              url: "https://example.test/result",
              title: "A result",
              encrypted_content: `Eq-sim-${ctx.responseId}`,
              page_age: null
            }
          ]
        }
      ]
    : []

const content = (a: Answer, ctx: Ctx): Array<unknown> => {
  const t = thinkingOf(a, ctx)
  return [...(t !== undefined ? [{ type: "thinking", ...t }] : []), ...searchBlocks(a, ctx), ...answerBlocks(a, ctx)]
}

const answerBlocks = (a: Answer, ctx: Ctx): Array<unknown> => {
  if (a.shape === "tool_call")
    return [
      {
        type: "tool_use",
        id: `toolu_${ctx.responseId}`,
        name: ctx.req.toolName ?? "get_weather",
        input: JSON.parse(a.text)
      }
    ]
  if (a.text.length === 0) return []
  const cited = searchCitations(a, ctx)
  return [{ type: "text", text: a.text, ...(cited.length > 0 ? { citations: cited } : {}) }]
}

/** A searched answer cites its result (Anthropic's `web_search_result_location`). */
const searchCitations = (a: Answer, ctx: Ctx) =>
  (ctx.req as AnthropicParsed).webSearch === true && a.shape === "text"
    ? [
        {
          type: "web_search_result_location",
          url: "https://example.test/result",
          title: "A result",
          encrypted_index: `Eo-sim-${ctx.responseId}`,
          cited_text: a.text.slice(0, 40)
        }
      ]
    : []

const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`

/**
 * Anthropic's thinking checks: a `thinking` block sent back must carry the signature it was given,
 * and with thinking on, a tool-use loop's last assistant turn must start with a thinking block.
 */
const thinkingFault = (messages: Array<any>, thinkingType: unknown): { message: string } | undefined => {
  for (const [i, m] of messages.entries()) {
    if (m?.role !== "assistant" || !Array.isArray(m.content)) continue
    for (const [j, block] of m.content.entries()) {
      if (block?.type === "thinking" && block.signature !== signThought(String(block.thinking)))
        return { message: `messages.${i}.content.${j}: Invalid \`signature\` in \`thinking\` block` }
    }
  }
  const last = messages.at(-1)
  const continuesTools =
    last?.role === "user" && Array.isArray(last.content) && last.content.some((x: any) => x?.type === "tool_result")
  const i = messages.findLastIndex((m) => m?.role === "assistant")
  const first = i >= 0 ? (Array.isArray(messages[i].content) ? messages[i].content[0]?.type : "text") : undefined
  if ((thinkingType === "enabled" || thinkingType === "adaptive") && continuesTools && first !== undefined)
    if (first !== "thinking" && first !== "redacted_thinking")
      return {
        message: `messages.${i}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${first}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable \`thinking\`.`
      }
  return undefined
}

const parseRequest = (b: any): AnthropicParsed => {
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
            : thinkingFault(messages, b?.thinking?.type)
  const tools = b?.tools
  const webSearch =
    Array.isArray(tools) && tools.some((t: any) => typeof t?.type === "string" && t.type.startsWith("web_search"))
  return {
    webSearch,
    model: typeof b?.model === "string" ? b.model : undefined,
    stream: b?.stream === true,
    prompt: lastUserText(messages, "user", (m) => contentText(m.content)),
    prefill: trailingText(messages, "assistant", (m) => contentText(m.content)),
    inputChars: chars,
    messageCount: Array.isArray(messages) ? messages.length : 0,
    maxTokens: typeof b?.max_tokens === "number" ? b.max_tokens : undefined,
    includeUsage: false,
    toolName: Array.isArray(tools) && typeof tools[0]?.name === "string" ? tools[0].name : undefined,
    thinking: b?.thinking?.type === "enabled" || b?.thinking?.type === "adaptive",
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
  status: (status, ctx) => statusFailure(status, ctx),
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
    const thinking = thinkingOf(a, ctx)
    if (thinking !== undefined) {
      out.push(
        sse("content_block_start", {
          type: "content_block_start",
          index: 0,
          content_block: { type: "thinking", thinking: "", signature: "" }
        })
      )
      for (const d of deltas(thinking.thinking))
        out.push(
          sse("content_block_delta", {
            type: "content_block_delta",
            index: 0,
            delta: { type: "thinking_delta", thinking: d }
          })
        )
      out.push(
        sse("content_block_delta", {
          type: "content_block_delta",
          index: 0,
          delta: { type: "signature_delta", signature: thinking.signature }
        })
      )
      out.push(sse("content_block_stop", { type: "content_block_stop", index: 0 }))
    }
    const search = searchBlocks(a, ctx)
    for (const [k, block] of search.entries()) {
      const index = (thinking !== undefined ? 1 : 0) + k
      const streamedInput = block.type === "server_tool_use"
      out.push(
        sse("content_block_start", {
          type: "content_block_start",
          index,
          content_block: streamedInput ? { ...block, input: {} } : block
        })
      )
      if (streamedInput)
        out.push(
          sse("content_block_delta", {
            type: "content_block_delta",
            index,
            delta: { type: "input_json_delta", partial_json: JSON.stringify(block.input) }
          })
        )
      out.push(sse("content_block_stop", { type: "content_block_stop", index }))
    }
    const at = (thinking !== undefined ? 1 : 0) + search.length
    if (a.shape === "tool_call") {
      out.push(
        sse("content_block_start", {
          type: "content_block_start",
          index: at,
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
            index: at,
            delta: { type: "input_json_delta", partial_json: a.text.slice(i, i + 8) }
          })
        )
      out.push(sse("content_block_stop", { type: "content_block_stop", index: at }))
    } else if (a.text.length > 0) {
      out.push(
        sse("content_block_start", {
          type: "content_block_start",
          index: at,
          content_block: { type: "text", text: "" }
        })
      )
      out.push(sse("ping", { type: "ping" }))
      for (const d of deltas(a.text))
        out.push(
          sse("content_block_delta", { type: "content_block_delta", index: at, delta: { type: "text_delta", text: d } })
        )
      for (const citation of searchCitations(a, ctx))
        out.push(
          sse("content_block_delta", {
            type: "content_block_delta",
            index: at,
            delta: { type: "citations_delta", citation }
          })
        )
      out.push(sse("content_block_stop", { type: "content_block_stop", index: at }))
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
