/**
 * Anthropic Messages API responses → core `Completion`: finish reasons, usage (cached input
 * counted in, as OpenTelemetry counts it) and refusals.
 *
 * @example
 * ```ts
 * import { fromMessage, mapFinishReason } from "@am/provider-anthropic"
 * mapFinishReason("tool_use") // "tool_calls"
 * ```
 * @since 0.1.0
 */
import type { Completion, FinishReason, ReasoningPart, ToolCall, Usage, WireItem } from "@am/core"
import { makeUsage } from "@am/core"
import type { Message } from "@anthropic-ai/sdk/resources/messages"

/**
 * Anthropic `stop_reason` → core finish reason: `end_turn`/`stop_sequence` → `stop`;
 * `max_tokens`/`model_context_window_exceeded` → `length`; `tool_use` → `tool_calls`;
 * `refusal` → `refusal`; `pause_turn` (a server-tool loop paused; resend to continue) → `length`,
 * because the answer is incomplete and continuable, like a truncation. Unknown or missing → `stop`
 * (the raw value is kept in `rawFinishReason`).
 *
 * @example
 * ```ts
 * import { mapFinishReason } from "@am/provider-anthropic"
 * mapFinishReason("tool_use") // "tool_calls"
 * mapFinishReason("pause_turn") // "length"
 * ```
 */
export const mapFinishReason = (stopReason: string | null | undefined): FinishReason => {
  switch (stopReason) {
    case "max_tokens":
    case "model_context_window_exceeded":
    case "pause_turn":
      return "length"
    case "tool_use":
      return "tool_calls"
    case "refusal":
      return "refusal"
    default:
      return "stop"
  }
}

/** @deprecated The old name of {@link mapFinishReason}, the name all three adapters use. */
export const mapStopReason = mapFinishReason

/** The usage fields Anthropic reports (`Message.usage`, or the merged stream usage). */
export interface AnthropicUsage {
  readonly input_tokens?: number | null
  readonly output_tokens?: number | null
  readonly cache_read_input_tokens?: number | null
  readonly cache_creation_input_tokens?: number | null
  readonly output_tokens_details?: { readonly thinking_tokens?: number | null } | null
}

const count = (n: number | null | undefined): number | undefined =>
  typeof n === "number" && Number.isFinite(n) && n >= 0 ? Math.trunc(n) : undefined

/**
 * Anthropic usage → core usage. Anthropic's `input_tokens` counts only the uncached input, while
 * core (OpenTelemetry `gen_ai.usage.input_tokens`) counts all of it, so
 * `inputTokens = input_tokens + cache_read_input_tokens + cache_creation_input_tokens`; the two
 * cache counts are also reported on their own. `reasoningOutputTokens` is
 * `output_tokens_details.thinking_tokens` (already inside `output_tokens`).
 *
 * @example
 * ```ts
 * import { toUsage } from "@am/provider-anthropic"
 * toUsage({ input_tokens: 10, cache_read_input_tokens: 90, output_tokens: 5 })
 * // { inputTokens: 100, outputTokens: 5, totalTokens: 105, cacheReadInputTokens: 90 }
 * ```
 */
export const toUsage = (usage: AnthropicUsage | null | undefined): Usage => {
  const uncached = count(usage?.input_tokens) ?? 0
  const cacheRead = count(usage?.cache_read_input_tokens)
  const cacheCreation = count(usage?.cache_creation_input_tokens)
  const reasoning = count(usage?.output_tokens_details?.thinking_tokens)
  return makeUsage({
    inputTokens: uncached + (cacheRead ?? 0) + (cacheCreation ?? 0),
    outputTokens: count(usage?.output_tokens) ?? 0,
    ...(cacheRead !== undefined ? { cacheReadInputTokens: cacheRead } : {}),
    ...(cacheCreation !== undefined ? { cacheCreationInputTokens: cacheCreation } : {}),
    ...(reasoning !== undefined ? { reasoningOutputTokens: reasoning } : {})
  })
}

/** The refusal text: Anthropic's `stop_details.explanation`, else the answer text, else a fixed note. */
const refusalText = (message: Pick<Message, "stop_details">, text: string): string =>
  message.stop_details?.explanation ?? (text.length > 0 ? text : "The model declined to answer (stop_reason: refusal).")

/**
 * A Messages API response → core `Completion`. Text blocks are joined into `content` (null when
 * there is none), `tool_use` blocks become `toolCalls` (input re-serialised as JSON text), thinking
 * and `redacted_thinking` blocks become `reasoning` parts (signature or data kept, `provider:
 * "anthropic"`, so they can go back unchanged on the next turn). A `refusal` is a Completion with `finishReason: "refusal"` and
 * `message.refusal` set — not a failure; the engine classifies it.
 *
 * @example
 * ```ts
 * import { fromMessage } from "@am/provider-anthropic"
 * import type { Message } from "@anthropic-ai/sdk/resources/messages"
 * declare const message: Message // what client.messages.create returned
 * const completion = fromMessage(message, "req_1")
 * completion.finishReason // "stop" | "length" | "tool_calls" | "refusal"
 * ```
 */
export const fromMessage = (message: Message, providerRequestId?: string | null): Completion => {
  const text = message.content.flatMap((b) => (b.type === "text" ? [b.text] : [])).join("")
  const toolCalls: Array<ToolCall> = message.content.flatMap((b) =>
    b.type === "tool_use" ? [{ id: b.id, name: b.name, arguments: JSON.stringify(b.input ?? {}) }] : []
  )
  const reasoning: Array<ReasoningPart> = message.content.flatMap(
    (b): Array<ReasoningPart> =>
      b.type === "thinking"
        ? [{ type: "reasoning", text: b.thinking, signature: b.signature, provider: "anthropic" }]
        : b.type === "redacted_thinking"
          ? [{ type: "reasoning", text: "", redactedData: b.data, provider: "anthropic" }]
          : []
  )
  const finishReason = mapFinishReason(message.stop_reason)
  // Server tools' blocks (`server_tool_use`, `web_search_tool_result`, …): kept whole for a client
  // of the Messages wire, at their index.
  const wireItems: Array<WireItem> = []
  // With citations (web search, documents) on any text block, every text block is kept whole too:
  // the core text has no place for them; the gateway renders these blocks while the text is still
  // the upstream's.
  const cited = message.content.some((b) => b.type === "text" && Array.isArray(b.citations) && b.citations.length > 0)
  message.content.forEach((b, index) => {
    if (!representedBlock(b.type) || (cited && b.type === "text"))
      wireItems.push({ wire: "anthropic.messages", index, item: b })
  })
  return {
    message: {
      role: "assistant",
      content: text.length > 0 ? text : null,
      ...(toolCalls.length > 0 ? { toolCalls } : {}),
      ...(reasoning.length > 0 ? { reasoning } : {}),
      ...(finishReason === "refusal" ? { refusal: refusalText(message, text) } : {})
    },
    finishReason,
    usage: toUsage(message.usage),
    provider: "anthropic",
    model: message.model,
    ...(message.stop_reason !== null && message.stop_reason !== undefined
      ? { rawFinishReason: message.stop_reason }
      : {}),
    ...(typeof message.stop_sequence === "string" ? { stopSequence: message.stop_sequence } : {}),
    ...(typeof message.id === "string" && message.id.length > 0 ? { providerResponseId: message.id } : {}),
    ...(providerRequestId !== undefined && providerRequestId !== null && providerRequestId.length > 0
      ? { providerRequestId }
      : {}),
    ...(typeof message.usage?.service_tier === "string" ? { serviceTier: message.usage.service_tier } : {}),
    ...(wireItems.length > 0 ? { wireItems } : {})
  }
}

/**
 * Whether the core completion carries a content block of this type (`text`, `tool_use`,
 * `thinking`, `redacted_thinking`); any other (a server tool's `server_tool_use`,
 * `web_search_tool_result`, `code_execution_tool_result`, …) rides along as a `WireItem`.
 *
 * @example
 * ```ts
 * import { representedBlock } from "@am/provider-anthropic"
 * representedBlock("web_search_tool_result") // false
 * ```
 */
export const representedBlock = (type: unknown): boolean =>
  type === "text" || type === "tool_use" || type === "thinking" || type === "redacted_thinking"
