/**
 * OpenAI Responses API stream events → core `CompletionChunk`s, as the chat stream translator
 * does for chat chunks: text and tool-call deltas as they come, then one `Finish` (with the
 * usage of `response.completed` / `response.incomplete`) once the stream has ended.
 *
 * @example
 * ```ts
 * import { makeResponsesStreamTranslator } from "@am/provider-openai"
 * const t = makeResponsesStreamTranslator({ kind: "openai", model: "gpt-4o" })
 * t.push({ type: "response.output_text.delta", output_index: 0, delta: "Hi" }) // [{ _tag: "TextDelta", text: "Hi" }]
 * t.push({ type: "response.completed", response: { status: "completed", usage: { input_tokens: 3, output_tokens: 1 } } })
 * t.finish() // Result.succeed({ _tag: "Finish", finishReason: "stop", … })
 * ```
 * @since 0.1.0
 */
import type { CompletionChunk, WireItem } from "@am/core"
import { Predicate, Result } from "effect"
import { argumentsText, field } from "./internal/Fields.ts"
import type { ResponseTranslationOptions } from "./ResponseTranslation.ts"
import {
  type ResponsesProblem,
  annotated,
  representedItem,
  responsesFinishReason,
  toResponsesUsage,
  upstreamError
} from "./ResponsesTranslation.ts"

/** Turns one Responses event stream into core chunks; one per streamed call. */
export interface ResponsesStreamTranslator {
  /** The core chunks one event yields, or the problem it reports (`response.failed`, `error`). */
  readonly push: (event: unknown) => Result.Result<ReadonlyArray<CompletionChunk>, ResponsesProblem>
  /** The closing `Finish` chunk, or why the stream is incomplete (no final response arrived). */
  readonly finish: () => Result.Result<CompletionChunk, ResponsesProblem>
}

const str = (u: unknown): string | undefined => (Predicate.isString(u) && u !== "" ? u : undefined)

interface Call {
  readonly index: number
  /** Whether argument text went out for it (a `.done` then adds nothing). */
  sent: boolean
}

/**
 * A stateful translator. Function calls are numbered 0, 1, … in order of their
 * `response.output_item.added` (keyed by output index and item id), their argument deltas follow;
 * a call whose arguments arrive only whole (`.done`, `output_item.done`) gets them then.
 * Refusal deltas are not text: they make the finish reason `refusal`. Reasoning text and summary
 * deltas are `ReasoningDelta`s, one block per reasoning item. An item of a type the chunks have no
 * place for (`web_search_call`, `custom_tool_call`, …) is kept whole from its
 * `response.output_item.done` and rides on the `Finish` as `wireItems`. Other events are ignored.
 *
 * @example
 * ```ts
 * import { makeResponsesStreamTranslator } from "@am/provider-openai"
 * const t = makeResponsesStreamTranslator({ kind: "openai", model: "gpt-4o" })
 * t.push({ type: "response.output_item.added", output_index: 0, item: { type: "function_call", id: "fc_1", call_id: "call_1", name: "f", arguments: "" } })
 * // [{ _tag: "ToolCallDelta", index: 0, id: "call_1", name: "f" }]
 * ```
 */
export const makeResponsesStreamTranslator = (options: ResponseTranslationOptions): ResponsesStreamTranslator => {
  let id: string | undefined
  let model: string | undefined
  let final: unknown
  let refusal = false
  const calls = new Map<string, Call>()
  const reasoningBlocks = new Map<string, number>()
  // Items the chunks cannot carry (built-in and custom tool calls…), whole, for the Finish.
  const wireItems: Array<WireItem> = []

  const keysOf = (event: unknown): ReadonlyArray<string> => {
    const out: Array<string> = []
    const item = str(field(event, "item_id")) ?? str(field(field(event, "item"), "id"))
    if (item !== undefined) out.push(`id:${item}`)
    const at = field(event, "output_index")
    if (Predicate.isNumber(at)) out.push(`at:${at}`)
    return out
  }
  const callOf = (event: unknown): Call | undefined => {
    for (const k of keysOf(event)) {
      const c = calls.get(k)
      if (c !== undefined) return c
    }
    return undefined
  }
  const addCall = (event: unknown): Call => {
    const call: Call = { index: new Set(calls.values()).size, sent: false }
    for (const k of keysOf(event)) calls.set(k, call)
    return call
  }
  const blockOf = (event: unknown): number => {
    const key = keysOf(event)[0] ?? "only"
    const known = reasoningBlocks.get(key)
    if (known !== undefined) return known
    const index = reasoningBlocks.size
    reasoningBlocks.set(key, index)
    return index
  }

  const whole = (event: unknown, item: unknown): ReadonlyArray<CompletionChunk> => {
    const known = callOf(event)
    const call = known ?? addCall(event)
    const name = str(field(item, "name"))
    const callId = str(field(item, "call_id"))
    const args = argumentsText(field(item, "arguments"))
    const fresh = !call.sent && args !== ""
    if (args !== "") call.sent = true
    if (known !== undefined && !fresh) return []
    return [
      {
        _tag: "ToolCallDelta",
        index: call.index,
        ...(known === undefined && callId !== undefined ? { id: callId } : {}),
        ...(known === undefined && name !== undefined ? { name } : {}),
        ...(fresh ? { argumentsDelta: args } : {})
      }
    ]
  }

  const push = (event: unknown): Result.Result<ReadonlyArray<CompletionChunk>, ResponsesProblem> => {
    const type = field(event, "type")
    if (!Predicate.isString(type)) return Result.succeed([])
    const response = field(event, "response")
    if (Predicate.isObject(response)) {
      id ??= str(field(response, "id"))
      model ??= str(field(response, "model"))
    }
    switch (type) {
      case "response.output_text.delta": {
        const delta = str(field(event, "delta"))
        return Result.succeed(delta !== undefined ? [{ _tag: "TextDelta", text: delta }] : [])
      }
      case "response.refusal.delta":
      case "response.refusal.done":
        refusal = true
        return Result.succeed([])
      case "response.reasoning_text.delta":
      case "response.reasoning_summary_text.delta": {
        const delta = str(field(event, "delta"))
        return Result.succeed(
          delta !== undefined ? [{ _tag: "ReasoningDelta", index: blockOf(event), text: delta }] : []
        )
      }
      case "response.output_item.added": {
        const item = field(event, "item")
        if (field(item, "type") !== "function_call") return Result.succeed([])
        return Result.succeed(whole(event, item))
      }
      case "response.function_call_arguments.delta": {
        const delta = str(field(event, "delta"))
        const call = callOf(event) ?? addCall(event)
        if (delta === undefined) return Result.succeed([])
        call.sent = true
        return Result.succeed([{ _tag: "ToolCallDelta", index: call.index, argumentsDelta: delta }])
      }
      case "response.function_call_arguments.done":
        return Result.succeed(whole(event, { arguments: field(event, "arguments") }))
      case "response.output_item.done": {
        const item = field(event, "item")
        if (
          Predicate.isObject(item) &&
          (!representedItem(field(item, "type")) || (field(item, "type") === "message" && annotated(item)))
        ) {
          const at = field(event, "output_index")
          wireItems.push({ wire: "openai.responses", index: Predicate.isNumber(at) ? at : wireItems.length, item })
          return Result.succeed([])
        }
        if (field(item, "type") === "function_call") return Result.succeed(whole(event, item))
        if (field(item, "type") === "reasoning") {
          const encrypted = str(field(item, "encrypted_content"))
          const itemId = str(field(item, "id"))
          if (encrypted !== undefined)
            return Result.succeed([
              {
                _tag: "ReasoningDelta",
                index: blockOf(event),
                redactedData: encrypted,
                provider: "openai",
                // The item id goes back with the encrypted reasoning (`toResponsesInput`).
                ...(itemId !== undefined ? { signature: itemId } : {})
              }
            ])
        }
        return Result.succeed([])
      }
      case "response.completed":
      case "response.incomplete":
        final = response
        return Result.succeed([])
      case "response.failed":
        return Result.fail({ _tag: "failed", error: upstreamError(response) })
      case "error":
        return Result.fail({ _tag: "failed", error: upstreamError(event) })
      default:
        return Result.succeed([])
    }
  }

  const finish = (): Result.Result<CompletionChunk, ResponsesProblem> => {
    if (final === undefined) return Result.fail({ _tag: "malformed", reason: "stream ended before response.completed" })
    const { finishReason, raw } = responsesFinishReason(final, { refusal, toolCalls: calls.size > 0 })
    return Result.succeed({
      _tag: "Finish",
      finishReason,
      usage: toResponsesUsage(field(final, "usage")),
      model: model ?? options.model,
      rawFinishReason: raw,
      ...(id !== undefined ? { providerResponseId: id } : {}),
      ...(wireItems.length > 0 ? { wireItems } : {})
    })
  }

  return { push, finish }
}
