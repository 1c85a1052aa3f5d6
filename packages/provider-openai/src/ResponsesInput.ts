/**
 * Core chat messages → OpenAI Responses `instructions` and `input` items: what a same-wire
 * Responses call sends in place of the client's own `input` once the core messages changed (a
 * guard redacted them, mitigation rewrote them, the gateway prepended a stored conversation).
 *
 * @example
 * ```ts
 * import { toResponsesInput } from "@am/provider-openai"
 * toResponsesInput([{ role: "system", content: "Be brief" }, { role: "user", content: "Hi" }])
 * // { instructions: "Be brief", input: [{ type: "message", role: "user", content: "Hi" }] }
 * ```
 * @since 0.1.0
 */
import type { ChatMessage, ContentPart } from "@am/core"
import { contentText } from "@am/core"

/** One Responses input item, as JSON. */
export type ResponsesInputItem = Readonly<Record<string, unknown>>

/** The conversation in the Responses API's shape. */
export interface ResponsesInput {
  /** The leading system messages, joined; `undefined` when there is none. */
  readonly instructions: string | undefined
  readonly input: ReadonlyArray<ResponsesInputItem>
}

const toPart = (part: ContentPart): ResponsesInputItem =>
  part.type === "text"
    ? { type: "input_text", text: part.text }
    : { type: "input_image", image_url: part.url, detail: part.detail ?? "auto" }

const toItems = (message: ChatMessage): ReadonlyArray<ResponsesInputItem> => {
  switch (message.role) {
    case "system":
      return [{ type: "message", role: "system", content: message.content }]
    case "user":
      return [
        {
          type: "message",
          role: "user",
          content: typeof message.content === "string" ? message.content : message.content.map(toPart)
        }
      ]
    case "assistant": {
      // OpenAI's own encrypted reasoning goes back before the turn it led to (a reasoning model
      // keeps its chain of thought across a tool loop, as with store: true); another provider's
      // reasoning means nothing to OpenAI and is left out, as its readable text is.
      const reasoning = (message.reasoning ?? []).flatMap(
        (part): Array<ResponsesInputItem> =>
          part.provider === "openai" && part.redactedData !== undefined
            ? [
                {
                  type: "reasoning",
                  ...(part.signature !== undefined ? { id: part.signature } : {}),
                  summary: [],
                  encrypted_content: part.redactedData
                }
              ]
            : []
      )
      const text = message.content === null ? "" : contentText(message.content)
      const said = text !== "" ? text : (message.refusal ?? "")
      return [
        ...reasoning,
        ...(said !== "" ? [{ type: "message", role: "assistant", content: said }] : []),
        ...(message.toolCalls ?? []).map((tc) => ({
          type: "function_call",
          call_id: tc.id,
          name: tc.name,
          arguments: tc.arguments
        }))
      ]
    }
    case "tool":
      return [{ type: "function_call_output", call_id: message.toolCallId, output: contentText(message.content) }]
  }
}

/**
 * The leading system messages become `instructions` (joined by a blank line); every other
 * message an input item: user and system turns as `message` items (image parts as
 * `input_image`), an assistant turn as OpenAI's own encrypted reasoning items, then its text (or
 * refusal), then a `function_call` per tool call, a tool result as `function_call_output`.
 *
 * @example
 * ```ts
 * import { toResponsesInput } from "@am/provider-openai"
 * toResponsesInput([
 *   { role: "assistant", content: null, toolCalls: [{ id: "call_1", name: "f", arguments: "{}" }] },
 *   { role: "tool", toolCallId: "call_1", content: "42" }
 * ]).input
 * // [{ type: "function_call", call_id: "call_1", name: "f", arguments: "{}" }, { type: "function_call_output", call_id: "call_1", output: "42" }]
 * ```
 */
export const toResponsesInput = (messages: ReadonlyArray<ChatMessage>): ResponsesInput => {
  const leading = messages.findIndex((m) => m.role !== "system")
  const split = leading === -1 ? messages.length : leading
  const system = messages.slice(0, split).map((m) => (m.role === "system" ? m.content : ""))
  return {
    instructions: system.length > 0 ? system.join("\n\n") : undefined,
    input: messages.slice(split).flatMap(toItems)
  }
}
