/**
 * Replaying a stored answer to a streaming request: the finished `Completion` (what the cache
 * and idempotency store keep for streamed calls too) as the chunk stream a live call would have
 * produced — its reasoning, its text (with the provider's logprobs and `system_fingerprint`), its
 * tool calls, then `Finish` with the original usage, model, fingerprint and same-wire items.
 *
 * @example
 * ```ts
 * import { replayStream } from "@am/cache"
 * import type { Completion } from "@am/core"
 * import { Stream } from "effect"
 * declare const stored: Completion
 * const chunks = Stream.runCollect(replayStream(stored))
 * ```
 * @since 0.1.0
 */
import { type Completion, type CompletionChunk, contentText } from "@am/core"
import { Stream } from "effect"

/** The chunks of a stored completion, in the order a provider streams them. */
export const replayChunks = (completion: Completion): ReadonlyArray<CompletionChunk> => {
  const chunks: Array<CompletionChunk> = []
  const fingerprint =
    completion.systemFingerprint === undefined ? {} : { systemFingerprint: completion.systemFingerprint }
  completion.message.reasoning?.forEach((part, index) => {
    chunks.push({
      _tag: "ReasoningDelta",
      index,
      ...(part.text !== "" ? { text: part.text } : {}),
      ...(part.signature === undefined ? {} : { signature: part.signature }),
      ...(part.redactedData === undefined ? {} : { redactedData: part.redactedData }),
      ...(part.provider === undefined ? {} : { provider: part.provider })
    })
  })
  const text = contentText(completion.message.content)
  if (text.length > 0)
    chunks.push({
      _tag: "TextDelta",
      text,
      ...fingerprint,
      ...(completion.logprobs === undefined ? {} : { logprobs: completion.logprobs })
    })
  completion.message.toolCalls?.forEach((call, index) => {
    chunks.push({ _tag: "ToolCallDelta", index, id: call.id, name: call.name, argumentsDelta: call.arguments })
  })
  chunks.push({
    _tag: "Finish",
    finishReason: completion.finishReason,
    usage: completion.usage,
    model: completion.model,
    ...(completion.rawFinishReason === undefined ? {} : { rawFinishReason: completion.rawFinishReason }),
    ...(completion.blockReason === undefined ? {} : { blockReason: completion.blockReason }),
    ...(completion.providerResponseId === undefined ? {} : { providerResponseId: completion.providerResponseId }),
    ...fingerprint,
    ...(completion.wireItems === undefined ? {} : { wireItems: completion.wireItems })
  })
  return chunks
}

/** A stored completion as a stream (a replayed or cached answer to a streaming request). */
export const replayStream = (completion: Completion): Stream.Stream<CompletionChunk> =>
  Stream.fromIterable(replayChunks(completion))
