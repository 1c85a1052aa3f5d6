/**
 * Pure translations between the core domain and the `@google/genai` wire shapes: a
 * `CompletionRequest` becomes `GenerateContentParameters`; a `GenerateContentResponse` (or one
 * streamed chunk of it) becomes a `Completion` (or `CompletionChunk`s). No I/O here.
 *
 * @example
 * ```ts
 * import { toGenerateContentParameters, fromGenerateContentResponse } from "@am/provider-gemini"
 * const params = toGenerateContentParameters({ messages: [{ role: "user", content: "Hi" }] }, "gemini-2.5-flash")
 * params.contents // [{ role: "user", parts: [{ text: "Hi" }] }]
 * ```
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"
import {
  type AssistantMessage,
  type ChatMessage,
  type Completion,
  type CompletionChunk,
  type CompletionRequest,
  type Content as CoreContent,
  type FinishReason,
  type ToolCall,
  type Usage,
  emptyUsage
} from "@am/core"
import {
  type Content,
  type FunctionCall,
  FunctionCallingConfigMode,
  type GenerateContentConfig,
  type GenerateContentParameters,
  type GenerateContentResponse,
  type GenerateContentResponseUsageMetadata,
  type Part,
  type ToolConfig
} from "@google/genai"

/** The provider kind this adapter reports on every `Completion` and `ProviderFailure`. */
export const PROVIDER_KIND = "gemini"

// ---------------------------------------------------------------------------------------------
// Thought signatures
// ---------------------------------------------------------------------------------------------

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

/** Prefix of tool-call ids the adapter invents when Gemini sends none; never sent back upstream. */
export const GENERATED_TOOL_CALL_ID_PREFIX = "call_am_"

const generateToolCallId = (): string => `${GENERATED_TOOL_CALL_ID_PREFIX}${randomUUID().replace(/-/g, "")}`

const isGeneratedId = (id: string) => id.startsWith(GENERATED_TOOL_CALL_ID_PREFIX)

// ---------------------------------------------------------------------------------------------
// Request
// ---------------------------------------------------------------------------------------------

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
 * Builds the SDK's `generateContent` parameters for one call. The adapter adds the transport
 * settings (abort signal, timeout, fetch) itself; automatic function calling and automatic
 * continuation are switched off here so one call is exactly one HTTP request.
 */
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
  const toolConfig = toToolConfig(request.toolChoice)
  if (toolConfig !== undefined) config.toolConfig = toolConfig
  const format = request.responseFormat
  if (format !== undefined && format.type !== "text") {
    config.responseMimeType = "application/json"
    if (format.type === "json_schema") config.responseJsonSchema = format.schema
  }
  return { model, contents: toContents(request.messages, signatures), config }
}

// ---------------------------------------------------------------------------------------------
// Response
// ---------------------------------------------------------------------------------------------

const CONTENT_FILTER_REASONS: ReadonlySet<string> = new Set([
  "SAFETY",
  "RECITATION",
  "BLOCKLIST",
  "PROHIBITED_CONTENT",
  "SPII",
  "LANGUAGE",
  "OTHER",
  "IMAGE_SAFETY",
  "IMAGE_PROHIBITED_CONTENT",
  "IMAGE_RECITATION",
  "IMAGE_OTHER"
])

/**
 * Gemini `finishReason` → core `FinishReason`:
 *
 * | Gemini                                                                      | core             |
 * | --------------------------------------------------------------------------- | ---------------- |
 * | `STOP` (absent, `FINISH_REASON_UNSPECIFIED`)                                 | `stop`, or `tool_calls` when the candidate holds function calls |
 * | `MAX_TOKENS`, `CONTINUATION`                                                | `length`         |
 * | `SAFETY`, `RECITATION`, `BLOCKLIST`, `PROHIBITED_CONTENT`, `SPII`, `LANGUAGE`, `OTHER`, `IMAGE_*` | `content_filter` |
 * | `MALFORMED_FUNCTION_CALL`, `UNEXPECTED_TOOL_CALL`, `TOO_MANY_TOOL_CALLS`, `MALFORMED_RESPONSE`, `NO_IMAGE`, anything new | `stop` (the raw reason stays in `rawFinishReason`) |
 *
 * @example
 * ```ts
 * mapFinishReason("SAFETY", false) // "content_filter"
 * mapFinishReason("STOP", true) // "tool_calls"
 * ```
 */
export const mapFinishReason = (raw: string | undefined, hasToolCalls: boolean): FinishReason => {
  if (raw === "MAX_TOKENS" || raw === "CONTINUATION") return "length"
  if (raw !== undefined && CONTENT_FILTER_REASONS.has(raw)) return "content_filter"
  return hasToolCalls ? "tool_calls" : "stop"
}

/**
 * Gemini `usageMetadata` → core `Usage`: input = prompt + tool-use prompt tokens (cached
 * included, as OpenTelemetry counts it); output = candidates + thoughts (thinking is billed as
 * output); `cachedContentTokenCount` → `cacheReadInputTokens`; `thoughtsTokenCount` →
 * `reasoningOutputTokens`; total as Gemini reports it.
 *
 * @example
 * ```ts
 * toUsage({ promptTokenCount: 10, candidatesTokenCount: 5, thoughtsTokenCount: 3, totalTokenCount: 18 })
 * // { inputTokens: 10, outputTokens: 8, totalTokens: 18, reasoningOutputTokens: 3 }
 * ```
 */
export const toUsage = (meta: GenerateContentResponseUsageMetadata | undefined): Usage => {
  if (meta === undefined) return emptyUsage
  const n = (v: number | undefined) => (typeof v === "number" && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0)
  const inputTokens = n(meta.promptTokenCount) + n(meta.toolUsePromptTokenCount)
  const outputTokens = n(meta.candidatesTokenCount) + n(meta.thoughtsTokenCount)
  return {
    inputTokens,
    outputTokens,
    totalTokens: meta.totalTokenCount !== undefined ? n(meta.totalTokenCount) : inputTokens + outputTokens,
    ...(meta.cachedContentTokenCount !== undefined ? { cacheReadInputTokens: n(meta.cachedContentTokenCount) } : {}),
    ...(meta.thoughtsTokenCount !== undefined ? { reasoningOutputTokens: n(meta.thoughtsTokenCount) } : {})
  }
}

/** The request id header of a response, when the upstream sent one. */
export const requestIdFrom = (headers: Readonly<Record<string, string>> | undefined): string | undefined => {
  if (headers === undefined) return undefined
  return headers["x-request-id"] ?? headers["request-id"] ?? headers["x-goog-request-id"] ?? undefined
}

interface CandidateView {
  readonly text: string
  readonly toolCalls: Array<ToolCall>
  readonly rawFinishReason: string | undefined
}

const readCandidate = (response: GenerateContentResponse, signatures: ThoughtSignatures | undefined): CandidateView => {
  const candidate = response.candidates?.[0]
  let text = ""
  const toolCalls: Array<ToolCall> = []
  for (const part of candidate?.content?.parts ?? []) {
    // Thought summaries are the model's reasoning, not its answer.
    if (typeof part.text === "string" && part.thought !== true) text += part.text
    if (part.functionCall !== undefined) {
      const id = part.functionCall.id ?? generateToolCallId()
      if (part.thoughtSignature !== undefined) signatures?.set(id, part.thoughtSignature)
      toolCalls.push({
        id,
        name: part.functionCall.name ?? "",
        arguments: JSON.stringify(part.functionCall.args ?? {})
      })
    }
  }
  return { text, toolCalls, rawFinishReason: candidate?.finishReason ?? undefined }
}

/** Why a 200 response could not be turned into a `Completion`. */
export class EmptyResponseError extends Error {
  override readonly name = "EmptyResponseError"
}

/**
 * A `GenerateContentResponse` as a core `Completion`. HTTP-200 filters are completions, not
 * failures: a blocked prompt (no candidates, `promptFeedback.blockReason`) is `content_filter`
 * with `blockReason` set. A response with neither candidates nor a block reason throws
 * `EmptyResponseError` (the adapter reports it as a `decode` failure).
 */
export const fromGenerateContentResponse = (
  response: GenerateContentResponse,
  requestedModel: string,
  options: { readonly signatures?: ThoughtSignatures; readonly requestId?: string } = {}
): Completion => {
  const blockReason = response.promptFeedback?.blockReason ?? undefined
  const hasCandidates = (response.candidates?.length ?? 0) > 0
  if (!hasCandidates && blockReason === undefined) {
    throw new EmptyResponseError("Gemini returned no candidates and no prompt block reason")
  }
  const view = readCandidate(response, options.signatures)
  const finishReason = hasCandidates
    ? mapFinishReason(view.rawFinishReason, view.toolCalls.length > 0)
    : ("content_filter" as const)
  const requestId = options.requestId ?? requestIdFrom(response.sdkHttpResponse?.headers)
  return {
    message: {
      role: "assistant",
      content: view.text.length > 0 || view.toolCalls.length === 0 ? view.text : null,
      ...(view.toolCalls.length > 0 ? { toolCalls: view.toolCalls } : {})
    },
    finishReason,
    usage: toUsage(response.usageMetadata),
    provider: PROVIDER_KIND,
    model: response.modelVersion ?? requestedModel,
    ...(view.rawFinishReason !== undefined ? { rawFinishReason: view.rawFinishReason } : {}),
    ...(blockReason !== undefined ? { blockReason } : {}),
    ...(response.responseId !== undefined ? { providerResponseId: response.responseId } : {}),
    ...(requestId !== undefined ? { providerRequestId: requestId } : {})
  }
}

// ---------------------------------------------------------------------------------------------
// Streaming
// ---------------------------------------------------------------------------------------------

/** What a stream has seen so far; Gemini repeats usage and ids on every chunk, the last wins. */
export interface StreamState {
  /** Whether a content delta (text or tool call) has been emitted: a retry would then duplicate it. */
  emitted: boolean
  toolCallCount: number
  rawFinishReason: string | undefined
  blockReason: string | undefined
  usage: GenerateContentResponseUsageMetadata | undefined
  model: string | undefined
  responseId: string | undefined
}

export const makeStreamState = (): StreamState => ({
  emitted: false,
  toolCallCount: 0,
  rawFinishReason: undefined,
  blockReason: undefined,
  usage: undefined,
  model: undefined,
  responseId: undefined
})

/**
 * The deltas one streamed `GenerateContentResponse` carries; updates `state`.
 *
 * @example
 * ```ts
 * const state = makeStreamState()
 * chunkDeltas(state, chunk) // [{ _tag: "TextDelta", text: "Hel" }]
 * finishChunk(state, "gemini-2.5-flash") // the closing Finish, or undefined if the stream was cut
 * ```
 */
export const chunkDeltas = (
  state: StreamState,
  response: GenerateContentResponse,
  signatures?: ThoughtSignatures
): Array<CompletionChunk> => {
  if (response.usageMetadata !== undefined) state.usage = response.usageMetadata
  if (response.modelVersion !== undefined) state.model = response.modelVersion
  if (response.responseId !== undefined) state.responseId = response.responseId
  const block = response.promptFeedback?.blockReason
  if (block !== undefined) state.blockReason = block
  const view = readCandidate(response, signatures)
  if (view.rawFinishReason !== undefined) state.rawFinishReason = view.rawFinishReason
  const out: Array<CompletionChunk> = []
  if (view.text.length > 0) out.push({ _tag: "TextDelta", text: view.text })
  for (const call of view.toolCalls) {
    out.push({
      _tag: "ToolCallDelta",
      index: state.toolCallCount++,
      id: call.id,
      name: call.name,
      argumentsDelta: call.arguments
    })
  }
  if (out.length > 0) state.emitted = true
  return out
}

/**
 * The closing `Finish` chunk, or `undefined` when the stream ended without a finish reason or a
 * prompt block (a cut stream: the adapter reports it as a `stream` failure).
 */
export const finishChunk = (state: StreamState, requestedModel: string): CompletionChunk | undefined => {
  if (state.rawFinishReason === undefined && state.blockReason === undefined) return undefined
  const finishReason =
    state.rawFinishReason === undefined
      ? "content_filter"
      : mapFinishReason(state.rawFinishReason, state.toolCallCount > 0)
  return {
    _tag: "Finish",
    finishReason,
    usage: toUsage(state.usage),
    model: state.model ?? requestedModel,
    ...(state.rawFinishReason !== undefined ? { rawFinishReason: state.rawFinishReason } : {}),
    ...(state.blockReason !== undefined ? { blockReason: state.blockReason } : {}),
    ...(state.responseId !== undefined ? { providerResponseId: state.responseId } : {})
  }
}
