/**
 * Fault scripts: which answer or failure a simulated upstream gives each request.
 *
 * A script is a list of rules; the first rule whose `match` fits the request's model and
 * key decides. A rule's `sequence` is consumed one step per request (then `"ok"` forever,
 * or from the start again with `repeat: true`, or a `random` mix if the rule has one);
 * `random` draws a fault with probability `rate` from a seeded, reproducible generator.
 *
 * @example
 * ```ts
 * import type { FaultScript } from "@am/simulator"
 * const script: FaultScript = [
 *   { match: { key: "sk-a" }, sequence: [429, 429, "ok"] },
 *   { match: { model: "gpt-4o" }, sequence: [{ fault: "overloaded" }], repeat: true },
 *   { random: { rate: 0.2, faults: ["rate_limit", "server_error", "reset_before_headers"], seed: 7 } }
 * ]
 * ```
 * @since 0.1.0
 */

/**
 * Faults that answer with an HTTP error (or, where the provider signals it that way,
 * an HTTP 200 refusal/block) — one per row of provider-signals.md A.9, in each
 * provider's own status, body and headers.
 *
 * @example
 * ```ts
 * upstream.setScript([{ sequence: ["overloaded"] }]) // 503 / 529 / UNAVAILABLE, per provider
 * ```
 * @since 0.1.0
 */
export const ProviderFaultNames = [
  "rate_limit",
  "rate_limit_tokens",
  "request_exceeds_tpm",
  "slow_down",
  "quota_exhausted",
  "spend_limit",
  "billing_error",
  "overloaded",
  "overloaded_in_stream",
  "server_error",
  "bad_gateway",
  "gateway_timeout",
  "invalid_key",
  "permission_denied",
  "model_not_found",
  "context_length_exceeded",
  "request_too_large",
  "malformed_request",
  "unprocessable",
  "conflict",
  "input_blocked",
  "invalid_prompt"
] as const

/**
 * Faults that are HTTP 200 answers the caller must not take as a plain success:
 * filtered or refused output, truncation, tool calls (normal and malformed).
 *
 * @example
 * ```ts
 * upstream.setScript([{ sequence: ["content_filter"] }]) // HTTP 200, finish_reason "content_filter"
 * ```
 * @since 0.1.0
 */
export const AnswerFaultNames = [
  "content_filter",
  "refusal",
  "max_tokens",
  "model_context_window_exceeded",
  "tool_call",
  "malformed_tool_call"
] as const

/**
 * Faults of the connection rather than of the provider: the same for every provider.
 *
 * @example
 * ```ts
 * upstream.setScript([{ sequence: [{ fault: "stream_cut", afterChunks: 3 }] }])
 * ```
 * @since 0.1.0
 */
export const TransportFaultNames = [
  "latency",
  "hang",
  "reset_before_headers",
  "reset_after_headers",
  "stream_cut",
  "stall",
  "malformed_json",
  "truncated_body"
] as const

/**
 * @example
 * ```ts
 * const fault: ProviderFaultName = "rate_limit"
 * ```
 * @since 0.1.0
 */
export type ProviderFaultName = (typeof ProviderFaultNames)[number]
/**
 * @example
 * ```ts
 * const fault: AnswerFaultName = "refusal"
 * ```
 * @since 0.1.0
 */
export type AnswerFaultName = (typeof AnswerFaultNames)[number]
/**
 * @example
 * ```ts
 * const fault: TransportFaultName = "reset_before_headers"
 * ```
 * @since 0.1.0
 */
export type TransportFaultName = (typeof TransportFaultNames)[number]

/**
 * Every fault a script can ask for.
 *
 * @example
 * ```ts
 * const faults: ReadonlyArray<FaultName> = ["rate_limit", "refusal", "hang"]
 * ```
 * @since 0.1.0
 */
export type FaultName = ProviderFaultName | AnswerFaultName | TransportFaultName

/**
 * All fault names, for table-driven tests and for validating configuration files.
 *
 * @example
 * ```ts
 * import { FaultNames } from "@am/simulator"
 * for (const fault of FaultNames) upstream.setScript([{ sequence: [fault] }])
 * ```
 * @since 0.1.0
 */
export const FaultNames: ReadonlyArray<FaultName> = [...ProviderFaultNames, ...AnswerFaultNames, ...TransportFaultNames]

/**
 * @example
 * ```ts
 * isFaultName("rate_limit") // true
 * ```
 * @since 0.1.0
 */
export const isFaultName = (u: unknown): u is FaultName => typeof u === "string" && FaultNames.includes(u as FaultName)

/**
 * A step with options. Only the options that make sense for the fault are read.
 *
 * @example
 * ```ts
 * const step: FaultStep = { fault: "rate_limit", retryAfterMs: 20_000 }
 * ```
 * @since 0.1.0
 */
export interface FaultStep {
  readonly fault: FaultName | "ok"
  /** Rate limits: the wait the provider announces (retry-after, "try again in", RetryInfo). */
  readonly retryAfterMs?: number
  /** Extra delay before anything is sent (added to the upstream's base latency). */
  readonly latencyMs?: number
  /** Streams: events sent before a cut, stall, reset or in-stream error. */
  readonly afterChunks?: number
  /** `stall`: how long the answer pauses between two chunks. */
  readonly stallMs?: number
  /** `latency` on a stream: a slow drip, each SSE event this many milliseconds after the previous one. */
  readonly intervalMs?: number
  /**
   * `truncated_body` on a stream: end the response cleanly after `afterChunks` whole events — no
   * half event, and nothing after them (so before the finish, no finish; and never `[DONE]`).
   */
  readonly cleanEnd?: boolean
  /** `malformed_json` on a stream: corrupt every event (a stream that never parses), not just one. */
  readonly everyEvent?: boolean
  /**
   * The model does not support assistant prefill: a request ending with an assistant message gets
   * the provider's 400 (`invalid_request_error`); any other request is answered by the step.
   */
  readonly rejectsPrefill?: boolean
  /** Override the HTTP status of an error fault (e.g. OpenAI's older `slow_down` as 503). */
  readonly status?: number
  /** Override the provider's error message. */
  readonly message?: string
  /** Gemini `promptFeedback.blockReason` for `input_blocked` / `invalid_prompt` (default SAFETY / PROHIBITED_CONTENT). */
  readonly blockReason?: string
  /** Override the finish/stop reason of an answer fault (e.g. Gemini `RECITATION`, `TOO_MANY_TOOL_CALLS`). */
  readonly finishReason?: string
  /** `ok`: the answer text of this step (over the upstream's `reply` and `echo`), e.g. a scripted judge's verdicts. */
  readonly reply?: string
}

/**
 * One step of a script: `"ok"`, a fault by name, an HTTP status (answered with the
 * provider's standard body for that status), or a fault with options.
 *
 * @example
 * ```ts
 * const steps: ReadonlyArray<Step> = ["ok", "overloaded", 503, { fault: "stream_cut", afterChunks: 3 }]
 * ```
 * @since 0.1.0
 */
export type Step = "ok" | FaultName | number | FaultStep

/**
 * A rule of a script. The first rule whose `match` fits the request (every given field
 * equal) decides the request's step.
 *
 * @example
 * ```ts
 * const rule: FaultRule = { match: { key: "sk-a" }, sequence: [429, "ok"], perTarget: true }
 * ```
 * @since 0.1.0
 */
export interface FaultRule {
  readonly match?: { readonly model?: string; readonly key?: string }
  /** Consumed one step per matching request; afterwards `random` if set, else `"ok"` (or again from the start with `repeat`). */
  readonly sequence?: ReadonlyArray<Step>
  readonly repeat?: boolean
  /** A seeded mix: each request fails with probability `rate`, with a fault drawn uniformly from `faults`. */
  readonly random?: { readonly rate: number; readonly faults: ReadonlyArray<Step>; readonly seed?: number }
  /** Keep a separate cursor (and random generator) per (model, key) instead of one for the rule. */
  readonly perTarget?: boolean
}

/**
 * A fault script: rules, first match wins; requests no rule matches are answered `"ok"`.
 *
 * @example
 * ```ts
 * const script: FaultScript = [{ match: { model: "gpt-4o" }, sequence: [503, 503, "ok"] }]
 * ```
 * @since 0.1.0
 */
export type FaultScript = ReadonlyArray<FaultRule>
