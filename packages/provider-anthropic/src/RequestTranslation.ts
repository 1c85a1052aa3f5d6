/**
 * Core `CompletionRequest` → Anthropic Messages API parameters: system messages lifted into
 * `system`, alternating turns, tool results as `tool_result` blocks, JSON modes.
 *
 * @example
 * ```ts
 * import { toMessageParams } from "@am/provider-anthropic"
 * const params = toMessageParams(
 *   { messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hi" }] },
 *   "claude-haiku-4-5"
 * )
 * params.system // "Be brief."
 * params.max_tokens // 1024 (DEFAULT_MAX_TOKENS)
 * ```
 * @since 0.1.0
 */
import type { ChatMessage, CompletionRequest, ContentPart, CrossWireField, ReasoningPart } from "@am/core"
import { crossWireFieldsOf, reasoningBudgetOf } from "@am/core"
import type {
  ContentBlockParam,
  ImageBlockParam,
  MessageCreateParamsNonStreaming,
  MessageParam,
  OutputConfig,
  TextBlockParam,
  ThinkingConfigParam,
  Tool,
  ToolChoice,
  ToolResultBlockParam
} from "@anthropic-ai/sdk/resources/messages"

/**
 * `max_tokens` sent when the request names none. Anthropic requires the field; 1024 is small
 * enough to keep OTPM rate-limit estimates (which Anthropic derives from `max_tokens`) low and
 * large enough for ordinary chat answers. Override per adapter with `defaultMaxTokens`.
 */
export const DEFAULT_MAX_TOKENS = 1024

/**
 * Appended to `system` for `responseFormat: { type: "json_object" }`: the Messages API has no
 * schemaless JSON mode, so the instruction is the only lever (the answer is not guaranteed JSON).
 */
export const JSON_OBJECT_INSTRUCTION =
  "Respond with a single valid JSON object and nothing else: no prose before or after it and no Markdown code fences."

/** Options of the request translation. */
export interface RequestTranslationOptions {
  /** `max_tokens` when the request has no `maxTokens`; defaults to {@link DEFAULT_MAX_TOKENS}. */
  readonly defaultMaxTokens?: number
}

/** @deprecated The old name of {@link RequestTranslationOptions}. */
export type TranslateOptions = RequestTranslationOptions

type Block = ContentBlockParam
type Role = "user" | "assistant"

const IMAGE_MEDIA_TYPES = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"])
type ImageMediaType = "image/jpeg" | "image/png" | "image/gif" | "image/webp"

const imageBlock = (part: Extract<ContentPart, { type: "image" }>): ImageBlockParam => {
  // data:[<media type>][;base64],<data> — Anthropic takes inline images as base64 + media type.
  const match = /^data:([^;,]+)?(;base64)?,(.*)$/s.exec(part.url)
  if (match !== null) {
    const mediaType = (part.mediaType ?? match[1] ?? "image/png").toLowerCase()
    const data = match[2] !== undefined ? match[3]! : Buffer.from(decodeURIComponent(match[3]!)).toString("base64")
    return {
      type: "image",
      source: {
        type: "base64",
        media_type: (IMAGE_MEDIA_TYPES.has(mediaType) ? mediaType : "image/png") as ImageMediaType,
        data
      }
    }
  }
  return { type: "image", source: { type: "url", url: part.url } }
}

const partBlocks = (content: string | ReadonlyArray<ContentPart>): Array<TextBlockParam | ImageBlockParam> =>
  typeof content === "string"
    ? content.length > 0
      ? [{ type: "text", text: content }]
      : []
    : content.flatMap(
        (part): Array<TextBlockParam | ImageBlockParam> =>
          part.type === "text" ? (part.text.length > 0 ? [{ type: "text", text: part.text }] : []) : [imageBlock(part)]
      )

/** Tool-call arguments as Anthropic's `input`; invalid JSON is passed on as text for the API to reject. */
const toolInput = (args: string): unknown => {
  if (args.trim() === "") return {}
  try {
    return JSON.parse(args)
  } catch {
    return args
  }
}

const toolResultContent = (content: string | ReadonlyArray<ContentPart>): ToolResultBlockParam["content"] =>
  typeof content === "string" ? content : partBlocks(content)

/** Anthropic's own reasoning parts as `thinking` / `redacted_thinking` blocks; other providers' are dropped. */
const thinkingBlocks = (reasoning: ReadonlyArray<ReasoningPart> | undefined): Array<Block> =>
  (reasoning ?? []).flatMap((part): Array<Block> => {
    if (part.provider !== "anthropic") return []
    if (part.redactedData !== undefined) return [{ type: "redacted_thinking", data: part.redactedData }]
    return part.signature !== undefined ? [{ type: "thinking", thinking: part.text, signature: part.signature }] : []
  })

/** One core message as an Anthropic turn (role + blocks); `undefined` for a message with nothing to send. */
const toTurn = (
  message: Exclude<ChatMessage, { role: "system" }>
): { role: Role; blocks: Array<Block> } | undefined => {
  switch (message.role) {
    case "user":
      return { role: "user", blocks: partBlocks(message.content) }
    case "tool":
      return {
        role: "user",
        blocks: [{ type: "tool_result", tool_use_id: message.toolCallId, content: toolResultContent(message.content) }]
      }
    case "assistant": {
      const text = message.content === null ? [] : partBlocks(message.content).filter((b) => b.type === "text")
      // Thinking blocks first, unchanged, as Anthropic requires them back in a tool-use loop.
      const blocks: Array<Block> = [
        ...thinkingBlocks(message.reasoning),
        ...(text.length === 0 && message.refusal !== undefined && message.refusal.length > 0
          ? [{ type: "text" as const, text: message.refusal }]
          : text)
      ]
      for (const call of message.toolCalls ?? []) {
        blocks.push({ type: "tool_use", id: call.id, name: call.name, input: toolInput(call.arguments) })
      }
      return blocks.length === 0 ? undefined : { role: "assistant", blocks }
    }
  }
}

/**
 * Translates the conversation: system messages are lifted into `system` (joined by a blank line,
 * wherever they occur), tool results become `tool_result` blocks in a user turn, and consecutive
 * turns of the same role are merged into one (Anthropic requires alternating roles). In a merged
 * user turn the `tool_result` blocks come first, as Anthropic requires after a `tool_use` turn.
 *
 * @example
 * ```ts
 * import { toAnthropicMessages } from "@am/provider-anthropic"
 * toAnthropicMessages([{ role: "system", content: "Be brief." }, { role: "user", content: "Hi" }])
 * // { system: ["Be brief."], messages: [{ role: "user", content: "Hi" }] }
 * ```
 */
export const toAnthropicMessages = (
  messages: ReadonlyArray<ChatMessage>
): { readonly system: ReadonlyArray<string>; readonly messages: Array<MessageParam> } => {
  const system: Array<string> = []
  const turns: Array<{ role: Role; blocks: Array<Block> }> = []
  for (const message of messages) {
    if (message.role === "system") {
      if (message.content.length > 0) system.push(message.content)
      continue
    }
    const turn = toTurn(message)
    if (turn === undefined) continue
    const last = turns.at(-1)
    if (last !== undefined && last.role === turn.role) last.blocks.push(...turn.blocks)
    else turns.push(turn)
  }
  return {
    system,
    messages: turns.map(({ role, blocks }): MessageParam => {
      const ordered =
        role === "user"
          ? [...blocks.filter((b) => b.type === "tool_result"), ...blocks.filter((b) => b.type !== "tool_result")]
          : blocks
      const only = ordered[0]
      // A lone text block goes as a plain string: the common case stays readable on the wire.
      return ordered.length === 1 && only !== undefined && only.type === "text"
        ? { role, content: only.text }
        : { role, content: ordered }
    })
  }
}

const toTool = (tool: NonNullable<CompletionRequest["tools"]>[number]): Tool => ({
  name: tool.name,
  ...(tool.description !== undefined ? { description: tool.description } : {}),
  // Anthropic requires an object schema; a tool without parameters takes an empty object.
  input_schema: { type: "object", ...(tool.parameters ?? { properties: {} }) } as Tool["input_schema"],
  ...(tool.strict !== undefined ? { strict: tool.strict } : {})
})

/**
 * `toolChoice` → `tool_choice`; `parallelToolCalls: false` → `disable_parallel_tool_use: true`
 * (on `auto` when no choice was given; `none` calls no tool, so it needs no flag).
 */
const toToolChoice = (
  choice: CompletionRequest["toolChoice"],
  parallelToolCalls: boolean | undefined
): ToolChoice | undefined => {
  const single = parallelToolCalls === false ? { disable_parallel_tool_use: true } : {}
  if (choice === undefined) return parallelToolCalls === false ? { type: "auto", ...single } : undefined
  return typeof choice === "object"
    ? { type: "tool", name: choice.name, ...single }
    : choice === "required"
      ? { type: "any", ...single }
      : choice === "none"
        ? { type: "none" }
        : { type: "auto", ...single }
}

/** OpenAI's tiers Anthropic has a counterpart for: `auto` as is, `default` (standard capacity only). */
const SERVICE_TIERS: Readonly<Record<string, "auto" | "standard_only">> = { auto: "auto", default: "standard_only" }

/**
 * The cross-wire fields a request asks for that the Messages API has no place for:
 * `clientMetadata` (only `metadata.user_id` exists), `serviceTier` other than `auto`/`default`,
 * `logprobs`/`topLogprobs`, `imageDetail`, `temperature`/`topP` (the current API version refuses
 * every sampling parameter, so they are never sent), and `user` when `safetyIdentifier` took the
 * one `user_id`. Honoured: tools' `strict`, `parallelToolCalls` (`disable_parallel_tool_use`),
 * `safetyIdentifier` or else `user` (`metadata.user_id`), `responseFormatDescription` (the
 * schema's root `description`).
 *
 * @example
 * ```ts
 * import { unhonouredFields } from "@am/provider-anthropic"
 * unhonouredFields({ messages: [{ role: "user", content: "Hi" }], logprobs: true, user: "u-1" }) // ["logprobs"]
 * ```
 */
export const unhonouredFields = (request: CompletionRequest): ReadonlyArray<CrossWireField> =>
  crossWireFieldsOf(request).filter((field) => {
    switch (field) {
      case "toolStrict":
      case "parallelToolCalls":
      case "safetyIdentifier":
      case "responseFormatDescription":
        return false
      case "user":
        return request.safetyIdentifier !== undefined
      case "serviceTier":
        return SERVICE_TIERS[request.serviceTier ?? "auto"] === undefined
      default:
        return true
    }
  })

/** Anthropic's smallest thinking budget. */
export const MIN_THINKING_BUDGET = 1024

const ANTHROPIC_EFFORTS = new Set(["low", "medium", "high", "xhigh", "max"])

/**
 * Whether thinking can be switched on for this request. Anthropic refuses it with a forced tool
 * choice (`any` / `tool`), and refuses a tool-use loop whose last assistant turn carries no signed
 * thinking block of its own ("a final assistant message must start with a thinking block") — the
 * case when an earlier turn was answered by another provider. Thinking is then left off for this
 * call rather than turning a good request into a request-scoped failure.
 */
const canThink = (request: CompletionRequest): boolean => {
  const choice = request.toolChoice
  if (choice !== undefined && (typeof choice === "object" || choice === "required")) return false
  const last = request.messages.at(-1)
  if (last?.role !== "tool") return true
  const assistant = request.messages.findLast((m) => m.role === "assistant")
  return assistant?.role === "assistant" && thinkingBlocks(assistant.reasoning).length > 0
}

/**
 * `reasoning` → `thinking` (and `output_config.effort`, `max_tokens`):
 * - `effort: "none"` → `{ type: "disabled" }`;
 * - `adaptive` → `{ type: "adaptive" }`, with `effort` (`minimal` as `low`) in `output_config.effort`;
 * - otherwise `{ type: "enabled", budget_tokens }` from `budgetTokens`, else from `effort`
 *   (`reasoningBudgetOf`, medium when neither), at least {@link MIN_THINKING_BUDGET}. Thinking
 *   counts toward `max_tokens` and Anthropic wants the budget below it, so a `max_tokens` not above
 *   the budget becomes budget + `max_tokens`.
 */
const thinkingOf = (
  request: CompletionRequest,
  maxTokens: number
): {
  readonly thinking?: ThinkingConfigParam
  readonly effort?: OutputConfig["effort"]
  readonly maxTokens: number
} => {
  const r = request.reasoning
  if (r === undefined) return { maxTokens }
  if (r.effort === "none") return { thinking: { type: "disabled" }, maxTokens }
  if (!canThink(request)) return { maxTokens }
  if (r.adaptive === true) {
    const effort = r.effort === "minimal" ? "low" : r.effort
    return {
      thinking: { type: "adaptive" },
      ...(effort !== undefined && ANTHROPIC_EFFORTS.has(effort) ? { effort: effort as OutputConfig["effort"] } : {}),
      maxTokens
    }
  }
  const budget = Math.max(MIN_THINKING_BUDGET, r.budgetTokens ?? reasoningBudgetOf(r.effort ?? "medium"))
  return {
    thinking: { type: "enabled", budget_tokens: budget },
    maxTokens: maxTokens > budget ? maxTokens : budget + maxTokens
  }
}

/**
 * Translates a core request into Messages API parameters for `model`.
 *
 * - `maxTokens` → `max_tokens`, else `defaultMaxTokens` ({@link DEFAULT_MAX_TOKENS}).
 * - `stop` → `stop_sequences`.
 * - `temperature` and `topP` are dropped (and listed by {@link unhonouredFields}): API version 2026-10-21 (what `@anthropic-ai/sdk` 1.x
 *   sends) answers 400 "Extra inputs are not permitted" to any sampling parameter, even at its
 *   default, and the SDK removed them from its types. Sending them would turn a request that is
 *   fine elsewhere into a request-scoped failure with no fallback.
 * - `seed`, `presencePenalty`, `frequencyPenalty` have no Anthropic equivalent and are dropped.
 * - `tools` → `tools[].input_schema` (and `strict`); `toolChoice` `auto|none|required|{name}` →
 *   `auto|none|any|tool`, `parallelToolCalls: false` → `disable_parallel_tool_use` (sent only
 *   with tools).
 * - `safetyIdentifier`, else `user` → `metadata.user_id`; `serviceTier` `auto|default` →
 *   `service_tier` `auto|standard_only`. What has no place is listed by {@link unhonouredFields}.
 * - `responseFormat` `json_schema` → `output_config.format` (structured outputs; a `description`
 *   becomes the schema's root `description` when it has none);
 *   `json_object` → {@link JSON_OBJECT_INSTRUCTION} appended to `system`.
 * - `reasoning` → `thinking` (see `thinkingOf`); assistant turns' own `reasoning` parts go back
 *   as `thinking` / `redacted_thinking` blocks, other providers' reasoning is not sent.
 *
 * @example
 * ```ts
 * import { toMessageParams } from "@am/provider-anthropic"
 * const params = toMessageParams({ messages: [{ role: "user", content: "Hi" }], stop: ["END"] }, "claude-haiku-4-5")
 * // { model: "claude-haiku-4-5", messages: [...], max_tokens: 1024, stop_sequences: ["END"] }
 * ```
 */
export const toMessageParams = (
  request: CompletionRequest,
  model: string,
  options: RequestTranslationOptions = {}
): MessageCreateParamsNonStreaming => {
  const { system, messages } = toAnthropicMessages(request.messages)
  const format = request.responseFormat
  const systemText = [...system, ...(format?.type === "json_object" ? [JSON_OBJECT_INSTRUCTION] : [])].join("\n\n")
  const hasTools = request.tools !== undefined && request.tools.length > 0
  const think = thinkingOf(request, request.maxTokens ?? options.defaultMaxTokens ?? DEFAULT_MAX_TOKENS)
  const outputConfig: OutputConfig = {
    ...(format?.type === "json_schema"
      ? {
          format: {
            type: "json_schema",
            schema: {
              ...(format.description !== undefined ? { description: format.description } : {}),
              ...format.schema
            }
          }
        }
      : {}),
    ...(think.effort !== undefined ? { effort: think.effort } : {})
  }
  const toolChoice = toToolChoice(request.toolChoice, request.parallelToolCalls)
  const userId = request.safetyIdentifier ?? request.user
  const tier = request.serviceTier !== undefined ? SERVICE_TIERS[request.serviceTier] : undefined
  return {
    model,
    messages,
    max_tokens: think.maxTokens,
    ...(systemText.length > 0 ? { system: systemText } : {}),
    ...(request.stop !== undefined && request.stop.length > 0 ? { stop_sequences: [...request.stop] } : {}),
    ...(hasTools ? { tools: request.tools!.map(toTool) } : {}),
    ...(hasTools && toolChoice !== undefined ? { tool_choice: toolChoice } : {}),
    ...(userId !== undefined ? { metadata: { user_id: userId } } : {}),
    ...(tier !== undefined ? { service_tier: tier } : {}),
    ...(think.thinking !== undefined ? { thinking: think.thinking } : {}),
    ...(Object.keys(outputConfig).length > 0 ? { output_config: outputConfig } : {})
  }
}
