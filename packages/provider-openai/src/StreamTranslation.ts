/**
 * OpenAI Chat Completions stream chunks → core `CompletionChunk`s: text and tool-call deltas as
 * they come, then one `Finish` with the usage once the stream has ended.
 *
 * @example
 * ```ts
 * import { makeStreamTranslator } from "@am/provider-openai"
 * const t = makeStreamTranslator({ kind: "openai", model: "gpt-4o" })
 * t.push({ choices: [{ index: 0, delta: { content: "Hi" }, finish_reason: "stop" }] })
 * t.finish() // Result.succeed({ _tag: "Finish", finishReason: "stop", ... })
 * ```
 * @since 0.1.0
 */
import type { CompletionChunk, Usage } from "@am/core"
import { emptyUsage } from "@am/core"
import { Predicate, Result, Schema } from "effect"
import { reasoningTextOf, WireChatCompletionChunk, type WireToolCallDelta } from "./internal/Wire.ts"
import { argumentsText, count, field, nonEmpty } from "./internal/Fields.ts"
import { mapFinishReason, type ResponseTranslationOptions, toLogprobs, toUsage } from "./ResponseTranslation.ts"

const decodeChunk = Schema.decodeUnknownResult(WireChatCompletionChunk)

/** Turns a stream of Chat Completions chunks into core chunks; one per streamed call. */
export interface StreamTranslator {
  /** The core chunks one wire chunk yields (text and tool-call deltas), or why it is not a chunk. */
  readonly push: (chunk: unknown) => Result.Result<ReadonlyArray<CompletionChunk>, string>
  /** The closing `Finish` chunk, or why the stream is incomplete (no finish reason arrived). */
  readonly finish: () => Result.Result<CompletionChunk, string>
}

/**
 * A stateful translator for one stream. Only choice 0 is read. Usage comes from the final
 * usage chunk (`stream_options.include_usage`) or Groq's `x_groq.usage`; the `Finish` chunk is
 * produced at the end because the usage chunk follows the finish reason. Refusal deltas are
 * collected, not emitted as text: they turn the finish reason into `refusal`. Reasoning deltas
 * (`reasoning_content`, or a string `reasoning`) are `ReasoningDelta`s of block 0.
 *
 * @example
 * ```ts
 * import { makeStreamTranslator } from "@am/provider-openai"
 * const t = makeStreamTranslator({ kind: "openai", model: "gpt-4o" })
 * t.push({ choices: [{ index: 0, delta: { content: "Hi" }, finish_reason: "stop" }] })
 * t.finish() // Result.succeed({ _tag: "Finish", finishReason: "stop", ... })
 * ```
 */
export const makeStreamTranslator = (options: ResponseTranslationOptions): StreamTranslator => {
  let id: string | undefined
  let model: string | undefined
  let fingerprint: string | undefined
  let raw: string | undefined
  let usage: Usage | undefined
  let refusal = false
  let toolCalls = false
  let nextToolIndex = 0
  const toolIndexById = new Map<string, number>()
  // A search model's citations (`delta.annotations`): no chunk carries them; the Finish does.
  const annotations: Array<unknown> = []

  const toolIndex = (tc: WireToolCallDelta): number => {
    // Servers that omit `index` send whole calls; number them in order of appearance.
    const known = tc.id != null ? toolIndexById.get(tc.id) : undefined
    const index = count(tc.index) ?? known ?? nextToolIndex
    if (tc.id != null && tc.id !== "") toolIndexById.set(tc.id, index)
    nextToolIndex = Math.max(nextToolIndex, index + 1)
    return index
  }

  const push = (chunk: unknown): Result.Result<ReadonlyArray<CompletionChunk>, string> => {
    const decoded = decodeChunk(chunk)
    if (Result.isFailure(decoded))
      return Result.fail(`stream chunk is not a chat completion chunk: ${decoded.failure.message}`)
    const wire = decoded.success
    id ??= nonEmpty(wire.id)
    model ??= nonEmpty(wire.model)
    const fp = field(chunk, "system_fingerprint")
    if (typeof fp === "string" && fp !== "") fingerprint = fp
    const reported = wire.usage ?? wire.x_groq?.usage
    if (Predicate.isObject(reported)) usage = toUsage(reported)
    const out: Array<CompletionChunk> = []
    const rawChoices = field(chunk, "choices")
    for (const [i, choice] of (wire.choices ?? []).entries()) {
      if (choice.index != null && choice.index !== 0) continue
      const delta = choice.delta
      const reasoning = delta != null ? reasoningTextOf(delta) : undefined
      if (reasoning != null && reasoning !== "") out.push({ _tag: "ReasoningDelta", index: 0, text: reasoning })
      if (delta?.content != null && delta.content !== "") {
        const logprobs = toLogprobs(Array.isArray(rawChoices) ? rawChoices[i] : undefined)
        out.push({
          _tag: "TextDelta",
          text: delta.content,
          ...(fingerprint !== undefined ? { systemFingerprint: fingerprint } : {}),
          ...(logprobs !== undefined ? { logprobs } : {})
        })
      }
      if (delta?.refusal != null && delta.refusal !== "") refusal = true
      const cited = field(field(Array.isArray(rawChoices) ? rawChoices[i] : undefined, "delta"), "annotations")
      if (Array.isArray(cited)) annotations.push(...cited)
      for (const tc of delta?.tool_calls ?? []) {
        toolCalls = true
        const name = nonEmpty(tc.function?.name)
        const args = tc.function?.arguments != null ? argumentsText(tc.function.arguments) : undefined
        out.push({
          _tag: "ToolCallDelta",
          index: toolIndex(tc),
          ...(nonEmpty(tc.id) !== undefined ? { id: tc.id! } : {}),
          ...(name !== undefined ? { name } : {}),
          ...(args !== undefined && args !== "" ? { argumentsDelta: args } : {})
        })
      }
      if (choice.finish_reason != null && choice.finish_reason !== "") raw = choice.finish_reason
    }
    return Result.succeed(out)
  }

  const finish = (): Result.Result<CompletionChunk, string> => {
    if (raw === undefined) return Result.fail("stream ended before a finish reason")
    return Result.succeed({
      _tag: "Finish",
      finishReason: mapFinishReason(raw, { refusal, toolCalls }),
      usage: usage ?? emptyUsage,
      model: model ?? options.model,
      rawFinishReason: raw,
      ...(id !== undefined ? { providerResponseId: id } : {}),
      ...(fingerprint !== undefined ? { systemFingerprint: fingerprint } : {}),
      ...(annotations.length > 0
        ? { wireItems: [{ wire: "openai.chat" as const, index: 0, item: { annotations } }] }
        : {})
    })
  }

  return { push, finish }
}
