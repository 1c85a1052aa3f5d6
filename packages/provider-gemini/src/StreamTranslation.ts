/**
 * Streamed `GenerateContentResponse` chunks → core `CompletionChunk`s. Gemini repeats usage,
 * model and response id on every chunk (the last wins) and sends whole function calls, so each
 * chunk yields its text and tool calls at once; `Finish` comes at the end of the stream.
 *
 * @example
 * ```ts
 * import { makeStreamTranslator } from "@am/provider-gemini"
 * const t = makeStreamTranslator("gemini-2.5-flash")
 * t.push({ candidates: [{ content: { role: "model", parts: [{ text: "Hel" }] }, finishReason: "STOP" }] } as never)
 * // [{ _tag: "TextDelta", text: "Hel" }]
 * t.finish() // { _tag: "Finish", finishReason: "stop", … }, or undefined for a cut stream
 * ```
 * @since 0.1.0
 */
import type { CompletionChunk } from "@am/core"
import type { GenerateContentResponse, GenerateContentResponseUsageMetadata } from "@google/genai"
import { readCandidate } from "./internal/Candidate.ts"
import type { ThoughtSignatures } from "./RequestTranslation.ts"
import { mapFinishReason, toLogprobs, toUsage } from "./ResponseTranslation.ts"

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

/**
 * A fresh state for one stream (what {@link chunkDeltas} updates and {@link finishChunk} reads).
 *
 * @example
 * ```ts
 * import { makeStreamState } from "@am/provider-gemini"
 * makeStreamState().emitted // false
 * ```
 */
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
 * The deltas one streamed `GenerateContentResponse` carries (thoughts as `ReasoningDelta` 0, text,
 * tool calls); updates `state`.
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
  // Gemini's thoughts are one summary per answer: reasoning block 0.
  if (view.reasoning !== undefined) {
    const { text, signature, provider } = view.reasoning
    out.push({
      _tag: "ReasoningDelta",
      index: 0,
      ...(text.length > 0 ? { text } : {}),
      ...(signature !== undefined ? { signature } : {}),
      ...(provider !== undefined ? { provider } : {})
    })
  }
  if (view.text.length > 0) {
    // `responseLogprobs`: each chunk's tokens ride on its text, as OpenAI's do.
    const logprobs = toLogprobs(response.candidates?.[0]?.logprobsResult)
    out.push({ _tag: "TextDelta", text: view.text, ...(logprobs !== undefined ? { logprobs } : {}) })
  }
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
 *
 * @example
 * ```ts
 * import { finishChunk, makeStreamState } from "@am/provider-gemini"
 * finishChunk(makeStreamState(), "gemini-2.5-flash") // undefined: nothing said the stream was complete
 * ```
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

/** A stateful translator for one stream, the same shape as the other adapters' translators. */
export interface StreamTranslator {
  /** The chunks one streamed response yields (text and tool-call deltas). */
  readonly push: (response: GenerateContentResponse) => ReadonlyArray<CompletionChunk>
  /** The closing `Finish`, or `undefined` when the stream ended without a finish reason or prompt block (cut). */
  readonly finish: () => CompletionChunk | undefined
  /** Whether any content chunk was emitted: a retry would then duplicate it. */
  readonly emitted: () => boolean
}

/**
 * A translator for one stream over {@link makeStreamState}, {@link chunkDeltas} and
 * {@link finishChunk}; `signatures` keeps the function calls' thought signatures for the next turn.
 *
 * @example
 * ```ts
 * import { makeStreamTranslator, makeThoughtSignatures } from "@am/provider-gemini"
 * const t = makeStreamTranslator("gemini-2.5-flash", makeThoughtSignatures())
 * t.emitted() // false until a TextDelta or ToolCallDelta went out
 * ```
 */
export const makeStreamTranslator = (requestedModel: string, signatures?: ThoughtSignatures): StreamTranslator => {
  const state = makeStreamState()
  return {
    push: (response) => chunkDeltas(state, response, signatures),
    finish: () => finishChunk(state, requestedModel),
    emitted: () => state.emitted
  }
}
