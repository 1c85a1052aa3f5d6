/**
 * The answer side of the Responses wire: the `response` object (the request's parameters echoed
 * as OpenAI does, `status` and `incomplete_details`, usage) and its `output` items — `reasoning`,
 * the assistant `message`, `function_call` — with ids derived from the engine's request id.
 * Re-exported by `ResponsesWire`.
 */
import type { FinishReason, ReasoningPart, ToolCall, Usage, WireItem } from "@am/core"
import type { ResponsesRequest } from "../../ResponsesWire.ts"
import { itemType, spliceWireItems, wireItemsOf } from "../WireItems.ts"
import { sealReasoning } from "./ReasoningSeal.ts"

/** The ids clients see: stable per request, so they match the ledger's request id. */
export const responsesIds = (requestId: string) => ({
  response: `resp_${requestId}`,
  message: `msg_${requestId}`,
  reasoning: (i: number) => `rs_${requestId}_${i}`,
  functionCall: (i: number) => `fc_${requestId}_${i}`
})

/** The Responses `usage` object for the engine's usage. */
export const responsesUsage = (u: Usage) => ({
  input_tokens: u.inputTokens,
  input_tokens_details: { cached_tokens: u.cacheReadInputTokens ?? 0 },
  output_tokens: u.outputTokens,
  output_tokens_details: { reasoning_tokens: u.reasoningOutputTokens ?? 0 },
  total_tokens: u.totalTokens
})

/** `status` and `incomplete_details` of a response that finished for `reason`. */
export const responsesStatus = (reason: FinishReason) =>
  reason === "length"
    ? { status: "incomplete" as const, incomplete_details: { reason: "max_output_tokens" } }
    : reason === "content_filter"
      ? { status: "incomplete" as const, incomplete_details: { reason: "content_filter" } }
      : { status: "completed" as const, incomplete_details: null }

/** An output `message` item (`annotations`: the upstream's citations of its text, when it had them). */
export const responsesMessageItem = (
  id: string,
  text: string,
  refusal: string | undefined,
  status: string,
  annotations: ReadonlyArray<unknown> = []
) => ({
  id,
  type: "message" as const,
  status,
  role: "assistant" as const,
  content:
    refusal !== undefined
      ? [{ type: "refusal" as const, refusal }]
      : [{ type: "output_text" as const, text, annotations, logprobs: [] }]
})

/**
 * The citations a same-wire upstream put on the text of its `message` items, when that text is
 * still the answer's `text` (not after a guard or a repair changed it); else none.
 *
 * @example
 * ```ts
 * import { upstreamAnnotations } from "./ResponseObject.ts"
 * upstreamAnnotations(
 *   [{ wire: "openai.responses", index: 0, item: { type: "message", content: [{ type: "output_text", text: "Hi", annotations: [{ type: "url_citation" }] }] } }],
 *   "Hi"
 * ) // [{ type: "url_citation" }]
 * ```
 */
export const upstreamAnnotations = (
  wireItems: ReadonlyArray<WireItem> | undefined,
  text: string
): ReadonlyArray<unknown> => {
  const parts = wireItemsOf(wireItems, "openai.responses", (w) => itemType(w) === "message")
    .flatMap((w) => {
      const content = (w.item as { content?: unknown }).content
      return Array.isArray(content) ? content : []
    })
    .filter((p) => (p as { type?: unknown } | null)?.type === "output_text") as ReadonlyArray<{
    text?: string
    annotations?: ReadonlyArray<unknown>
  }>
  if (parts.length === 0 || parts.map((p) => p.text ?? "").join("") !== text) return []
  // One text part: its indices hold; across several, each part's are shifted by the text before it.
  let offset = 0
  return parts.flatMap((p) => {
    const shift = offset
    offset += (p.text ?? "").length
    return (p.annotations ?? []).map((a) => shiftAnnotation(a, shift))
  })
}

const shiftAnnotation = (a: unknown, by: number): unknown => {
  if (by === 0 || typeof a !== "object" || a === null) return a
  const r = a as Record<string, unknown>
  return {
    ...r,
    ...(typeof r.start_index === "number" ? { start_index: r.start_index + by } : {}),
    ...(typeof r.end_index === "number" ? { end_index: r.end_index + by } : {})
  }
}

/** An output `reasoning` item: the provider's readable reasoning as `reasoning_text`. */
export const responsesReasoningItem = (id: string, part: ReasoningPart, status: string) => ({
  id,
  type: "reasoning" as const,
  status,
  summary: [] as Array<{ type: "summary_text"; text: string }>,
  content: [{ type: "reasoning_text" as const, text: part.text }],
  encrypted_content: sealReasoning(part)
})

/** An output `function_call` item. */
export const responsesFunctionCallItem = (id: string, call: ToolCall, status: string) => ({
  id,
  type: "function_call" as const,
  status,
  call_id: call.id,
  name: call.name,
  arguments: call.arguments
})

/**
 * An upstream's own output item of a same-wire answer (a built-in or custom tool call…), relayed
 * as it came (`Completion.wireItems`).
 */
export type ResponsesWireOutputItem = Readonly<Record<string, unknown>>

export type ResponsesOutputItem =
  | ReturnType<typeof responsesMessageItem>
  | ReturnType<typeof responsesFunctionCallItem>
  | ReturnType<typeof responsesReasoningItem>
  | ResponsesWireOutputItem

/**
 * A same-wire upstream's own output items to hand back: its `openai.responses` items other than a
 * `message` (which rides along for its citations only, `upstreamAnnotations`, never as a second message).
 */
export const responsesWireItems = (wireItems: ReadonlyArray<WireItem> | undefined) =>
  wireItemsOf(wireItems, "openai.responses", (w) => itemType(w) !== "message")

/** The output items of a finished answer: its reasoning, its text (or refusal) as a message, then its tool calls. */
export const responsesOutputItems = (
  requestId: string,
  answer: {
    readonly text: string
    readonly refusal?: string | undefined
    readonly toolCalls: ReadonlyArray<ToolCall>
    readonly reasoning?: ReadonlyArray<ReasoningPart> | undefined
    readonly finishReason: FinishReason
    /** A same-wire upstream's own items the answer has no place for (kept at their index). */
    readonly wireItems?: ReadonlyArray<WireItem> | undefined
  }
): Array<ResponsesOutputItem> => {
  const ids = responsesIds(requestId)
  const itemStatus = responsesStatus(answer.finishReason).status
  const items: Array<ResponsesOutputItem> = (answer.reasoning ?? []).map((part, i) =>
    responsesReasoningItem(ids.reasoning(i), part, "completed")
  )
  const wire = responsesWireItems(answer.wireItems)
  // An answer that is only upstream items (a custom tool call, say) has no empty message beside them.
  if (answer.text.length > 0 || answer.refusal !== undefined || (answer.toolCalls.length === 0 && wire.length === 0))
    items.push(
      responsesMessageItem(
        ids.message,
        answer.text,
        answer.refusal,
        itemStatus,
        upstreamAnnotations(answer.wireItems, answer.text)
      )
    )
  answer.toolCalls.forEach((call, i) => {
    items.push(responsesFunctionCallItem(ids.functionCall(i), call, "completed"))
  })
  return spliceWireItems(items, wire)
}

/**
 * The parts of a `response` object that come from the request: what the client asked for, echoed
 * as OpenAI does. `status`, `output`, `usage` and the details are the answer's.
 */
export const responsesEnvelope = (request: ResponsesRequest, id: string, createdAt: number, model: string) => {
  const { body } = request
  return {
    id,
    object: "response" as const,
    created_at: createdAt,
    status: "in_progress" as string,
    background: false,
    error: null,
    incomplete_details: null as { reason: string } | null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    max_tool_calls: body.max_tool_calls ?? null,
    model,
    output: [] as ReadonlyArray<unknown>,
    parallel_tool_calls: true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: body.reasoning?.effort ?? null, summary: null },
    service_tier: "default",
    store: body.store !== false,
    temperature: body.temperature ?? null,
    text: { format: request.format ?? { type: "text" }, verbosity: body.text?.verbosity ?? "medium" },
    // Tools and a tool choice the gateway does not translate (built-in, custom…) echo as sent.
    tool_choice: request.toolChoice ?? body.tool_choice ?? "auto",
    tools: (body.tools ?? []).map((raw) => {
      const t = typeof raw === "object" && raw !== null ? (raw as { type?: unknown; name?: unknown }) : undefined
      const fn = t?.type === "function" ? request.tools.find((f) => f.name === t.name) : undefined
      return fn === undefined
        ? raw
        : {
            type: "function",
            name: fn.name,
            description: fn.description ?? null,
            parameters: fn.parameters ?? null,
            strict: fn.strict ?? false
          }
    }),
    top_logprobs: body.top_logprobs ?? 0,
    top_p: body.top_p ?? null,
    truncation: body.truncation ?? "disabled",
    ...(body.prompt_cache_key !== undefined && body.prompt_cache_key !== null
      ? { prompt_cache_key: body.prompt_cache_key }
      : {}),
    usage: null as ReturnType<typeof responsesUsage> | null,
    metadata: body.metadata ?? {}
  }
}
export type ResponsesEnvelope = ReturnType<typeof responsesEnvelope>

/** The finished `response` object. */
export const responsesFinished = (
  envelope: ResponsesEnvelope,
  output: ReadonlyArray<ResponsesOutputItem>,
  finishReason: FinishReason,
  usage: Usage,
  completedAt: number
) => {
  const status = responsesStatus(finishReason)
  return {
    ...envelope,
    ...status,
    ...(status.status === "completed" ? { completed_at: completedAt } : {}),
    output,
    usage: responsesUsage(usage)
  }
}
