// biome-ignore-all lint/suspicious/noThenProperty: a rule's `then` is a plain object, never a function, so a rule is not a thenable.
/** Outcomes that are not HTTP errors: content, streams, timeouts, the network, decoding. */
import type { ClassificationRule } from "../../ClassificationRule.ts"
import { all, any, code, finishReason, hasBlockReason, kind, status, type } from "../Predicates.ts"
import { TOOL_CALL_FINISH_REASONS } from "./ToolCalls.ts"

/** The `errorType` of a failure made from a defect (`defectFailure`). */
export const ADAPTER_DEFECT = "adapter_defect"

// --- Outcomes that are not HTTP errors: content, streams, transport -----------------------------

export const outcomeRules: ReadonlyArray<ClassificationRule> = [
  {
    // Decision: the model produced an unusable tool call. Not a policy block (no rewrite), not the
    // provider's health (no breaker), not the key. Another model may call the tool correctly; the
    // same model with the same prompt usually repeats the mistake. So: next model, no blind retry.
    name: "gemini.200.tool_call_invalid",
    when: finishReason(...TOOL_CALL_FINISH_REASONS),
    then: {
      class: "invalid_request",
      scope: "model",
      retryable: false,
      errorType: "MALFORMED_FUNCTION_CALL",
      errorTypeFrom: ["finishReason"]
    }
  },
  {
    // Anthropic `stop_reason: "refusal"`, OpenAI `message.refusal` / Responses `refusal` content.
    name: "content.refusal",
    when: all(kind("content"), finishReason("refusal")),
    then: { class: "content_policy", scope: "content", retryable: false, errorType: "refusal" }
  },
  {
    // Gemini `promptFeedback.blockReason` (SAFETY, OTHER, BLOCKLIST, PROHIBITED_CONTENT, IMAGE_SAFETY, …).
    name: "content.prompt_blocked",
    when: all(kind("content"), hasBlockReason),
    then: {
      class: "content_policy",
      scope: "content",
      retryable: false,
      errorType: "prompt_blocked",
      errorTypeFrom: ["blockReason"]
    }
  },
  {
    // OpenAI `finish_reason: "content_filter"`, Gemini `finishReason` SAFETY/RECITATION/…, anything else of kind content.
    name: "content.output_filtered",
    when: kind("content"),
    then: {
      class: "content_policy",
      scope: "content",
      retryable: false,
      errorType: "content_filter",
      errorTypeFrom: ["finishReason"]
    }
  },
  {
    // A defect thrown inside an adapter (a bug, an SDK change it did not expect): no signal about
    // the provider, so `unknown` — provider scope, bounded by the engine — and the request fails
    // over instead of stopping. After output, a retry would duplicate it.
    name: "adapter.defect",
    when: type(ADAPTER_DEFECT),
    then: {
      class: "unknown",
      scope: "provider",
      retryable: true,
      errorType: ADAPTER_DEFECT,
      onlyBeforeOutput: true
    }
  },
  {
    // Anthropic SSE `error` event `overloaded_error` after HTTP 200 (also a Gemini stream cut with UNAVAILABLE).
    name: "stream.overloaded",
    when: all(kind("stream"), any(type("overloaded_error", "UNAVAILABLE", "server_is_overloaded"), status(503, 529))),
    then: {
      class: "overloaded",
      scope: "provider",
      retryable: true,
      errorType: "overloaded_error",
      errorTypeFrom: ["errorType"],
      onlyBeforeOutput: true
    }
  },
  {
    name: "stream.server_error",
    when: all(kind("stream"), any(type("api_error", "server_error", "INTERNAL"), status(500, 502, 504))),
    then: {
      class: "server_error",
      scope: "provider",
      retryable: true,
      errorType: "api_error",
      errorTypeFrom: ["errorType"],
      onlyBeforeOutput: true
    }
  },
  {
    name: "stream.rate_limit",
    when: all(kind("stream"), any(type("rate_limit_error", "RESOURCE_EXHAUSTED"), code("rate_limit_exceeded"))),
    then: {
      class: "rate_limit",
      scope: "key",
      retryable: true,
      errorType: "rate_limit_error",
      errorTypeFrom: ["errorType"],
      retryAfter: "rate-limit",
      onlyBeforeOutput: true
    }
  },
  {
    // A cut, stalled or otherwise failed stream after HTTP 200.
    name: "stream.interrupted",
    when: kind("stream"),
    then: {
      class: "stream_interrupted",
      scope: "provider",
      retryable: true,
      errorType: "stream_interrupted",
      errorTypeFrom: ["errorType"],
      onlyBeforeOutput: true
    }
  },
  {
    // The host never completed the handshake within the provider's connectTimeout (the adapters
    // mark undici's UND_ERR_CONNECT_TIMEOUT so): a timeout of its own name, nothing was sent.
    name: "timeout.connect",
    when: all(kind("timeout"), type("connect_timeout")),
    then: { class: "timeout", scope: "provider", retryable: true, errorType: "connect_timeout" }
  },
  {
    // SDK APITimeoutError / the attempt's deadline. Nothing reached the caller (only streams forward output).
    name: "timeout.client",
    when: kind("timeout"),
    then: { class: "timeout", scope: "provider", retryable: true, errorType: "timeout" }
  },
  {
    // SDK APIConnectionError: refused, reset, DNS, TLS.
    name: "network.connection",
    when: kind("network"),
    then: { class: "network", scope: "provider", retryable: true, errorType: "network", errorTypeFrom: ["errorCode"] }
  },
  {
    // The body was not what the wire format promises (an HTML error page from a proxy, truncated JSON).
    name: "decode.response",
    when: kind("decode"),
    then: { class: "server_error", scope: "provider", retryable: true, errorType: "decode_error" }
  }
]
