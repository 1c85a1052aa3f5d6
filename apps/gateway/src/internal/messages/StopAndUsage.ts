/**
 * The `stop_reason` / `stop_sequence` and `usage` of a Messages API answer, from the engine's
 * normalised finish and usage (whichever provider answered).
 */
import type { FinishReason, Usage } from "@am/core"

/** What decides the stop reason: the normalised finish, the provider's raw one, the matched sequence. */
export interface FinishFacts {
  readonly finishReason: FinishReason
  readonly rawFinishReason?: string | undefined
  readonly stopSequence?: string | undefined
}

/**
 * `tool_calls` → `tool_use`; `length` → `max_tokens` (or Anthropic's own `pause_turn` /
 * `model_context_window_exceeded`); `refusal` and `content_filter` → `refusal`; `stop` →
 * `stop_sequence` when the provider said a stop sequence ended it (with the sequence when known,
 * or when only one was asked for), else `end_turn`.
 */
export const stopReasonOf = (
  f: FinishFacts,
  stopSequences: ReadonlyArray<string> | null | undefined
): { readonly reason: string; readonly sequence: string | null } => {
  switch (f.finishReason) {
    case "tool_calls":
      return { reason: "tool_use", sequence: null }
    case "length":
      return {
        reason:
          f.rawFinishReason === "pause_turn" || f.rawFinishReason === "model_context_window_exceeded"
            ? f.rawFinishReason
            : "max_tokens",
        sequence: null
      }
    case "refusal":
    case "content_filter":
      return { reason: "refusal", sequence: null }
    case "stop": {
      if (f.stopSequence !== undefined) return { reason: "stop_sequence", sequence: f.stopSequence }
      if (f.rawFinishReason === "stop_sequence") {
        return { reason: "stop_sequence", sequence: stopSequences?.length === 1 ? stopSequences[0]! : null }
      }
      return { reason: "end_turn", sequence: null }
    }
  }
}

/**
 * Anthropic's usage: its `input_tokens` counts only uncached input, while the engine's counts all
 * of it (OpenTelemetry's convention), so the cache counts are taken out again.
 */
export const usageOf = (u: Usage) => {
  const cacheRead = u.cacheReadInputTokens ?? 0
  const cacheCreation = u.cacheCreationInputTokens ?? 0
  return {
    input_tokens: Math.max(0, u.inputTokens - cacheRead - cacheCreation),
    output_tokens: u.outputTokens,
    cache_creation_input_tokens: cacheCreation,
    cache_read_input_tokens: cacheRead
  }
}
