/**
 * Core `CompletionRequest` → the `@google/genai` SDK's `GenerateContentParameters`: system
 * messages as `systemInstruction`, assistant turns as role `model`, tool results as
 * `functionResponse` parts, JSON modes, and the thought signatures Gemini wants back. No I/O here.
 *
 * @example
 * ```ts
 * import { toGenerateContentParameters } from "@am/provider-gemini"
 * const params = toGenerateContentParameters({ messages: [{ role: "user", content: "Hi" }] }, "gemini-2.5-flash")
 * params.contents // [{ role: "user", parts: [{ text: "Hi" }] }]
 * ```
 * @since 0.1.0
 */
import type { AssistantMessage, ChatMessage, CompletionRequest, Content as CoreContent, CrossWireField } from "@am/core"
import { crossWireFieldsOf, reasoningBudgetOf } from "@am/core"
import {
  type Content,
  type FunctionCall,
  FunctionCallingConfigMode,
  type GenerateContentConfig,
  type GenerateContentParameters,
  type Part,
  type ThinkingConfig,
  type ToolConfig
} from "@google/genai"
import { isGeneratedId } from "./internal/ToolCallIds.ts"

export { GENERATED_TOOL_CALL_ID_PREFIX } from "./internal/ToolCallIds.ts"

/**
 * Gemini 2.5+/3 attaches an opaque `thoughtSignature` to function-call parts and rejects a
 * follow-up turn that omits it. Core `ToolCall`s have nowhere to carry it, so the adapter keeps
 * the latest signatures by tool-call id (bounded; oldest dropped first) and re-attaches them
 * when the conversation comes back.
 */
export interface ThoughtSignatures {
  readonly get: (toolCallId: string) => string | undefined
  readonly set: (toolCallId: string, signature: string) => void
}

/**
 * A bounded in-memory `ThoughtSignatures` store (insertion-ordered `Map`, oldest evicted).
 *
 * @example
 * ```ts
 * const signatures = makeThoughtSignatures(1000)
 * signatures.set("fc-1", "sig")
 * signatures.get("fc-1") // "sig"
 * ```
 */
export const makeThoughtSignatures = (capacity = 10_000): ThoughtSignatures => {
  const map = new Map<string, string>()
  return {
    get: (id) => map.get(id),
    set: (id, signature) => {
      map.delete(id)
      map.set(id, signature)
      if (map.size > capacity) {
        const oldest = map.keys().next()
        if (oldest.done !== true) map.delete(oldest.value)
      }
    }
  }
}

const DATA_URL = /^data:([^;,]+)?((?:;[^;,]+)*?);base64,(.*)$/s

const guessMimeType = (url: string): string => {
  const path = url.split(/[?#]/)[0]!.toLowerCase()
  if (path.endsWith(".png")) return "image/png"
  if (path.endsWith(".jpg") || path.endsWith(".jpeg")) return "image/jpeg"
  if (path.endsWith(".webp")) return "image/webp"
  if (path.endsWith(".gif")) return "image/gif"
  if (path.endsWith(".heic")) return "image/heic"
  if (path.endsWith(".pdf")) return "application/pdf"
  return "image/jpeg"
}

const contentToParts = (content: CoreContent | null): Array<Part> => {
  if (content === null) return []
  if (typeof content === "string") return content.length > 0 ? [{ text: content }] : []
  return content.map((part): Part => {
    if (part.type === "text") return { text: part.text }
    const data = DATA_URL.exec(part.url)
    if (data !== null) {
      return { inlineData: { mimeType: part.mediaType ?? data[1] ?? "application/octet-stream", data: data[3]! } }
    }
    return { fileData: { fileUri: part.url, mimeType: part.mediaType ?? guessMimeType(part.url) } }
  })
}

/** Gemini wants an object as the function response; JSON objects pass through, anything else is wrapped. */
const toolResultObject = (content: CoreContent): Record<string, unknown> => {
  const text = typeof content === "string" ? content : content.map((p) => (p.type === "text" ? p.text : "")).join("")
  try {
    const parsed: unknown = JSON.parse(text)
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed))
      return parsed as Record<string, unknown>
    return { output: parsed }
  } catch {
    return { output: text }
  }
}

const parseArguments = (text: string): Record<string, unknown> => {
  if (text.trim() === "") return {}
  try {
    const parsed: unknown = JSON.parse(text)
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : { value: parsed }
  } catch {
    // The model's own arguments came back unparseable; hand them over verbatim rather than drop them.
    return { value: text }
  }
}

const assistantParts = (message: AssistantMessage, signatures: ThoughtSignatures | undefined): Array<Part> => {
  const parts = contentToParts(message.content)
  for (const call of message.toolCalls ?? []) {
    const functionCall: FunctionCall = {
      name: call.name,
      args: parseArguments(call.arguments),
      ...(isGeneratedId(call.id) ? {} : { id: call.id })
    }
    const signature = signatures?.get(call.id)
    parts.push({ functionCall, ...(signature !== undefined ? { thoughtSignature: signature } : {}) })
  }
  return parts
}

/**
 * The conversation as Gemini `contents`: assistant → role `model`; tool results → `user`
 * turns of `functionResponse` parts (named after the call they answer); consecutive turns of the
 * same role merged, as Gemini expects parallel function responses in one turn. System messages
 * are not here: they go to `systemInstruction`.
 *
 * @example
 * ```ts
 * import { toContents } from "@am/provider-gemini"
 * toContents([{ role: "user", content: "Hi" }, { role: "assistant", content: "Hello" }])
 * // [{ role: "user", parts: [{ text: "Hi" }] }, { role: "model", parts: [{ text: "Hello" }] }]
 * ```
 */
export const toContents = (messages: ReadonlyArray<ChatMessage>, signatures?: ThoughtSignatures): Array<Content> => {
  const toolNames = new Map<string, string>()
  const contents: Array<Content> = []
  const push = (role: "user" | "model", parts: Array<Part>) => {
    if (parts.length === 0) return
    const last = contents[contents.length - 1]
    if (last !== undefined && last.role === role) last.parts!.push(...parts)
    else contents.push({ role, parts })
  }
  for (const message of messages) {
    switch (message.role) {
      case "system":
        break
      case "user":
        push("user", contentToParts(message.content))
        break
      case "assistant":
        for (const call of message.toolCalls ?? []) toolNames.set(call.id, call.name)
        push("model", assistantParts(message, signatures))
        break
      case "tool":
        push("user", [
          {
            functionResponse: {
              name: toolNames.get(message.toolCallId) ?? message.toolCallId,
              response: toolResultObject(message.content),
              ...(isGeneratedId(message.toolCallId) ? {} : { id: message.toolCallId })
            }
          }
        ])
        break
    }
  }
  return contents
}

const toToolConfig = (choice: CompletionRequest["toolChoice"]): ToolConfig | undefined => {
  if (choice === undefined) return undefined
  if (typeof choice === "object") {
    return { functionCallingConfig: { mode: FunctionCallingConfigMode.ANY, allowedFunctionNames: [choice.name] } }
  }
  const mode =
    choice === "auto"
      ? FunctionCallingConfigMode.AUTO
      : choice === "none"
        ? FunctionCallingConfigMode.NONE
        : FunctionCallingConfigMode.ANY
  return { functionCallingConfig: { mode } }
}

/**
 * `reasoning` → `thinkingConfig`: `budgetTokens` as `thinkingBudget`; else `effort` through
 * `reasoningBudgetOf` (`none` → 0, thinking off); `adaptive` without either → -1 (Gemini decides).
 * `includeThoughts` is on whenever thinking is, so the thought summaries come back as reasoning.
 * `thinkingBudget` rather than `thinkingLevel`: Gemini 2.5 knows only the budget and Gemini 3
 * accepts it too.
 *
 * @example
 * ```ts
 * import { toThinkingConfig } from "@am/provider-gemini"
 * toThinkingConfig({ effort: "low" }) // { thinkingBudget: 1024, includeThoughts: true }
 * ```
 */
export const toThinkingConfig = (reasoning: NonNullable<CompletionRequest["reasoning"]>): ThinkingConfig => {
  const budget =
    reasoning.budgetTokens ??
    (reasoning.effort !== undefined ? reasoningBudgetOf(reasoning.effort) : reasoning.adaptive === true ? -1 : 8192)
  return budget === 0 ? { thinkingBudget: 0 } : { thinkingBudget: budget, includeThoughts: true }
}

/**
 * Builds the SDK's `generateContent` parameters for one call. The adapter adds the transport
 * settings (abort signal, timeout, fetch) itself; automatic function calling and automatic
 * continuation are switched off here so one call is exactly one HTTP request.
 *
 * @example
 * ```ts
 * import { toGenerateContentParameters } from "@am/provider-gemini"
 * const params = toGenerateContentParameters({ messages: [{ role: "user", content: "Hi" }], maxTokens: 64 }, "gemini-2.5-flash")
 * params.config.maxOutputTokens // 64
 * ```
 */
/** The cross-wire fields `generationConfig` has a place for. */
const HONOURED: ReadonlySet<CrossWireField> = new Set([
  "logprobs",
  "topLogprobs",
  "responseFormatDescription",
  "temperature",
  "topP"
])

/**
 * The cross-wire fields a request asks for that the Gemini API has no place for: tools'
 * `strict`, `parallelToolCalls`, `user`, `safetyIdentifier`, `clientMetadata` (`labels` are
 * Vertex AI only), `serviceTier`, `imageDetail`. Honoured: `logprobs` (`responseLogprobs`),
 * `topLogprobs` (`logprobs`), `responseFormatDescription` (the schema's root `description`),
 * `temperature` and `topP` (`generationConfig`).
 *
 * @example
 * ```ts
 * import { unhonouredFields } from "@am/provider-gemini"
 * unhonouredFields({ messages: [{ role: "user", content: "Hi" }], logprobs: true, user: "u-1" }) // ["user"]
 * ```
 */
export const unhonouredFields = (request: CompletionRequest): ReadonlyArray<CrossWireField> =>
  crossWireFieldsOf(request).filter((field) => !HONOURED.has(field))

export const toGenerateContentParameters = (
  request: CompletionRequest,
  model: string,
  signatures?: ThoughtSignatures
): GenerateContentParameters & { contents: Array<Content>; config: GenerateContentConfig } => {
  const system = request.messages.flatMap((m) => (m.role === "system" && m.content.length > 0 ? [m.content] : []))
  const config: GenerateContentConfig = {
    automaticFunctionCalling: { disable: true },
    automaticContinuation: false
  }
  if (system.length > 0) config.systemInstruction = { parts: system.map((text) => ({ text })) }
  if (request.temperature !== undefined) config.temperature = request.temperature
  if (request.topP !== undefined) config.topP = request.topP
  if (request.maxTokens !== undefined) config.maxOutputTokens = request.maxTokens
  if (request.stop !== undefined && request.stop.length > 0) config.stopSequences = [...request.stop]
  if (request.seed !== undefined) config.seed = request.seed
  if (request.presencePenalty !== undefined) config.presencePenalty = request.presencePenalty
  if (request.frequencyPenalty !== undefined) config.frequencyPenalty = request.frequencyPenalty
  if (request.logprobs !== undefined) config.responseLogprobs = request.logprobs
  if (request.topLogprobs !== undefined && request.topLogprobs > 0) config.logprobs = request.topLogprobs
  if (request.tools !== undefined && request.tools.length > 0) {
    config.tools = [
      {
        functionDeclarations: request.tools.map((tool) => ({
          name: tool.name,
          ...(tool.description !== undefined ? { description: tool.description } : {}),
          ...(tool.parameters !== undefined ? { parametersJsonSchema: tool.parameters } : {})
        }))
      }
    ]
  }
  if (request.reasoning !== undefined) config.thinkingConfig = toThinkingConfig(request.reasoning)
  const toolConfig = toToolConfig(request.toolChoice)
  if (toolConfig !== undefined) config.toolConfig = toolConfig
  const format = request.responseFormat
  if (format !== undefined && format.type !== "text") {
    config.responseMimeType = "application/json"
    if (format.type === "json_schema")
      config.responseJsonSchema =
        format.description !== undefined ? { description: format.description, ...format.schema } : format.schema
  }
  return { model, contents: toContents(request.messages, signatures), config }
}
