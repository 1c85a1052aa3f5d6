/**
 * Chat messages in the provider-neutral shape every adapter translates from.
 *
 * @example
 * ```ts
 * import { ChatMessage } from "@am/core"
 * const msg: ChatMessage = { role: "user", content: "Hello" }
 * ```
 * @since 0.1.0
 */
import { Schema } from "effect"

/** A text content part. */
export const TextPart = Schema.Struct({
  type: Schema.Literal("text"),
  text: Schema.String
})
export type TextPart = typeof TextPart.Type

/** An image content part, by URL (including `data:` URLs). */
export const ImagePart = Schema.Struct({
  type: Schema.Literal("image"),
  url: Schema.NonEmptyString,
  mediaType: Schema.optionalKey(Schema.String),
  /** How finely the model should look: OpenAI `image_url.detail` (`auto`, `low`, `high`). */
  detail: Schema.optionalKey(Schema.Literals(["auto", "low", "high"]))
})
export type ImagePart = typeof ImagePart.Type

export const ContentPart = Schema.Union([TextPart, ImagePart])
export type ContentPart = typeof ContentPart.Type

/** Message content: a plain string or a list of parts. */
export const Content = Schema.Union([Schema.String, Schema.Array(ContentPart)])
export type Content = typeof Content.Type

/** A tool call the assistant asked for; `arguments` is the JSON text the model produced. */
export const ToolCall = Schema.Struct({
  id: Schema.NonEmptyString,
  name: Schema.NonEmptyString,
  arguments: Schema.String
})
export type ToolCall = typeof ToolCall.Type

/**
 * A piece of the model's reasoning (Anthropic `thinking` / `redacted_thinking` blocks, Gemini
 * thought summaries, `reasoning_content` of OpenAI-compatible servers). `signature` and
 * `redactedData` are opaque values only the provider kind named in `provider` can verify; an
 * adapter sends a reasoning part back upstream only when it produced it (Anthropic requires its
 * signed thinking blocks back, unchanged, in a tool-use loop), and drops it otherwise.
 *
 * @example
 * ```ts
 * import type { ReasoningPart } from "@am/core"
 * const thought: ReasoningPart = { type: "reasoning", text: "2 + 2 is 4.", signature: "EqQB…", provider: "anthropic" }
 * ```
 */
export const ReasoningPart = Schema.Struct({
  type: Schema.Literal("reasoning"),
  /** The readable reasoning text (empty for a redacted block). */
  text: Schema.String,
  /** The provider's signature over the block (Anthropic `signature`, Gemini `thoughtSignature`). */
  signature: Schema.optionalKey(Schema.String),
  /** Encrypted reasoning returned instead of text (Anthropic `redacted_thinking.data`). */
  redactedData: Schema.optionalKey(Schema.String),
  /** The provider kind that produced `signature` / `redactedData` (`anthropic`, `gemini`, …). */
  provider: Schema.optionalKey(Schema.String)
})
export type ReasoningPart = typeof ReasoningPart.Type

export const SystemMessage = Schema.Struct({
  role: Schema.Literal("system"),
  content: Schema.String
})
export type SystemMessage = typeof SystemMessage.Type

export const UserMessage = Schema.Struct({
  role: Schema.Literal("user"),
  content: Content,
  name: Schema.optionalKey(Schema.String)
})
export type UserMessage = typeof UserMessage.Type

export const AssistantMessage = Schema.Struct({
  role: Schema.Literal("assistant"),
  content: Schema.NullOr(Content),
  toolCalls: Schema.optionalKey(Schema.Array(ToolCall)),
  /** A refusal text when the model declined (OpenAI `message.refusal`, Anthropic refusal). */
  refusal: Schema.optionalKey(Schema.String),
  /** The model's reasoning before its answer, in order (see {@link ReasoningPart}). */
  reasoning: Schema.optionalKey(Schema.Array(ReasoningPart))
})
export type AssistantMessage = typeof AssistantMessage.Type

export const ToolMessage = Schema.Struct({
  role: Schema.Literal("tool"),
  toolCallId: Schema.NonEmptyString,
  content: Content
})
export type ToolMessage = typeof ToolMessage.Type

/** Any chat message; discriminated by `role`. */
export const ChatMessage = Schema.Union([SystemMessage, UserMessage, AssistantMessage, ToolMessage])
export type ChatMessage = typeof ChatMessage.Type

/** The plain text of a message's content (parts joined, images dropped). */
export const contentText = (content: Content | null): string =>
  content === null
    ? ""
    : typeof content === "string"
      ? content
      : content.map((part) => (part.type === "text" ? part.text : "")).join("")
