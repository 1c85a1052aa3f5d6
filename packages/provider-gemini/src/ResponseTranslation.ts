/**
 * A `GenerateContentResponse` → core `Completion`: finish reasons, usage, prompt blocks as
 * `content_filter` completions (not failures).
 *
 * @example
 * ```ts
 * import { fromGenerateContentResponse } from "@am/provider-gemini"
 * const c = fromGenerateContentResponse(
 *   { candidates: [{ content: { role: "model", parts: [{ text: "Hi" }] }, finishReason: "STOP" }] } as never,
 *   "gemini-2.5-flash"
 * )
 * c.message.content // "Hi"
 * ```
 * @since 0.1.0
 */
import { type Completion, emptyUsage, type FinishReason, type TokenLogprob, type Usage } from "@am/core"
import type { GenerateContentResponse, GenerateContentResponseUsageMetadata, LogprobsResult } from "@google/genai"
import { readCandidate } from "./internal/Candidate.ts"
import type { ThoughtSignatures } from "./RequestTranslation.ts"

/** The provider kind this adapter reports on every `Completion` and `ProviderFailure`. */
export const PROVIDER_KIND = "gemini"

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

/**
 * The request id header of a response, when the upstream sent one.
 *
 * @example
 * ```ts
 * import { requestIdFrom } from "@am/provider-gemini"
 * requestIdFrom({ "x-goog-request-id": "abc" }) // "abc"
 * ```
 */
export const requestIdFrom = (headers: Readonly<Record<string, string>> | undefined): string | undefined => {
  if (headers === undefined) return undefined
  return headers["x-request-id"] ?? headers["request-id"] ?? headers["x-goog-request-id"] ?? undefined
}

/** Why a 200 response could not be turned into a `Completion`. */
export class EmptyResponseError extends Error {
  override readonly name = "EmptyResponseError"
}

/**
 * A `GenerateContentResponse` as a core `Completion` (thought summaries as one `reasoning` part).
 * HTTP-200 filters are completions, not
 * failures: a blocked prompt (no candidates, `promptFeedback.blockReason`) is `content_filter`
 * with `blockReason` set. A response with neither candidates nor a block reason throws
 * `EmptyResponseError` (the adapter reports it as a `decode` failure).
 *
 * @example
 * ```ts
 * import { fromGenerateContentResponse } from "@am/provider-gemini"
 * import type { GenerateContentResponse } from "@google/genai"
 * const blocked = { promptFeedback: { blockReason: "SAFETY" } } as GenerateContentResponse
 * fromGenerateContentResponse(blocked, "gemini-2.5-flash").finishReason // "content_filter"
 * ```
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
  const logprobs = toLogprobs(response.candidates?.[0]?.logprobsResult)
  return {
    message: {
      role: "assistant",
      content: view.text.length > 0 || view.toolCalls.length === 0 ? view.text : null,
      ...(view.toolCalls.length > 0 ? { toolCalls: view.toolCalls } : {}),
      ...(view.reasoning !== undefined ? { reasoning: [view.reasoning] } : {})
    },
    finishReason,
    usage: toUsage(response.usageMetadata),
    provider: PROVIDER_KIND,
    model: response.modelVersion ?? requestedModel,
    ...(view.rawFinishReason !== undefined ? { rawFinishReason: view.rawFinishReason } : {}),
    ...(blockReason !== undefined ? { blockReason } : {}),
    ...(response.responseId !== undefined ? { providerResponseId: response.responseId } : {}),
    ...(requestId !== undefined ? { providerRequestId: requestId } : {}),
    ...(logprobs !== undefined ? { logprobs } : {})
  }
}

/**
 * `logprobsResult` → `TokenLogprob`s: `chosenCandidates[i]` with `topCandidates[i]` as its
 * alternatives; absent when Gemini sent none. A streamed chunk's result covers that chunk's text.
 *
 * @example
 * ```ts
 * import { toLogprobs } from "@am/provider-gemini"
 * toLogprobs({ chosenCandidates: [{ token: "Hi", logProbability: -0.1 }] }) // [{ token: "Hi", logprob: -0.1 }]
 * ```
 */
export const toLogprobs = (result: LogprobsResult | undefined): ReadonlyArray<TokenLogprob> | undefined => {
  const chosen = result?.chosenCandidates
  if (chosen === undefined || chosen.length === 0) return undefined
  return chosen.map((c, i) => {
    const top = result?.topCandidates?.[i]?.candidates
    return {
      token: c.token ?? "",
      logprob: c.logProbability ?? 0,
      ...(top !== undefined
        ? { topLogprobs: top.map((t) => ({ token: t.token ?? "", logprob: t.logProbability ?? 0 })) }
        : {})
    }
  })
}
