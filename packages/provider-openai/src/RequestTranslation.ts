/**
 * Core `CompletionRequest` → OpenAI Chat Completions request body.
 *
 * @example
 * ```ts
 * import { toChatCompletionRequest } from "@am/provider-openai"
 * const body = toChatCompletionRequest(
 *   { messages: [{ role: "system", content: "Be brief" }, { role: "user", content: "Hi" }], maxTokens: 64 },
 *   { model: "gpt-4o-mini", kind: "openai" }
 * )
 * body.max_completion_tokens // 64
 * ```
 * @since 0.1.0
 */
import type { ChatMessage, CompletionRequest, ContentPart, CrossWireField, ResponseFormat, ToolChoice } from "@am/core"
import { contentText, reasoningEffortOf } from "@am/core"
import type {
  ChatCompletionContentPart,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
  ChatCompletionToolChoiceOption
} from "openai/resources/chat/completions"

/** The two provider kinds this adapter serves. */
export type OpenAIKind = "openai" | "openai-compatible"

export interface RequestTranslationOptions {
  /** The concrete model to call. */
  readonly model: string
  readonly kind: OpenAIKind
  /** Build a streaming request (`stream: true`). */
  readonly stream?: boolean
  /** Ask for a final usage chunk when streaming (`stream_options.include_usage`); default true. */
  readonly includeStreamUsage?: boolean
}

const toContentPart = (part: ContentPart): ChatCompletionContentPart =>
  part.type === "text"
    ? { type: "text", text: part.text }
    : { type: "image_url", image_url: { url: part.url, ...(part.detail !== undefined ? { detail: part.detail } : {}) } }

const toMessage = (message: ChatMessage): ChatCompletionMessageParam => {
  switch (message.role) {
    case "system":
      return { role: "system", content: message.content }
    case "user":
      return {
        role: "user",
        content: typeof message.content === "string" ? message.content : message.content.map(toContentPart),
        ...(message.name !== undefined ? { name: message.name } : {})
      }
    case "assistant": {
      const toolCalls = message.toolCalls ?? []
      // Assistant turns accept text only; image parts (never produced by a model) are dropped.
      const text = message.content === null ? null : contentText(message.content)
      return {
        role: "assistant",
        content: text === "" && toolCalls.length > 0 ? null : text,
        ...(toolCalls.length > 0
          ? {
              tool_calls: toolCalls.map((tc) => ({
                id: tc.id,
                type: "function" as const,
                function: { name: tc.name, arguments: tc.arguments }
              }))
            }
          : {}),
        ...(message.refusal !== undefined ? { refusal: message.refusal } : {})
      }
    }
    case "tool":
      // Tool results accept text only.
      return { role: "tool", tool_call_id: message.toolCallId, content: contentText(message.content) }
  }
}

/**
 * Whether `model` takes `reasoning_effort`: OpenAI's o-series, GPT-5 and gpt-oss, by name (with
 * or without a `vendor/` prefix). Other chat models answer 400 `unsupported_parameter` to it,
 * which would stop a request another candidate could serve, so they are not sent it.
 *
 * @example
 * ```ts
 * import { isReasoningModel } from "@am/provider-openai"
 * isReasoningModel("o4-mini") // true
 * isReasoningModel("gpt-4o") // false
 * ```
 */
export const isReasoningModel = (model: string): boolean =>
  /^(o\d|gpt-5|gpt-oss|codex)/i.test(model.slice(model.lastIndexOf("/") + 1))

/**
 * `reasoning` → `reasoning_effort`: `effort` as is, else from `budgetTokens` (`reasoningEffortOf`),
 * `medium` for `adaptive` alone — for reasoning models only ({@link isReasoningModel}).
 */
const toReasoningEffort = (
  request: CompletionRequest,
  model: string
): ChatCompletionCreateParamsNonStreaming["reasoning_effort"] | undefined => {
  const r = request.reasoning
  if (r === undefined || !isReasoningModel(model)) return undefined
  return r.effort ?? (r.budgetTokens !== undefined ? reasoningEffortOf(r.budgetTokens) : "medium")
}

const toToolChoice = (choice: ToolChoice): ChatCompletionToolChoiceOption =>
  typeof choice === "string" ? choice : { type: "function", function: { name: choice.name } }

const toResponseFormat = (
  format: ResponseFormat
): NonNullable<ChatCompletionCreateParamsNonStreaming["response_format"]> => {
  switch (format.type) {
    case "text":
      return { type: "text" }
    case "json_object":
      return { type: "json_object" }
    case "json_schema":
      return {
        type: "json_schema",
        json_schema: {
          name: format.name,
          schema: format.schema,
          ...(format.strict !== undefined ? { strict: format.strict } : {}),
          ...(format.description !== undefined ? { description: format.description } : {})
        }
      }
  }
}

/**
 * The cross-wire fields a request asks for that this adapter cannot send: none — Chat
 * Completions has a place for each (`strict`, `parallel_tool_calls`, `user`,
 * `safety_identifier`, `metadata`, `service_tier`, `logprobs`, `top_logprobs`,
 * `image_url.detail`, `json_schema.description`).
 *
 * @example
 * ```ts
 * import { unhonouredFields } from "@am/provider-openai"
 * unhonouredFields({ messages: [{ role: "user", content: "Hi" }], logprobs: true }) // []
 * ```
 */
export const unhonouredFields = (_request: CompletionRequest): ReadonlyArray<CrossWireField> => []

/**
 * Translates a core request into a Chat Completions body. `maxTokens` becomes
 * `max_completion_tokens` for `openai` (reasoning models reject `max_tokens`) and `max_tokens`
 * for `openai-compatible` servers (most of them know only that one). `reasoning` becomes
 * `reasoning_effort` for reasoning models; reasoning parts of earlier assistant turns are not
 * sent (Chat Completions has no field for them). The workspace `metadata` and
 * the idempotency key are gateway concerns and are not sent; the client's own tags
 * (`clientMetadata`) are `metadata`. `parallelToolCalls` is sent only with tools (OpenAI
 * refuses it without).
 *
 * @example
 * ```ts
 * import { toChatCompletionRequest } from "@am/provider-openai"
 * const body = toChatCompletionRequest(
 *   { messages: [{ role: "user", content: "List three colours" }], responseFormat: { type: "json_object" } },
 *   { model: "llama3.2", kind: "openai-compatible", stream: true }
 * )
 * // { model, messages, response_format: { type: "json_object" }, stream: true, stream_options: { include_usage: true } }
 * ```
 */
export function toChatCompletionRequest(
  request: CompletionRequest,
  options: RequestTranslationOptions & { readonly stream: true }
): ChatCompletionCreateParamsStreaming
export function toChatCompletionRequest(
  request: CompletionRequest,
  options: RequestTranslationOptions & { readonly stream?: false | undefined }
): ChatCompletionCreateParamsNonStreaming
export function toChatCompletionRequest(
  request: CompletionRequest,
  options: RequestTranslationOptions
): ChatCompletionCreateParamsNonStreaming | ChatCompletionCreateParamsStreaming
export function toChatCompletionRequest(
  request: CompletionRequest,
  options: RequestTranslationOptions
): ChatCompletionCreateParamsNonStreaming | ChatCompletionCreateParamsStreaming {
  const effort = toReasoningEffort(request, options.model)
  const body: ChatCompletionCreateParamsNonStreaming = {
    model: options.model,
    messages: request.messages.map(toMessage),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.topP !== undefined ? { top_p: request.topP } : {}),
    ...(request.maxTokens !== undefined
      ? options.kind === "openai"
        ? { max_completion_tokens: request.maxTokens }
        : { max_tokens: request.maxTokens }
      : {}),
    ...(request.stop !== undefined && request.stop.length > 0 ? { stop: [...request.stop] } : {}),
    ...(request.seed !== undefined ? { seed: request.seed } : {}),
    ...(request.presencePenalty !== undefined ? { presence_penalty: request.presencePenalty } : {}),
    ...(request.frequencyPenalty !== undefined ? { frequency_penalty: request.frequencyPenalty } : {}),
    ...(request.tools !== undefined && request.tools.length > 0
      ? {
          tools: request.tools.map((tool) => ({
            type: "function" as const,
            function: {
              name: tool.name,
              ...(tool.description !== undefined ? { description: tool.description } : {}),
              ...(tool.parameters !== undefined ? { parameters: tool.parameters } : {}),
              ...(tool.strict !== undefined ? { strict: tool.strict } : {})
            }
          }))
        }
      : {}),
    ...(request.parallelToolCalls !== undefined && request.tools !== undefined && request.tools.length > 0
      ? { parallel_tool_calls: request.parallelToolCalls }
      : {}),
    ...(request.user !== undefined ? { user: request.user } : {}),
    ...(request.safetyIdentifier !== undefined ? { safety_identifier: request.safetyIdentifier } : {}),
    ...(request.clientMetadata !== undefined ? { metadata: { ...request.clientMetadata } } : {}),
    ...(request.serviceTier !== undefined
      ? { service_tier: request.serviceTier as NonNullable<ChatCompletionCreateParamsNonStreaming["service_tier"]> }
      : {}),
    ...(request.logprobs !== undefined ? { logprobs: request.logprobs } : {}),
    ...(request.topLogprobs !== undefined ? { top_logprobs: request.topLogprobs } : {}),
    ...(request.toolChoice !== undefined ? { tool_choice: toToolChoice(request.toolChoice) } : {}),
    ...(request.responseFormat !== undefined ? { response_format: toResponseFormat(request.responseFormat) } : {}),
    ...(effort !== undefined && effort !== null ? { reasoning_effort: effort } : {})
  }
  if (options.stream !== true) return body
  return {
    ...body,
    stream: true,
    ...((options.includeStreamUsage ?? true) ? { stream_options: { include_usage: true } } : {})
  }
}
