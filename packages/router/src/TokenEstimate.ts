/**
 * The prompt-token estimate the context-window filter uses: provider-neutral and cheap, never
 * a tokenizer. A provider's own `context_length_exceeded` stays the authority; the estimate only
 * keeps the plan from calling models that plainly cannot fit the request.
 *
 * The rule (the engine's, unchanged, so plans match today's):
 * - ~4 characters per token over message text, tool-call names and arguments, and the JSON of
 *   the tool definitions, rounded up;
 * - every non-text content part (image, audio, file) counts as 1,000 characters (~250 tokens);
 * - plus 4 tokens of framing per message;
 * - an embeddings request: its input texts at ~4 characters per token (the context check of an
 *   embeddings request uses its longest input, since the limit is per input:
 *   `estimateLongestInputTokens`).
 *
 * English prose runs ~4 characters per token on the three providers' tokenizers; code, CJK text
 * and images can cost several times more, so a model within ~10% of its window may still
 * answer `context_length_exceeded` — that failure is model-scoped and fails over to a larger one.
 *
 * @example
 * ```ts
 * import { estimatePromptTokens } from "@am/router"
 * estimatePromptTokens({ messages: [{ role: "user", content: "Say hi" }] }) // 6 = ceil(6 / 4) + 4
 * ```
 * @since 0.1.0
 */
import type { RoutableRequest } from "./Capability.ts"

/** Characters a non-text content part counts as. */
export const NON_TEXT_PART_CHARS = 1000

const contentChars = (content: unknown): number => {
  if (typeof content === "string") return content.length
  if (!Array.isArray(content)) return 0
  let n = 0
  for (const p of content) {
    n +=
      p !== null && typeof p === "object" && p.type === "text" && typeof p.text === "string"
        ? p.text.length
        : NON_TEXT_PART_CHARS
  }
  return n
}

/** The estimated prompt tokens of `request` (see the module comment for the rule). */
export const estimatePromptTokens = (request: RoutableRequest): number => {
  const messages = request.messages ?? []
  let chars = 0
  for (const m of messages) {
    chars += contentChars(m.content)
    if (m.role === "assistant" && m.toolCalls) {
      for (const c of m.toolCalls) chars += c.arguments.length + c.name.length
    }
  }
  if (request.tools) chars += JSON.stringify(request.tools).length
  if (request.input !== undefined) {
    chars += typeof request.input === "string" ? request.input.length : request.input.reduce((k, s) => k + s.length, 0)
  }
  return Math.ceil(chars / 4) + 4 * messages.length
}

/** An embeddings request's longest input, in estimated tokens (0 without inputs). */
export const estimateLongestInputTokens = (request: RoutableRequest): number => {
  const input = request.input
  if (input === undefined) return 0
  const texts = typeof input === "string" ? [input] : input
  return Math.ceil(Math.max(0, ...texts.map((t) => t.length)) / 4)
}
