/**
 * Anthropic's Messages API at the gateway's edge (`POST /v1/messages`, `/v1/messages/count_tokens`):
 * the request body as a Schema (a bad field is named in the error, an unsupported content block or
 * server tool is refused by name), its translation into the engine's `CompletionRequest`, and the
 * answer back as a `message` object. The SSE encoding is `internal/messages/StreamEncoder.ts`.
 * Shapes follow `@anthropic-ai/sdk`'s `MessageCreateParams` and `Message`.
 *
 * @example
 * ```ts
 * import { decodeMessagesBody, toMessagesCompletionRequest } from "@am/gateway"
 * ```
 * @since 0.1.0
 */
import type { ChatMessage, CompletionRequest, ContentPart, ReasoningPart, WireItem } from "@am/core"
import type { EngineCompletion } from "@am/engine"
import { Schema } from "effect"
import type { CallerContext } from "./OpenAIWire.ts"
import { decodeWith } from "./internal/messages/Decode.ts"
import { stopReasonOf, usageOf } from "./internal/messages/StopAndUsage.ts"
import { itemType, spliceWireItems, wireItemsOf } from "./internal/WireItems.ts"

const TextBlock = Schema.Struct({ type: Schema.Literal("text"), text: Schema.String })
const ImageBlock = Schema.Struct({
  type: Schema.Literal("image"),
  source: Schema.Union([
    Schema.Struct({ type: Schema.Literal("base64"), media_type: Schema.NonEmptyString, data: Schema.NonEmptyString }),
    Schema.Struct({ type: Schema.Literal("url"), url: Schema.NonEmptyString })
  ])
})
const ToolUseBlock = Schema.Struct({
  type: Schema.Literal("tool_use"),
  id: Schema.NonEmptyString,
  name: Schema.NonEmptyString,
  input: Schema.Unknown
})
const ToolResultBlock = Schema.Struct({
  type: Schema.Literal("tool_result"),
  tool_use_id: Schema.NonEmptyString,
  content: Schema.optionalKey(Schema.Union([Schema.String, Schema.Array(Schema.Union([TextBlock, ImageBlock]))])),
  is_error: Schema.optionalKey(Schema.Boolean)
})
const ThinkingBlock = Schema.Struct({
  type: Schema.Literal("thinking"),
  thinking: Schema.String,
  signature: Schema.String
})
const RedactedThinkingBlock = Schema.Struct({ type: Schema.Literal("redacted_thinking"), data: Schema.String })

const UserBlock = Schema.Union([TextBlock, ImageBlock, ToolResultBlock])
const AssistantBlock = Schema.Union([TextBlock, ToolUseBlock, ThinkingBlock, RedactedThinkingBlock])

const WireMessage = Schema.Union([
  Schema.Struct({ role: Schema.Literal("user"), content: Schema.Union([Schema.String, Schema.Array(UserBlock)]) }),
  Schema.Struct({
    role: Schema.Literal("assistant"),
    content: Schema.Union([Schema.String, Schema.Array(AssistantBlock)])
  })
])
type WireMessage = typeof WireMessage.Type

const WireTool = Schema.Struct({
  name: Schema.NonEmptyString,
  description: Schema.optionalKey(Schema.String),
  input_schema: Schema.Record(Schema.String, Schema.Unknown),
  type: Schema.optionalKey(Schema.NullOr(Schema.Literal("custom"))),
  strict: Schema.optionalKey(Schema.NullOr(Schema.Boolean))
})

const WireToolChoice = Schema.Union([
  Schema.Struct({
    type: Schema.Literals(["auto", "any"]),
    disable_parallel_tool_use: Schema.optionalKey(Schema.Boolean)
  }),
  Schema.Struct({
    type: Schema.Literal("tool"),
    name: Schema.NonEmptyString,
    disable_parallel_tool_use: Schema.optionalKey(Schema.Boolean)
  }),
  Schema.Struct({ type: Schema.Literal("none") })
])

const Display = Schema.optionalKey(Schema.NullOr(Schema.Literals(["summarized", "omitted"])))
const WireThinking = Schema.Union([
  Schema.Struct({
    type: Schema.Literal("enabled"),
    budget_tokens: Schema.Int.check(Schema.isGreaterThan(0)),
    display: Display
  }),
  Schema.Struct({ type: Schema.Literal("adaptive"), display: Display }),
  Schema.Struct({ type: Schema.Literal("disabled") })
])

const WireOutputConfig = Schema.Struct({
  effort: Schema.optionalKey(Schema.NullOr(Schema.Literals(["low", "medium", "high", "xhigh", "max"]))),
  format: Schema.optionalKey(
    Schema.NullOr(
      Schema.Struct({ type: Schema.Literal("json_schema"), schema: Schema.Record(Schema.String, Schema.Unknown) })
    )
  )
})

const Opt = <S extends Schema.Top>(s: S) => Schema.optionalKey(Schema.NullOr(s))

/** What `count_tokens` reads: the prompt half of a Messages request. */
const promptFields = {
  model: Schema.NonEmptyString,
  messages: Schema.NonEmptyArray(WireMessage),
  system: Schema.optionalKey(Schema.Union([Schema.String, Schema.Array(TextBlock)])),
  tools: Schema.optionalKey(Schema.Array(WireTool)),
  tool_choice: Schema.optionalKey(WireToolChoice),
  thinking: Schema.optionalKey(WireThinking),
  output_config: Schema.optionalKey(WireOutputConfig)
}

/** The body of `POST /v1/messages/count_tokens`. */
export const CountTokensBody = Schema.Struct(promptFields)
export type CountTokensBody = typeof CountTokensBody.Type

/** The body of `POST /v1/messages` (fields the gateway does not use are ignored, as Anthropic's own proxies do). */
export const MessagesBody = Schema.Struct({
  ...promptFields,
  max_tokens: Schema.Int.check(Schema.isGreaterThan(0)),
  stream: Opt(Schema.Boolean),
  stop_sequences: Opt(Schema.Array(Schema.String)),
  temperature: Opt(Schema.Finite),
  top_p: Opt(Schema.Finite),
  top_k: Opt(Schema.Int),
  metadata: Opt(Schema.Struct({ user_id: Opt(Schema.String) })),
  service_tier: Opt(Schema.Literals(["auto", "standard_only"]))
})
export type MessagesBody = typeof MessagesBody.Type

/** Decodes a `/v1/messages` body, failing with `GatewayError(InvalidRequest)` naming the first bad field. */
export const decodeMessagesBody = decodeWith(MessagesBody)

/** Decodes a `/v1/messages/count_tokens` body the same way. */
export const decodeCountTokensBody = decodeWith(CountTokensBody)

const imagePart = (block: typeof ImageBlock.Type): ContentPart =>
  block.source.type === "base64"
    ? {
        type: "image",
        url: `data:${block.source.media_type};base64,${block.source.data}`,
        mediaType: block.source.media_type
      }
    : { type: "image", url: block.source.url }

const parts = (blocks: ReadonlyArray<typeof TextBlock.Type | typeof ImageBlock.Type>): Array<ContentPart> =>
  blocks.map((b) => (b.type === "text" ? { type: "text", text: b.text } : imagePart(b)))

/**
 * An inbound thinking block as a reasoning part. A non-empty signature is Anthropic's (the gateway
 * answers other providers' reasoning with an empty one), so it may go back to Anthropic.
 */
const reasoningPart = (block: typeof ThinkingBlock.Type | typeof RedactedThinkingBlock.Type): ReasoningPart =>
  block.type === "redacted_thinking"
    ? { type: "reasoning", text: "", redactedData: block.data, provider: "anthropic" }
    : block.signature.length > 0
      ? { type: "reasoning", text: block.thinking, signature: block.signature, provider: "anthropic" }
      : { type: "reasoning", text: block.thinking }

/**
 * One Anthropic turn as core messages: a user turn's `tool_result` blocks become `tool` messages
 * (first, as Anthropic orders them) and its text and images one `user` message; an assistant
 * turn's text, `tool_use` and thinking blocks become one `assistant` message.
 */
const toMessages = (m: WireMessage): Array<ChatMessage> => {
  if (typeof m.content === "string") return [{ role: m.role, content: m.content }]
  if (m.role === "user") {
    const out: Array<ChatMessage> = []
    const rest: Array<typeof TextBlock.Type | typeof ImageBlock.Type> = []
    for (const block of m.content) {
      if (block.type === "tool_result") {
        const content = block.content ?? ""
        out.push({
          role: "tool",
          toolCallId: block.tool_use_id,
          content: typeof content === "string" ? content : parts(content)
        })
      } else rest.push(block)
    }
    if (rest.length > 0) out.push({ role: "user", content: parts(rest) })
    return out
  }
  const text = m.content.flatMap((b) => (b.type === "text" ? [b.text] : [])).join("")
  const toolCalls = m.content.flatMap((b) =>
    b.type === "tool_use" ? [{ id: b.id, name: b.name, arguments: JSON.stringify(b.input ?? {}) }] : []
  )
  const reasoning = m.content.flatMap((b) =>
    b.type === "thinking" || b.type === "redacted_thinking" ? [reasoningPart(b)] : []
  )
  return [
    {
      role: "assistant",
      content: text.length > 0 || toolCalls.length === 0 ? text : null,
      ...(toolCalls.length > 0 ? { toolCalls } : {}),
      ...(reasoning.length > 0 ? { reasoning } : {})
    }
  ]
}

const reasoningOf = (body: CountTokensBody): CompletionRequest["reasoning"] | undefined => {
  const effort = body.output_config?.effort ?? undefined
  const t = body.thinking
  if (t === undefined) return effort !== undefined ? { effort } : undefined
  switch (t.type) {
    case "disabled":
      return { effort: "none" }
    case "adaptive":
      return { adaptive: true, ...(effort !== undefined ? { effort } : {}) }
    case "enabled":
      return { budgetTokens: t.budget_tokens, ...(effort !== undefined ? { effort } : {}) }
  }
}

/** The engine's view of the prompt half (system, messages, tools, tool choice, thinking, output format). */
export const promptOf = (
  body: CountTokensBody
): Pick<
  CompletionRequest,
  "messages" | "tools" | "toolChoice" | "reasoning" | "responseFormat" | "parallelToolCalls"
> => {
  const system: Array<ChatMessage> =
    body.system === undefined
      ? []
      : typeof body.system === "string"
        ? body.system.length > 0
          ? [{ role: "system", content: body.system }]
          : []
        : body.system.map((b) => ({ role: "system", content: b.text }))
  const choice = body.tool_choice
  const reasoning = reasoningOf(body)
  const format = body.output_config?.format ?? undefined
  return {
    messages: [...system, ...body.messages.flatMap(toMessages)] as unknown as CompletionRequest["messages"],
    ...(body.tools !== undefined && body.tools.length > 0
      ? {
          tools: body.tools.map((t) => ({
            name: t.name,
            ...(t.description !== undefined ? { description: t.description } : {}),
            parameters: t.input_schema,
            ...(typeof t.strict === "boolean" ? { strict: t.strict } : {})
          }))
        }
      : {}),
    ...(choice !== undefined && "disable_parallel_tool_use" in choice && choice.disable_parallel_tool_use === true
      ? { parallelToolCalls: false }
      : {}),
    ...(choice === undefined
      ? {}
      : {
          toolChoice:
            choice.type === "tool" ? { name: choice.name } : choice.type === "any" ? ("required" as const) : choice.type
        }),
    ...(reasoning !== undefined ? { reasoning } : {}),
    ...(format !== undefined
      ? { responseFormat: { type: "json_schema" as const, name: "response", schema: format.schema } }
      : {})
  }
}

/** The request headers an Anthropic upstream gets forwarded. */
export const FORWARDED_HEADERS = ["anthropic-beta", "anthropic-version"] as const

/**
 * The engine request for a Messages body. `model` is a route name or a concrete model name, as
 * on `/v1/chat/completions`; `anthropic-beta` / `anthropic-version` go to Anthropic upstreams
 * only (`upstreamHeaders.anthropic`).
 */
export const toMessagesCompletionRequest = (
  body: MessagesBody,
  caller: CallerContext,
  headers: Readonly<Record<string, string | undefined>>
): unknown => {
  const forwarded = Object.fromEntries(
    FORWARDED_HEADERS.flatMap((h) => (headers[h] !== undefined ? [[h, headers[h]]] : []))
  )
  const opt = <K extends string, V>(k: K, v: V | null | undefined) =>
    (v === undefined || v === null ? {} : { [k]: v }) as { [P in K]?: V }
  return {
    model: body.model,
    ...promptOf(body),
    maxTokens: body.max_tokens,
    ...opt("temperature", body.temperature),
    ...opt("topP", body.top_p),
    ...(body.stop_sequences !== undefined && body.stop_sequences !== null && body.stop_sequences.length > 0
      ? { stop: body.stop_sequences }
      : {}),
    ...(Object.keys(forwarded).length > 0 ? { upstreamHeaders: { anthropic: forwarded } } : {}),
    ...opt("user", body.metadata?.user_id),
    // Anthropic's `standard_only` is OpenAI's `default` tier (standard capacity, no priority).
    ...opt("serviceTier", body.service_tier === "standard_only" ? "default" : body.service_tier),
    metadata: { workspaceId: caller.workspaceId },
    ...opt("idempotencyKey", caller.idempotencyKey),
    ...opt("deadlineMs", caller.deadlineMs)
  } satisfies Partial<Record<keyof CompletionRequest, unknown>>
}

/** The message id clients see: stable per request, so it matches the ledger's request id. */
export const messageId = (requestId: string): string => `msg_${requestId}`

/**
 * A reasoning part as an Anthropic block. Only Anthropic's own signature is returned (another
 * provider's would fail Anthropic's verification on the next turn); others get an empty one.
 */
export const thinkingBlock = (part: ReasoningPart) =>
  part.redactedData !== undefined && part.provider === "anthropic"
    ? { type: "redacted_thinking" as const, data: part.redactedData }
    : {
        type: "thinking" as const,
        thinking: part.text,
        signature: part.provider === "anthropic" ? (part.signature ?? "") : ""
      }

/** A `message` object for an engine answer: thinking, text and `tool_use` blocks in that order. */
export const toAnthropicMessage = (answer: EngineCompletion, stopSequences: ReadonlyArray<string> | undefined) => {
  const m = answer.message
  const text =
    m.content === null
      ? ""
      : typeof m.content === "string"
        ? m.content
        : m.content.map((p) => (p.type === "text" ? p.text : "")).join("")
  const shown = text.length > 0 ? text : (m.refusal ?? "")
  const stop = stopReasonOf(answer, stopSequences)
  return {
    id: messageId(answer.resilience.requestId),
    type: "message" as const,
    role: "assistant" as const,
    model: answer.model,
    content: withServerBlocks(
      [
        ...(m.reasoning ?? []).map(thinkingBlock),
        ...(shown.length > 0 && !citedText(answer.wireItems, shown) ? [{ type: "text" as const, text: shown }] : []),
        ...(m.toolCalls ?? []).map((t) => ({
          type: "tool_use" as const,
          id: t.id,
          name: t.name,
          input: toolInput(t.arguments)
        }))
      ],
      answer.wireItems
    ),
    stop_reason: stop.reason,
    stop_sequence: stop.sequence,
    stop_details: null,
    container: null,
    usage: usageOf(answer.usage)
  }
}

/**
 * Whether the upstream's text blocks (kept when any had citations) spell the whole answer `text` —
 * then they are the answer's text, citations kept; when a guard or a repair changed the text, the
 * engine's text is.
 */
const citedText = (wireItems: ReadonlyArray<WireItem> | undefined, text: string): boolean => {
  const cited = wireItemsOf(wireItems, "anthropic.messages", (w) => itemType(w) === "text")
  return cited.length > 0 && cited.map((w) => (w.item as { text?: string }).text ?? "").join("") === text
}

/**
 * `blocks` with an Anthropic upstream's own blocks (`server_tool_use`, `web_search_tool_result`,
 * …) put back where the upstream had them; its text blocks only when they stand in for the text.
 */
const withServerBlocks = (blocks: ReadonlyArray<unknown>, wireItems: ReadonlyArray<WireItem> | undefined) => {
  const text = blocks.some((b) => (b as { type?: unknown }).type === "text")
  return spliceWireItems(
    blocks,
    wireItemsOf(wireItems, "anthropic.messages", (w) => !text || itemType(w) !== "text")
  )
}

/** Tool-call arguments as `input` (an object); text that is not a JSON object is wrapped, never lost. */
export const toolInput = (args: string): unknown => {
  if (args.trim() === "") return {}
  try {
    const parsed: unknown = JSON.parse(args)
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : { value: parsed }
  } catch {
    return { value: args }
  }
}
