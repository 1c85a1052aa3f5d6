/**
 * The OpenAI fake's Responses API (`POST /v1/responses`), on the same server and fault machinery
 * as chat: `input` as a string or items, `instructions`, function tools (flat `{ type, name }`),
 * custom (freeform) tools — a tool call is then a `custom_tool_call` — and a `web_search` tool,
 * which runs one search (a `web_search_call` item and its events) before the answer,
 * `max_output_tokens`; the answer as a `response` object (`output` message / `function_call`
 * items, `status` `incomplete` with `incomplete_details` for truncation and content filtering,
 * usage with token details) or, with `stream: true`, the Responses event stream (`event:` names,
 * `sequence_number` on each event). Provider faults answer in OpenAI's error shape, transport
 * faults cut or stall this stream as they do chat's, and `overloaded_in_stream` ends it with an
 * `error` event. `withResponses(dialect)` adds the endpoint to the OpenAI dialect.
 */
import type { Answer, Ctx, Dialect, ParsedRequest, Route } from "./Wire.ts"
import { deltas } from "./Wire.ts"

interface ResponsesRoute {
  readonly op: "generate"
  readonly responses: true
}

const ROUTE: ResponsesRoute = { op: "generate", responses: true }

/** A parsed Responses request (the chat fields the server logs, plus the marker for rendering). */
interface ResponsesParsed extends ParsedRequest {
  readonly responses: {
    readonly instructions: string | null
    /** A `web_search` tool was offered: the answer runs one search (a `web_search_call` item) first. */
    readonly webSearch: boolean
    /** Only custom (freeform) tools were offered: a tool call is a `custom_tool_call` of the first. */
    readonly custom: boolean
    /** `reasoning.effort` asked for thinking: a `reasoning` item leads the output. */
    readonly reasons: boolean
    /** `include` has `reasoning.encrypted_content`: the reasoning item carries it. */
    readonly encrypted: boolean
  }
}

const isRoute = (route: Route): route is Route & ResponsesRoute => "responses" in route
const isRequest = (req: ParsedRequest): req is ResponsesParsed => "responses" in req

/** Whether a route is the Responses endpoint (the server's fast path serves chat only). */
export const isResponsesRoute = (route: Route): boolean => isRoute(route)

const partsText = (content: unknown): string => {
  if (typeof content === "string") return content
  if (!Array.isArray(content)) return ""
  let s = ""
  for (const p of content) if (p !== null && typeof p === "object" && typeof p.text === "string") s += p.text
  return s
}

const itemText = (item: any): string =>
  typeof item?.output === "string"
    ? item.output
    : typeof item?.arguments === "string"
      ? item.arguments
      : partsText(item?.content ?? item?.output)

const parse = (body: any): ResponsesParsed => {
  const input = body?.input
  const items: Array<any> =
    typeof input === "string" ? [{ role: "user", content: input }] : Array.isArray(input) ? input : []
  const instructions = typeof body?.instructions === "string" ? body.instructions : null
  let chars = instructions?.length ?? 0
  for (const item of items) chars += itemText(item).length + 4
  let prompt = ""
  for (let i = items.length - 1; i >= 0; i--) {
    if (items[i]?.role === "user") {
      prompt = partsText(items[i].content)
      break
    }
  }
  const tools = Array.isArray(body?.tools) ? body.tools : []
  const tool = tools.find((t: any) => t?.type === "function" && typeof t?.name === "string")
  const customTool =
    tool === undefined ? tools.find((t: any) => t?.type === "custom" && typeof t?.name === "string") : undefined
  const webSearch = tools.some((t: any) => t?.type === "web_search" || t?.type === "web_search_preview")
  const invalid =
    typeof body?.model !== "string"
      ? { message: "Missing required parameter: 'model'.", param: "model" }
      : input === undefined && typeof body?.previous_response_id !== "string"
        ? { message: "Missing required parameter: 'input'.", param: "input" }
        : input !== undefined && typeof input !== "string" && !Array.isArray(input)
          ? { message: "Invalid type for 'input': expected a string or an array of input items.", param: "input" }
          : undefined
  return {
    model: typeof body?.model === "string" ? body.model : undefined,
    stream: body?.stream === true,
    prompt,
    inputChars: chars,
    messageCount: Math.max(1, items.length),
    maxTokens: typeof body?.max_output_tokens === "number" ? body.max_output_tokens : undefined,
    includeUsage: true,
    toolName: (tool ?? customTool)?.name,
    invalid,
    responses: {
      instructions,
      webSearch,
      custom: customTool !== undefined,
      reasons: typeof body?.reasoning?.effort === "string" && body.reasoning.effort !== "none",
      encrypted: Array.isArray(body?.include) && body.include.includes("reasoning.encrypted_content")
    }
  }
}

const isTool = (a: Answer) => a.shape === "tool_call" || a.shape === "malformed_tool_call"

const ids = (ctx: Ctx) => ({
  response: `resp_${ctx.responseId}`,
  message: `msg_${ctx.responseId}`,
  call: `fc_${ctx.responseId}`,
  callId: `call_${ctx.responseId.slice(0, 24)}`
})

const status = (a: Answer) =>
  a.finish === "length"
    ? { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } }
    : a.finish === "content_filter"
      ? { status: "incomplete", incomplete_details: { reason: "content_filter" } }
      : { status: "completed", incomplete_details: null }

const usage = (a: Answer, ctx: Ctx) => ({
  input_tokens: ctx.inputTokens,
  input_tokens_details: { cached_tokens: 0 },
  output_tokens: a.outputTokens,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: ctx.inputTokens + a.outputTokens
})

const textPart = (text: string, annotations: ReadonlyArray<unknown> = []) => ({
  type: "output_text",
  text,
  annotations,
  logprobs: []
})

/** A searched answer cites its one result over the whole text (as OpenAI's `url_citation`). */
const citations = (a: Answer, ctx: Ctx): ReadonlyArray<unknown> =>
  searches(ctx) && a.shape === "text"
    ? [
        {
          type: "url_citation",
          start_index: 0,
          end_index: a.text.length,
          url: "https://example.test/result",
          title: "A result"
        }
      ]
    : []

const custom = (ctx: Ctx) => isRequest(ctx.req) && ctx.req.responses.custom
const searches = (ctx: Ctx) => isRequest(ctx.req) && ctx.req.responses.webSearch

const reasons = (ctx: Ctx) => isRequest(ctx.req) && ctx.req.responses.reasons

/** A reasoning model's thinking: no readable summary, its encrypted content when included. */
const reasoningItem = (ctx: Ctx) => ({
  id: `rs_${ctx.responseId}`,
  type: "reasoning",
  summary: [],
  ...(isRequest(ctx.req) && ctx.req.responses.encrypted
    ? { encrypted_content: `gAAAAB-sim-${Buffer.from(ctx.responseId).toString("base64url")}` }
    : {})
})

/** The search a `web_search` tool ran before the answer (as OpenAI reports it). */
const searchItem = (ctx: Ctx, itemStatus: string) => ({
  id: `ws_${ctx.responseId}`,
  type: "web_search_call",
  status: itemStatus,
  action: { type: "search", query: ctx.req.prompt.slice(0, 200) }
})

const item = (a: Answer, ctx: Ctx, itemStatus: string) =>
  isTool(a) && custom(ctx)
    ? {
        id: `ctc_${ctx.responseId}`,
        type: "custom_tool_call",
        status: itemStatus,
        call_id: ids(ctx).callId,
        name: ctx.req.toolName,
        input: a.text
      }
    : isTool(a)
      ? {
          id: ids(ctx).call,
          type: "function_call",
          status: itemStatus,
          arguments: a.text,
          call_id: ids(ctx).callId,
          name: ctx.req.toolName ?? "get_weather"
        }
      : {
          id: ids(ctx).message,
          type: "message",
          status: itemStatus,
          role: "assistant",
          content: [a.shape === "refusal" ? { type: "refusal", refusal: a.text } : textPart(a.text, citations(a, ctx))]
        }

const response = (a: Answer | undefined, ctx: Ctx) => {
  const s = a === undefined ? { status: "in_progress", incomplete_details: null } : status(a)
  return {
    id: ids(ctx).response,
    object: "response",
    created_at: ctx.created,
    ...s,
    ...(s.status === "completed" ? { completed_at: ctx.created } : {}),
    background: false,
    error: null,
    instructions: isRequest(ctx.req) ? ctx.req.responses.instructions : null,
    max_output_tokens: ctx.req.maxTokens ?? null,
    model: ctx.model,
    output:
      a === undefined
        ? []
        : [
            ...(reasons(ctx) ? [reasoningItem(ctx)] : []),
            ...(searches(ctx) ? [searchItem(ctx, "completed")] : []),
            item(a, ctx, s.status === "completed" ? "completed" : "incomplete")
          ],
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    service_tier: "default",
    store: true,
    temperature: 1,
    text: { format: { type: "text" }, verbosity: "medium" },
    tool_choice: "auto",
    tools: [],
    top_p: 1,
    truncation: "disabled",
    usage: a === undefined ? null : usage(a, ctx),
    metadata: {}
  }
}

const events = (a: Answer, ctx: Ctx): Array<string> => {
  const out: Array<string> = []
  let seq = 0
  const event = (type: string, fields: Record<string, unknown>) =>
    out.push(`event: ${type}\ndata: ${JSON.stringify({ type, ...fields, sequence_number: seq++ })}\n\n`)
  const done = response(a, ctx)
  event("response.created", { response: response(undefined, ctx) })
  event("response.in_progress", { response: response(undefined, ctx) })
  if (reasons(ctx)) {
    event("response.output_item.added", {
      output_index: 0,
      item: { ...reasoningItem(ctx), encrypted_content: undefined }
    })
    event("response.output_item.done", { output_index: 0, item: done.output[0] })
  }
  if (searches(ctx)) {
    const at = reasons(ctx) ? 1 : 0
    const search = done.output[at]! as { id: string }
    const on = { output_index: at, item_id: search.id }
    event("response.output_item.added", { output_index: at, item: { ...search, status: "in_progress" } })
    event("response.web_search_call.in_progress", on)
    event("response.web_search_call.searching", on)
    event("response.web_search_call.completed", on)
    event("response.output_item.done", { output_index: at, item: search })
  }
  const at = { output_index: done.output.length - 1 }
  const final = done.output.at(-1)! as any
  if (isTool(a) && custom(ctx)) {
    const id = final.id
    event("response.output_item.added", { ...at, item: { ...final, status: "in_progress", input: "" } })
    for (let i = 0; i < a.text.length; i += 8)
      event("response.custom_tool_call_input.delta", { ...at, item_id: id, delta: a.text.slice(i, i + 8) })
    event("response.custom_tool_call_input.done", { ...at, item_id: id, input: a.text })
  } else if (isTool(a)) {
    const id = ids(ctx).call
    event("response.output_item.added", { ...at, item: { ...final, status: "in_progress", arguments: "" } })
    for (let i = 0; i < a.text.length; i += 8)
      event("response.function_call_arguments.delta", { ...at, item_id: id, delta: a.text.slice(i, i + 8) })
    event("response.function_call_arguments.done", { ...at, item_id: id, arguments: a.text })
  } else {
    const id = ids(ctx).message
    const refusal = a.shape === "refusal"
    const part = { ...at, item_id: id, content_index: 0 }
    event("response.output_item.added", { ...at, item: { ...final, status: "in_progress", content: [] } })
    event("response.content_part.added", { ...part, part: refusal ? { type: "refusal", refusal: "" } : textPart("") })
    for (const d of deltas(a.text))
      event(refusal ? "response.refusal.delta" : "response.output_text.delta", {
        ...part,
        delta: d,
        ...(refusal ? {} : { logprobs: [] })
      })
    event(
      refusal ? "response.refusal.done" : "response.output_text.done",
      refusal ? { ...part, refusal: a.text } : { ...part, text: a.text, logprobs: [] }
    )
    for (const [annotation_index, annotation] of citations(a, ctx).entries())
      event("response.output_text.annotation.added", { ...part, annotation_index, annotation })
    event("response.content_part.done", {
      ...part,
      part: refusal ? { type: "refusal", refusal: a.text } : textPart(a.text, citations(a, ctx))
    })
  }
  event("response.output_item.done", { ...at, item: final })
  event(done.status === "completed" ? "response.completed" : "response.incomplete", { response: done })
  return out
}

/** `dialect` (OpenAI's) plus `POST /v1/responses`. */
export const withResponses = (dialect: Dialect): Dialect =>
  dialect.kind !== "openai"
    ? dialect
    : {
        ...dialect,
        route: (method, path) => (method === "POST" && path === "/v1/responses" ? ROUTE : dialect.route(method, path)),
        parse: (body, route) => (isRoute(route) ? parse(body) : dialect.parse(body, route)),
        json: (answer, ctx) => (isRequest(ctx.req) ? JSON.stringify(response(answer, ctx)) : dialect.json(answer, ctx)),
        events: (answer, ctx) => (isRequest(ctx.req) ? events(answer, ctx) : dialect.events(answer, ctx)),
        streamError: (ctx) =>
          isRequest(ctx.req)
            ? `event: error\ndata: ${JSON.stringify({
                type: "error",
                code: "server_is_overloaded",
                message: ctx.options?.message ?? "The engine is currently overloaded, please try again later.",
                param: null,
                sequence_number: ctx.options?.afterChunks ?? 1
              })}\n\n`
            : dialect.streamError(ctx)
      }
