/**
 * OpenAI Chat Completions responses and stream chunks → core `Completion` / `CompletionChunk`.
 * Tolerant of what OpenAI-compatible servers leave out (id, usage, usage details, finish reason
 * on a whole answer); strict only where a missing field would hide a broken answer (no choice
 * at all, a stream that ends without a finish reason).
 *
 * @example
 * ```ts
 * import { fromChatCompletion } from "@am/provider-openai"
 * import { Result } from "effect"
 * const r = fromChatCompletion(
 *   { id: "chatcmpl-1", model: "gpt-4o", choices: [{ message: { content: "Hi", refusal: null }, finish_reason: "stop" }] },
 *   { kind: "openai", model: "gpt-4o" }
 * )
 * Result.isSuccess(r) // true
 * ```
 * @since 0.1.0
 */
import type { Completion, FinishReason, TokenLogprob, ToolCall, Usage } from "@am/core"
import { emptyUsage } from "@am/core"
import { Predicate, Result, Schema } from "effect"
import { argumentsText, count, field, nonEmpty } from "./internal/Fields.ts"
import { reasoningTextOf, WireChatCompletion, type WireMessage, type WireToolCall } from "./internal/Wire.ts"
import type { OpenAIKind } from "./RequestTranslation.ts"

export interface ResponseTranslationOptions {
  readonly kind: OpenAIKind
  /** The model that was asked for; used when the server does not report one. */
  readonly model: string
  /** The `x-request-id` response header, when there was one. */
  readonly requestId?: string | undefined
}

/**
 * Raw finish reasons other servers use, onto the normalised set. OpenAI's own values map to
 * themselves; `function_call` (deprecated) is a tool call.
 */
const FINISH_REASONS: Readonly<Record<string, FinishReason>> = {
  stop: "stop",
  length: "length",
  tool_calls: "tool_calls",
  content_filter: "content_filter",
  function_call: "tool_calls",
  refusal: "refusal",
  // OpenAI-compatible servers and proxies
  eos: "stop",
  eos_token: "stop",
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  model_length: "length",
  tool_use: "tool_calls",
  safety: "content_filter"
}

/**
 * Normalises a raw finish reason. A refusal text wins (OpenAI Structured Outputs put the
 * refusal in `message.refusal` with `finish_reason: "stop"`); `stop` with tool calls present is
 * `tool_calls` (OpenAI answers a forced `tool_choice` with `stop`); a missing or unknown reason
 * is `stop` — the raw value is kept in `rawFinishReason` either way.
 *
 * @example
 * ```ts
 * import { mapFinishReason } from "@am/provider-openai"
 * mapFinishReason("stop", { refusal: true }) // "refusal"
 * mapFinishReason("eos") // "stop"
 * ```
 */
export const mapFinishReason = (
  raw: string | null | undefined,
  facts: { readonly refusal?: boolean; readonly toolCalls?: boolean } = {}
): FinishReason => {
  if (facts.refusal === true) return "refusal"
  const mapped = (raw != null ? FINISH_REASONS[raw.toLowerCase()] : undefined) ?? "stop"
  return mapped === "stop" && facts.toolCalls === true ? "tool_calls" : mapped
}

/**
 * Reads OpenAI usage: `prompt_tokens` → input (cached included, as OpenAI counts it),
 * `completion_tokens` → output (reasoning included), `prompt_tokens_details.cached_tokens` →
 * cache read, `prompt_tokens_details.cache_write_tokens` → cache creation,
 * `completion_tokens_details.reasoning_tokens` → reasoning. Missing or malformed counters are
 * 0 (or absent for the optional details); a missing total is input + output.
 *
 * @example
 * ```ts
 * import { toUsage } from "@am/provider-openai"
 * toUsage({ prompt_tokens: 10, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 4 } })
 * // { inputTokens: 10, outputTokens: 5, totalTokens: 15, cacheReadInputTokens: 4 }
 * ```
 */
export const toUsage = (usage: unknown): Usage => {
  if (!Predicate.isObject(usage)) return emptyUsage
  const input = count(field(usage, "prompt_tokens")) ?? 0
  const output = count(field(usage, "completion_tokens")) ?? 0
  const total = count(field(usage, "total_tokens"))
  const cached = count(field(field(usage, "prompt_tokens_details"), "cached_tokens"))
  const cacheWrite = count(field(field(usage, "prompt_tokens_details"), "cache_write_tokens"))
  const reasoning = count(field(field(usage, "completion_tokens_details"), "reasoning_tokens"))
  return {
    inputTokens: input,
    outputTokens: output,
    totalTokens: total !== undefined && total > 0 ? total : input + output,
    ...(cached !== undefined ? { cacheReadInputTokens: cached } : {}),
    ...(cacheWrite !== undefined ? { cacheCreationInputTokens: cacheWrite } : {}),
    ...(reasoning !== undefined ? { reasoningOutputTokens: reasoning } : {})
  }
}

const toToolCall = (tc: WireToolCall, position: number): ToolCall | undefined => {
  const name = tc.function?.name ?? tc.custom?.name
  if (name == null || name === "") return undefined
  return {
    // Some compatible servers omit tool-call ids; the caller needs one to answer the call.
    id: tc.id != null && tc.id !== "" ? tc.id : `call_${position}`,
    name,
    arguments: tc.function != null ? argumentsText(tc.function.arguments) : (tc.custom?.input ?? "")
  }
}

const messageText = (content: WireMessage["content"]): string | null => {
  if (content == null) return null
  if (typeof content === "string") return content
  // A few servers answer with content parts; keep the text ones.
  return content
    .map((part) => (Predicate.isString(field(part, "text")) ? (field(part, "text") as string) : ""))
    .join("")
}

const decodeCompletion = Schema.decodeUnknownResult(WireChatCompletion)

const WireTokenLogprob = Schema.Struct({
  token: Schema.String,
  logprob: Schema.Finite,
  bytes: Schema.optional(Schema.NullOr(Schema.Array(Schema.Int))),
  top_logprobs: Schema.optional(
    Schema.NullOr(
      Schema.Array(
        Schema.Struct({
          token: Schema.String,
          logprob: Schema.Finite,
          bytes: Schema.optional(Schema.NullOr(Schema.Array(Schema.Int)))
        })
      )
    )
  )
})
const decodeLogprobs = Schema.decodeUnknownResult(Schema.Array(WireTokenLogprob))

/**
 * `choices[].logprobs.content` → `TokenLogprob`s; absent when the server sent none or an odd
 * shape (log probabilities never fail an answer). Also reads a stream chunk's choice.
 * @internal
 */
export const toLogprobs = (choice: unknown): ReadonlyArray<TokenLogprob> | undefined => {
  const content = field(field(choice, "logprobs"), "content")
  // Most answers and every stream chunk carry none: no decode (a failed decode builds its issues).
  if (content === undefined || content === null) return undefined
  const decoded = decodeLogprobs(content)
  if (Result.isFailure(decoded)) return undefined
  return decoded.success.map((t) => ({
    token: t.token,
    logprob: t.logprob,
    ...(t.bytes !== undefined ? { bytes: t.bytes } : {}),
    ...(t.top_logprobs != null
      ? {
          topLogprobs: t.top_logprobs.map((a) => ({
            token: a.token,
            logprob: a.logprob,
            ...(a.bytes !== undefined ? { bytes: a.bytes } : {})
          }))
        }
      : {})
  }))
}

const stringField = (u: unknown, key: string): string | undefined => {
  const v = field(u, key)
  return Predicate.isString(v) && v !== "" ? v : undefined
}

/** @deprecated The old name of {@link toUsage}, the name all three adapters use. */
export const readUsage = toUsage

/**
 * Translates a Chat Completions response body. Fails (with a short reason) when the body is
 * not a chat completion or has no choice; the adapter turns that into a `decode` failure.
 * HTTP-200 refusals and content filters are Completions (`refusal`, `content_filter`). An
 * OpenAI-compatible server's `reasoning_content` (or string `reasoning`) is a `reasoning` part.
 * `system_fingerprint`, `service_tier` and `choices[].logprobs.content` are kept when present.
 *
 * @example
 * ```ts
 * import { fromChatCompletion } from "@am/provider-openai"
 * fromChatCompletion({ choices: [{ message: { content: null, refusal: "No." }, finish_reason: "stop" }] }, { kind: "openai", model: "gpt-4o" })
 * // Result.succeed({ finishReason: "refusal", message: { role: "assistant", content: null, refusal: "No." }, … })
 * ```
 */
export const fromChatCompletion = (
  body: unknown,
  options: ResponseTranslationOptions
): Result.Result<Completion, string> => {
  const decoded = decodeCompletion(body)
  if (Result.isFailure(decoded)) return Result.fail(`response is not a chat completion: ${decoded.failure.message}`)
  const wire = decoded.success
  const choice = wire.choices.find((c) => c.index === 0 || c.index == null) ?? wire.choices[0]
  if (choice === undefined) return Result.fail("response has no choices")
  const message = choice.message
  const toolCalls = (message.tool_calls ?? []).map(toToolCall).filter((tc): tc is ToolCall => tc !== undefined)
  const legacy = message.function_call != null ? toToolCall({ function: message.function_call }, 0) : undefined
  if (toolCalls.length === 0 && legacy !== undefined) toolCalls.push(legacy)
  const refusal = nonEmpty(message.refusal)
  const reasoning = nonEmpty(reasoningTextOf(message))
  const raw = choice.finish_reason ?? undefined
  const rawChoice = Array.isArray(field(body, "choices"))
    ? (field(body, "choices") as ReadonlyArray<unknown>)[wire.choices.indexOf(choice)]
    : undefined
  const logprobs = toLogprobs(rawChoice)
  const fingerprint = stringField(body, "system_fingerprint")
  const tier = stringField(body, "service_tier")
  // A search model's citations and an audio answer have no place in the core message: they ride
  // along for a client of the chat wire.
  const extras = chatMessageExtras(field(rawChoice, "message"))
  return Result.succeed({
    message: {
      role: "assistant",
      content: messageText(message.content),
      ...(toolCalls.length > 0 ? { toolCalls } : {}),
      ...(refusal !== undefined ? { refusal } : {}),
      ...(reasoning !== undefined ? { reasoning: [{ type: "reasoning" as const, text: reasoning }] } : {})
    },
    finishReason: mapFinishReason(raw, { refusal: refusal !== undefined, toolCalls: toolCalls.length > 0 }),
    usage: toUsage(wire.usage),
    provider: options.kind,
    model: nonEmpty(wire.model) ?? options.model,
    ...(raw !== undefined ? { rawFinishReason: raw } : {}),
    ...(nonEmpty(wire.id) !== undefined ? { providerResponseId: wire.id! } : {}),
    ...(nonEmpty(options.requestId) !== undefined ? { providerRequestId: options.requestId! } : {}),
    ...(fingerprint !== undefined ? { systemFingerprint: fingerprint } : {}),
    ...(tier !== undefined ? { serviceTier: tier } : {}),
    ...(logprobs !== undefined ? { logprobs } : {}),
    ...(extras !== undefined ? { wireItems: [{ wire: "openai.chat" as const, index: 0, item: extras }] } : {})
  })
}

/**
 * The fields of an OpenAI chat message the core message has no place for — `annotations` (a
 * search model's `url_citation`s) and `audio` — or `undefined` when it has neither.
 *
 * @example
 * ```ts
 * import { chatMessageExtras } from "@am/provider-openai"
 * chatMessageExtras({ content: "…", annotations: [{ type: "url_citation", url_citation: { url: "https://x.test" } }] })
 * // { annotations: [{ type: "url_citation", … }] }
 * ```
 */
export const chatMessageExtras = (message: unknown): Readonly<Record<string, unknown>> | undefined => {
  const annotations = field(message, "annotations")
  const audio = field(message, "audio")
  const out = {
    ...(Array.isArray(annotations) && annotations.length > 0 ? { annotations } : {}),
    ...(audio !== null && typeof audio === "object" ? { audio } : {})
  }
  return Object.keys(out).length > 0 ? out : undefined
}
