import { type ChatMessage, type ContentPart, contentText, type UserMessage } from "@am/core"

/** The last user message of a conversation and its plain text. */
export interface UserTextTarget {
  readonly index: number
  readonly message: UserMessage
  readonly text: string
}

/** The last user message — the turn that was blocked; earlier turns were already accepted. */
export const lastUserText = (messages: ReadonlyArray<ChatMessage>): UserTextTarget | undefined => {
  const index = messages.findLastIndex((m) => m.role === "user")
  const message = messages[index]
  if (message === undefined || message.role !== "user") return undefined
  return { index, message, text: contentText(message.content) }
}

/**
 * Text parts become one text part holding `text`, at the first text part's position; image
 * parts stay where they were (the rewrite is of the words, not the pictures).
 */
const replaceTextParts = (parts: ReadonlyArray<ContentPart>, text: string): ReadonlyArray<ContentPart> => {
  const first = parts.findIndex((p) => p.type === "text")
  const rewritten: ContentPart = { type: "text", text }
  if (first < 0) return [rewritten, ...parts]
  return parts.flatMap((p, i): Array<ContentPart> => (i === first ? [rewritten] : p.type === "text" ? [] : [p]))
}

/** The conversation with only the target message's text replaced. */
export const withUserText = (
  messages: ReadonlyArray<ChatMessage>,
  target: UserTextTarget,
  text: string
): ReadonlyArray<ChatMessage> => {
  const content = typeof target.message.content === "string" ? text : replaceTextParts(target.message.content, text)
  return messages.map((m, i) => (i === target.index ? { ...target.message, content } : m))
}

/** Whitespace-collapsed, lower-cased text, for "did anything change" comparisons. */
export const normalise = (text: string): string => text.replace(/\s+/g, " ").trim().toLowerCase()
