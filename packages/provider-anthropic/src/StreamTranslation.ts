/**
 * Folds Anthropic's streaming events (`message_start`, `content_block_*`, `message_delta`,
 * `message_stop`) into core `CompletionChunk`s.
 *
 * @example
 * ```ts
 * import { makeStreamTranslator } from "@am/provider-anthropic"
 * const t = makeStreamTranslator()
 * t.push({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hi" } })
 * // [{ _tag: "TextDelta", text: "Hi" }]
 * ```
 * @since 0.1.0
 */
import type { CompletionChunk, WireItem } from "@am/core"
import type { RawMessageStreamEvent } from "@anthropic-ai/sdk/resources/messages"
import { type AnthropicUsage, mapFinishReason, representedBlock, toUsage } from "./ResponseTranslation.ts"

/** A stateful translator for one stream. */
export interface StreamTranslator {
  /** The chunks one event produces (often none). */
  readonly push: (event: RawMessageStreamEvent) => ReadonlyArray<CompletionChunk>
  /** Whether `message_stop` arrived — a stream that ends without it was cut. */
  readonly finished: () => boolean
  /** Whether any content chunk was emitted (text or tool call). */
  readonly emitted: () => boolean
}

type MutableUsage = { -readonly [K in keyof AnthropicUsage]: AnthropicUsage[K] }

/**
 * Creates a translator. Usage is `message_start`'s usage with every non-null field of later
 * `message_delta` usages written over it (Anthropic reports cumulative counts there). Tool calls
 * are numbered 0, 1, … in the order their `tool_use` blocks start (the core `index`), whatever
 * Anthropic's content-block index is; thinking and redacted thinking blocks likewise become
 * `ReasoningDelta`s numbered 0, 1, … (signature and data with `provider: "anthropic"`). `Finish`
 * is emitted on `message_stop`.
 *
 * @example
 * ```ts
 * import { makeStreamTranslator } from "@am/provider-anthropic"
 * const t = makeStreamTranslator("claude-haiku-4-5")
 * t.push({ type: "message_stop" }) // [{ _tag: "Finish", finishReason: "stop", … }]
 * t.finished() // true
 * ```
 */
export const makeStreamTranslator = (fallbackModel = ""): StreamTranslator => {
  let model = fallbackModel
  let id: string | undefined
  let stopReason: string | null = null
  let stopSequence: string | undefined
  let finished = false
  let emitted = false
  const usage: MutableUsage = {}
  const toolIndex = new Map<number, number>()
  const reasoningIndex = new Map<number, number>()
  // Server tools' blocks, by content index: the block as started, its streamed input, then whole
  // on the Finish (a client of the Messages wire gets them back).
  const serverBlocks = new Map<number, { block: Record<string, unknown>; json: string }>()
  const wireItems: Array<WireItem> = []

  const mergeUsage = (u: AnthropicUsage | null | undefined) => {
    if (u === null || u === undefined) return
    for (const k of Object.keys(u) as Array<keyof AnthropicUsage>) {
      const v = u[k]
      if (v !== null && v !== undefined) (usage as Record<string, unknown>)[k] = v
    }
  }

  const push = (event: RawMessageStreamEvent): ReadonlyArray<CompletionChunk> => {
    switch (event.type) {
      case "message_start": {
        if (typeof event.message.model === "string" && event.message.model.length > 0) model = event.message.model
        if (typeof event.message.id === "string" && event.message.id.length > 0) id = event.message.id
        mergeUsage(event.message.usage)
        return []
      }
      case "content_block_start": {
        const block = event.content_block
        if (block.type === "text") {
          if (block.text.length === 0) return []
          emitted = true
          return [{ _tag: "TextDelta", text: block.text }]
        }
        if (block.type === "thinking" || block.type === "redacted_thinking") {
          const index = reasoningIndex.size
          reasoningIndex.set(event.index, index)
          if (block.type === "redacted_thinking") {
            emitted = true
            return [{ _tag: "ReasoningDelta", index, redactedData: block.data, provider: "anthropic" }]
          }
          if (block.thinking.length === 0) return []
          emitted = true
          return [{ _tag: "ReasoningDelta", index, text: block.thinking }]
        }
        if (block.type === "tool_use") {
          const index = toolIndex.size
          toolIndex.set(event.index, index)
          emitted = true
          const input = block.input
          // The input normally streams as input_json_delta; a non-empty start input is sent as-is.
          const initial =
            input !== null && typeof input === "object" && Object.keys(input).length > 0
              ? { argumentsDelta: JSON.stringify(input) }
              : {}
          return [{ _tag: "ToolCallDelta", index, id: block.id, name: block.name, ...initial }]
        }
        if (!representedBlock(block.type)) {
          emitted = true
          serverBlocks.set(event.index, { block: { ...(block as unknown as Record<string, unknown>) }, json: "" })
        }
        return []
      }
      case "content_block_delta": {
        const delta = event.delta
        if (delta.type === "text_delta") {
          if (delta.text.length === 0) return []
          emitted = true
          return [{ _tag: "TextDelta", text: delta.text }]
        }
        if (delta.type === "thinking_delta" || delta.type === "signature_delta") {
          const index = reasoningIndex.get(event.index)
          if (index === undefined) return []
          emitted = true
          return delta.type === "thinking_delta"
            ? delta.thinking.length === 0
              ? []
              : [{ _tag: "ReasoningDelta", index, text: delta.thinking }]
            : [{ _tag: "ReasoningDelta", index, signature: delta.signature, provider: "anthropic" }]
        }
        if (delta.type === "input_json_delta") {
          const server = serverBlocks.get(event.index)
          if (server !== undefined) {
            server.json += delta.partial_json
            return []
          }
          const index = toolIndex.get(event.index)
          if (index === undefined || delta.partial_json.length === 0) return []
          return [{ _tag: "ToolCallDelta", index, argumentsDelta: delta.partial_json }]
        }
        return []
      }
      case "content_block_stop": {
        const server = serverBlocks.get(event.index)
        if (server === undefined) return []
        serverBlocks.delete(event.index)
        let input: unknown = server.block.input
        if (server.json !== "") {
          try {
            input = JSON.parse(server.json)
          } catch {
            input = server.json
          }
        }
        const item = server.json !== "" ? { ...server.block, input } : server.block
        wireItems.push({ wire: "anthropic.messages", index: event.index, item })
        return []
      }
      case "message_delta": {
        if (event.delta.stop_reason !== null && event.delta.stop_reason !== undefined) {
          stopReason = event.delta.stop_reason
        }
        if (typeof event.delta.stop_sequence === "string") stopSequence = event.delta.stop_sequence
        mergeUsage(event.usage)
        return []
      }
      case "message_stop": {
        if (finished) return []
        finished = true
        return [
          {
            _tag: "Finish",
            finishReason: mapFinishReason(stopReason),
            usage: toUsage(usage),
            model,
            ...(stopReason !== null ? { rawFinishReason: stopReason } : {}),
            ...(stopSequence !== undefined ? { stopSequence } : {}),
            ...(id !== undefined ? { providerResponseId: id } : {}),
            ...(wireItems.length > 0 ? { wireItems } : {})
          }
        ]
      }
      default:
        return []
    }
  }

  return { push, finished: () => finished, emitted: () => emitted }
}
