/**
 * The `count_tokens` answer when no tokenizer is at hand: the gateway serves every provider kind
 * and has none of their tokenizers, so it estimates over the request as the engine will send it —
 * about 4 characters a token over the system prompt, message text, tool calls and results,
 * thinking text and tool definitions (JSON), 1,600 tokens an image (Anthropic's figure for a
 * ~1.15-megapixel image, the largest it does not downscale), and 3 tokens of framing a message.
 * It is an estimate, for budgeting context: providers' counts differ from each other by 10–30 %.
 */
import type { CompletionRequest } from "@am/core"

/** Tokens an image is counted as. */
export const IMAGE_TOKENS = 1600

/** The estimated input tokens of a request's prompt (messages and tools). */
export const estimateInputTokens = (request: Pick<CompletionRequest, "messages" | "tools">): number => {
  let chars = 0
  let images = 0
  const content = (c: CompletionRequest["messages"][number]["content"]) => {
    if (c === null) return
    if (typeof c === "string") chars += c.length
    else
      for (const p of c) {
        if (p.type === "text") chars += p.text.length
        else images++
      }
  }
  for (const m of request.messages) {
    content(m.content)
    if (m.role === "assistant") {
      for (const call of m.toolCalls ?? []) chars += call.name.length + call.arguments.length
      for (const r of m.reasoning ?? []) chars += r.text.length
    }
  }
  if (request.tools !== undefined) chars += JSON.stringify(request.tools).length
  return Math.ceil(chars / 4) + images * IMAGE_TOKENS + 3 * request.messages.length
}
