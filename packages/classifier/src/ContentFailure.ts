/**
 * HTTP-200 outcomes that are not successes: a refusal, a content filter, a Gemini prompt block or
 * a Gemini tool call the model got wrong. A gateway that looks only at status codes passes these
 * through silently; the engine turns them into failures here and classifies them like any other.
 *
 * @example
 * ```ts
 * import { classify, contentFailureOf } from "@am/classifier"
 * import type { Completion } from "@am/core"
 *
 * declare const completion: Completion
 * const failure = contentFailureOf(completion, { keyId: "k1" })
 * if (failure !== undefined) classify(failure).scope // "content"
 * ```
 * @since 0.1.0
 */
import type { Completion } from "@am/core"
import { ProviderFailure, sanitizeMessage } from "@am/core"
import { TOOL_CALL_FINISH_REASONS } from "./Rules.ts"

/** Where the completion came from, for the failure's key and provider fields. */
export interface ContentFailureContext {
  readonly providerId?: string
  readonly keyId?: string
  readonly keyFingerprint?: string
}

// Raw provider finish reasons that mean "filtered" however an adapter normalised them.
const FILTER_RAW_REASONS: ReadonlySet<string> = new Set([
  "content_filter",
  "refusal",
  "SAFETY",
  "RECITATION",
  "BLOCKLIST",
  "PROHIBITED_CONTENT",
  "SPII",
  "IMAGE_SAFETY",
  "IMAGE_PROHIBITED_CONTENT",
  "IMAGE_RECITATION"
])

const isBlocked = (blockReason: string | undefined): blockReason is string =>
  blockReason !== undefined && blockReason !== "" && blockReason !== "BLOCKED_REASON_UNSPECIFIED"

/**
 * Turns a `Completion` whose finish reason is `content_filter` or `refusal` (or that carries a
 * Gemini `blockReason`, or a non-empty `message.refusal`) into a `ProviderFailure` of kind
 * `content` with status 200 and `finishReason`/`blockReason` set; a Gemini
 * `MALFORMED_FUNCTION_CALL` / `UNEXPECTED_TOOL_CALL` / `TOO_MANY_TOOL_CALLS` into one of kind
 * `decode` (the model's output could not be used). Returns `undefined` for normal completions
 * (`stop`, `length`, `tool_calls`).
 *
 * The failure's message is fixed text naming the reason, never the model's output: a refusal
 * can quote the prompt.
 */
export const contentFailureOf = (
  completion: Completion,
  context?: ContentFailureContext
): ProviderFailure | undefined => {
  const raw = completion.rawFinishReason
  const blockReason = completion.blockReason
  const refusal = completion.message.refusal
  const base = {
    provider: completion.provider,
    ...(context?.providerId !== undefined ? { providerId: context.providerId } : {}),
    model: completion.model,
    ...(context?.keyId !== undefined ? { keyId: context.keyId } : {}),
    ...(context?.keyFingerprint !== undefined ? { keyFingerprint: context.keyFingerprint } : {}),
    status: 200,
    responseBytesReceived: true,
    ...(completion.providerRequestId !== undefined ? { requestId: completion.providerRequestId } : {})
  }
  const describe = (text: string) => sanitizeMessage(`${completion.provider} ${completion.model}: ${text}`)

  if (isBlocked(blockReason)) {
    return new ProviderFailure({
      ...base,
      kind: "content",
      finishReason: raw ?? completion.finishReason,
      blockReason,
      message: describe(`prompt blocked (${blockReason})`)
    })
  }
  if (raw !== undefined && TOOL_CALL_FINISH_REASONS.includes(raw)) {
    return new ProviderFailure({
      ...base,
      kind: "decode",
      finishReason: raw,
      message: describe(`unusable tool call (${raw})`)
    })
  }
  if (completion.finishReason === "refusal" || (typeof refusal === "string" && refusal.length > 0)) {
    return new ProviderFailure({ ...base, kind: "content", finishReason: "refusal", message: describe("refused") })
  }
  if (completion.finishReason === "content_filter" || (raw !== undefined && FILTER_RAW_REASONS.has(raw))) {
    const reason = raw !== undefined && FILTER_RAW_REASONS.has(raw) ? raw : "content_filter"
    return new ProviderFailure({
      ...base,
      kind: "content",
      finishReason: reason,
      message: describe(`output filtered (${reason})`)
    })
  }
  return undefined
}
