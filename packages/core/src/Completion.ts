/**
 * A finished completion, normalised across providers.
 *
 * @example
 * ```ts
 * import type { Completion } from "@am/core"
 * const done = (c: Completion) => c.finishReason === "stop"
 * ```
 * @since 0.1.0
 */
import { Schema } from "effect"
import { AssistantMessage, ToolCall } from "./ChatMessage.ts"
import { Usage } from "./Usage.ts"

/**
 * Normalised finish reason. Mapping: OpenAI `stop|length|tool_calls|content_filter` as is and a
 * `message.refusal` → `refusal`; Anthropic `end_turn|stop_sequence` → `stop`, `max_tokens|
 * model_context_window_exceeded` → `length`, `tool_use` → `tool_calls`, `refusal` → `refusal`;
 * Gemini `STOP` → `stop`, `MAX_TOKENS` → `length`, safety/recitation/blocklist/prohibited/SPII
 * and prompt `blockReason` → `content_filter`, function calls → `tool_calls`.
 */
export const FinishReason = Schema.Literals(["stop", "length", "tool_calls", "content_filter", "refusal"])
export type FinishReason = typeof FinishReason.Type

/**
 * One output token's log probability, with the most likely alternatives when asked for
 * (OpenAI `choices[].logprobs.content`, Gemini `logprobsResult`).
 */
export const TokenLogprob = Schema.Struct({
  token: Schema.String,
  logprob: Schema.Finite,
  bytes: Schema.optionalKey(Schema.NullOr(Schema.Array(Schema.Int))),
  topLogprobs: Schema.optionalKey(
    Schema.Array(
      Schema.Struct({
        token: Schema.String,
        logprob: Schema.Finite,
        bytes: Schema.optionalKey(Schema.NullOr(Schema.Array(Schema.Int)))
      })
    )
  )
})
export type TokenLogprob = typeof TokenLogprob.Type

/**
 * An output item of an answer that the core completion has no place for (an OpenAI Responses
 * `web_search_call` or `custom_tool_call`, an Anthropic `server_tool_use` or
 * `web_search_tool_result` block, an OpenAI chat message's `annotations` and `audio` — there the
 * item holds those message fields), as the upstream sent it, with the wire it is written in and
 * its position in the upstream's `output` / `content` (0 for a chat message). The gateway hands these back to a client
 * of that wire only; nothing else reads them.
 *
 * @example
 * ```ts
 * import type { WireItem } from "@am/core"
 * const item: WireItem = {
 *   wire: "openai.responses",
 *   index: 0,
 *   item: { type: "custom_tool_call", call_id: "call_1", name: "apply_patch", input: "…" }
 * }
 * ```
 */
export const WireItem = Schema.Struct({
  wire: Schema.Literals(["openai.chat", "openai.responses", "anthropic.messages"]),
  index: Schema.Int,
  item: Schema.Unknown
})
export type WireItem = typeof WireItem.Type

export const Completion = Schema.Struct({
  message: AssistantMessage,
  finishReason: FinishReason,
  usage: Usage,
  /** Provider kind that answered (`openai`, `anthropic`, `gemini`, `openai-compatible`). */
  provider: Schema.String,
  /** The model that answered, as the provider reported it. */
  model: Schema.String,
  /** The provider's own finish/stop reason, unmapped (e.g. `end_turn`, `SAFETY`). */
  rawFinishReason: Schema.optionalKey(Schema.String),
  /** The stop sequence that ended the answer, when the provider says which (Anthropic `stop_sequence`). */
  stopSequence: Schema.optionalKey(Schema.String),
  /** Gemini `promptFeedback.blockReason` when the prompt itself was blocked. */
  blockReason: Schema.optionalKey(Schema.String),
  /** The provider's response id (`chatcmpl-…`, `msg_…`, Gemini `responseId`). */
  providerResponseId: Schema.optionalKey(Schema.String),
  /** The provider's request id header (`x-request-id`, `request-id`). */
  providerRequestId: Schema.optionalKey(Schema.String),
  /** The backend configuration that answered (OpenAI `system_fingerprint`). */
  systemFingerprint: Schema.optionalKey(Schema.String),
  /** The processing tier that served the answer (OpenAI and Anthropic `service_tier`). */
  serviceTier: Schema.optionalKey(Schema.String),
  /** Per-token log probabilities, when `logprobs` was asked for and the provider returned them. */
  logprobs: Schema.optionalKey(Schema.Array(TokenLogprob)),
  /** Same-wire output items the completion does not represent (see {@link WireItem}). */
  wireItems: Schema.optionalKey(Schema.Array(WireItem))
})
export type Completion = typeof Completion.Type

/**
 * One increment of a streamed completion. `systemFingerprint` (OpenAI `system_fingerprint`) rides
 * on text deltas and the `Finish` once the provider has sent it; a text delta's `logprobs` are the
 * provider's tokens for that delta, when `logprobs` was asked for.
 */
export const CompletionChunk = Schema.Union([
  Schema.TaggedStruct("TextDelta", {
    text: Schema.String,
    systemFingerprint: Schema.optionalKey(Schema.String),
    logprobs: Schema.optionalKey(Schema.Array(TokenLogprob))
  }),
  Schema.TaggedStruct("ToolCallDelta", {
    index: Schema.Int,
    id: Schema.optionalKey(Schema.String),
    name: Schema.optionalKey(Schema.String),
    argumentsDelta: Schema.optionalKey(Schema.String)
  }),
  /**
   * Reasoning as it streams: `index` numbers the reasoning blocks 0, 1, … in order; `text` is
   * more of block `index`'s text, `signature` / `redactedData` its opaque values (with the
   * `provider` kind that made them), usually in the block's last delta.
   */
  Schema.TaggedStruct("ReasoningDelta", {
    index: Schema.Int,
    text: Schema.optionalKey(Schema.String),
    signature: Schema.optionalKey(Schema.String),
    redactedData: Schema.optionalKey(Schema.String),
    provider: Schema.optionalKey(Schema.String)
  }),
  Schema.TaggedStruct("Finish", {
    finishReason: FinishReason,
    usage: Usage,
    model: Schema.String,
    rawFinishReason: Schema.optionalKey(Schema.String),
    stopSequence: Schema.optionalKey(Schema.String),
    blockReason: Schema.optionalKey(Schema.String),
    providerResponseId: Schema.optionalKey(Schema.String),
    systemFingerprint: Schema.optionalKey(Schema.String),
    /** Same-wire output items the stream's chunks do not represent, whole (see {@link WireItem}). */
    wireItems: Schema.optionalKey(Schema.Array(WireItem))
  })
])
export type CompletionChunk = typeof CompletionChunk.Type

export { ToolCall }
