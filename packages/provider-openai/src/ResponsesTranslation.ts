/**
 * An OpenAI Responses API `response` object → the core `Completion`: the output message's text
 * (and refusal), `function_call` items as tool calls, reasoning items as reasoning parts, usage
 * with cached and reasoning tokens, and the status as a finish reason.
 *
 * @example
 * ```ts
 * import { fromResponsesObject } from "@am/provider-openai"
 * fromResponsesObject(
 *   { id: "resp_1", status: "completed", model: "gpt-4o", output: [{ type: "message", role: "assistant", content: [{ type: "output_text", text: "Hi" }] }] },
 *   { kind: "openai", model: "gpt-4o" }
 * ) // Result.succeed({ message: { role: "assistant", content: "Hi" }, finishReason: "stop", … })
 * ```
 * @since 0.1.0
 */
import type { Completion, FinishReason, ProviderFailure, ReasoningPart, ToolCall, Usage, WireItem } from "@am/core"
import { Predicate, Result } from "effect"
import { APIError } from "openai"
import { decodeFailure, type FailureContext, toProviderFailure } from "./Failures.ts"
import { argumentsText, field } from "./internal/Fields.ts"
import { mapFinishReason, type ResponseTranslationOptions, toUsage } from "./ResponseTranslation.ts"

/**
 * Why a Responses answer is not a completion: `malformed` (not a response object — a `decode`
 * failure), or `failed` (the upstream said so: `status: "failed"`, a `response.failed` or an
 * `error` event — classified from its `error` object like any OpenAI error).
 */
export type ResponsesProblem =
  | { readonly _tag: "malformed"; readonly reason: string }
  | { readonly _tag: "failed"; readonly error: Readonly<Record<string, unknown>> }

const str = (u: unknown): string | undefined => (Predicate.isString(u) && u !== "" ? u : undefined)

const list = (u: unknown): ReadonlyArray<unknown> => (Array.isArray(u) ? u : [])

/**
 * Responses usage → core usage: `input_tokens` (cached included), `output_tokens` (reasoning
 * included), `input_tokens_details.cached_tokens` → cache read,
 * `output_tokens_details.reasoning_tokens` → reasoning.
 *
 * @example
 * ```ts
 * import { toResponsesUsage } from "@am/provider-openai"
 * toResponsesUsage({ input_tokens: 10, output_tokens: 5, input_tokens_details: { cached_tokens: 4 } })
 * // { inputTokens: 10, outputTokens: 5, totalTokens: 15, cacheReadInputTokens: 4 }
 * ```
 */
export const toResponsesUsage = (usage: unknown): Usage =>
  toUsage(
    Predicate.isObject(usage)
      ? {
          prompt_tokens: field(usage, "input_tokens"),
          completion_tokens: field(usage, "output_tokens"),
          total_tokens: field(usage, "total_tokens"),
          prompt_tokens_details: field(usage, "input_tokens_details"),
          completion_tokens_details: field(usage, "output_tokens_details")
        }
      : undefined
  )

/**
 * The finish reason of a finished response: `completed` → `stop` (`tool_calls` with function
 * calls, `refusal` with a refusal), `incomplete` for `max_output_tokens` → `length`, for
 * `content_filter` → `content_filter`; the raw value is the incomplete reason or the status.
 *
 * @example
 * ```ts
 * import { responsesFinishReason } from "@am/provider-openai"
 * responsesFinishReason({ status: "incomplete", incomplete_details: { reason: "max_output_tokens" } })
 * // { finishReason: "length", raw: "max_output_tokens" }
 * ```
 */
export const responsesFinishReason = (
  response: unknown,
  facts: { readonly refusal?: boolean; readonly toolCalls?: boolean } = {}
): { readonly finishReason: FinishReason; readonly raw: string } => {
  const status = str(field(response, "status")) ?? "completed"
  if (status === "incomplete") {
    const reason = str(field(field(response, "incomplete_details"), "reason")) ?? "max_output_tokens"
    const finishReason: FinishReason =
      reason === "content_filter" ? "content_filter" : facts.refusal === true ? "refusal" : "length"
    return { finishReason, raw: reason }
  }
  return { finishReason: mapFinishReason("stop", facts), raw: status }
}

/**
 * Whether the core completion carries an output item of this type (`message`, `function_call`,
 * `reasoning`); any other (`web_search_call`, `custom_tool_call`, `mcp_call`, …) rides along as a
 * `WireItem` for the same-wire client.
 *
 * @example
 * ```ts
 * import { representedItem } from "@am/provider-openai"
 * representedItem("custom_tool_call") // false
 * ```
 */
export const representedItem = (type: unknown): boolean =>
  type === "message" || type === "function_call" || type === "reasoning"

/**
 * Whether a `message` output item's text carries annotations (citations).
 *
 * @example
 * ```ts
 * import { annotated } from "@am/provider-openai"
 * annotated({ type: "message", content: [{ type: "output_text", text: "x", annotations: [{ type: "url_citation" }] }] }) // true
 * ```
 */
export const annotated = (item: unknown): boolean =>
  list(field(item, "content")).some((p) => list(field(p, "annotations")).length > 0)

/** The text of a reasoning item: its reasoning text, else its summary. */
const reasoningText = (item: unknown): string => {
  const parts = list(field(item, "content")).length > 0 ? field(item, "content") : field(item, "summary")
  return list(parts)
    .map((p) => str(field(p, "text")) ?? "")
    .join("\n\n")
}

/**
 * The `error` object of a failed response, or of an `error` event (its own fields).
 *
 * @example
 * ```ts
 * import { upstreamError } from "@am/provider-openai"
 * upstreamError({ type: "error", code: "server_is_overloaded", message: "busy" })
 * // { message: "busy", code: "server_is_overloaded", type: "server_error" }
 * ```
 */
export const upstreamError = (u: unknown): Readonly<Record<string, unknown>> => {
  const e = field(u, "error")
  const source = Predicate.isObject(e) ? e : u
  return {
    message: str(field(source, "message")) ?? "the response failed",
    ...(str(field(source, "code")) !== undefined ? { code: field(source, "code") } : {}),
    // An `error` event's own `type` is the event's name, not an error type. Without one, the
    // failure is what chat reports as a `server_error` object: the server gave up mid-answer.
    type:
      str(field(source, "type")) !== undefined && field(source, "type") !== "error"
        ? field(source, "type")
        : "server_error",
    ...(str(field(source, "param")) !== undefined ? { param: field(source, "param") } : {})
  }
}

/**
 * Translates a Responses `response` object. A body that is not one (no `output` list) is a
 * `malformed` problem; `status: "failed"` a `failed` one carrying the response's `error`.
 *
 * @example
 * ```ts
 * import { fromResponsesObject } from "@am/provider-openai"
 * fromResponsesObject(
 *   { status: "completed", output: [{ type: "function_call", call_id: "call_1", name: "f", arguments: "{}" }] },
 *   { kind: "openai", model: "gpt-4o" }
 * ) // Result.succeed({ message: { content: null, toolCalls: [{ id: "call_1", name: "f", arguments: "{}" }] }, finishReason: "tool_calls", … })
 * ```
 */
export const fromResponsesObject = (
  body: unknown,
  options: ResponseTranslationOptions
): Result.Result<Completion, ResponsesProblem> => {
  if (!Predicate.isObject(body) || !Array.isArray(field(body, "output")))
    return Result.fail({ _tag: "malformed", reason: "response is not a Responses object (no output list)" })
  if (field(body, "status") === "failed") return Result.fail({ _tag: "failed", error: upstreamError(body) })
  let text: string | null = null
  let refusal: string | undefined
  const toolCalls: Array<ToolCall> = []
  const reasoning: Array<ReasoningPart> = []
  const wireItems: Array<WireItem> = []
  for (const [index, item] of list(field(body, "output")).entries()) {
    const type = field(item, "type")
    if (!representedItem(type)) {
      wireItems.push({ wire: "openai.responses", index, item })
      continue
    }
    if (type === "message") {
      // Its text's citations (`annotations`, a web search's `url_citation`s) have no place in the
      // core text: the whole item rides along too, for the same-wire client.
      if (annotated(item)) wireItems.push({ wire: "openai.responses", index, item })
      for (const part of list(field(item, "content"))) {
        const t = field(part, "type")
        if (t === "output_text" && Predicate.isString(field(part, "text")))
          text = (text ?? "") + (field(part, "text") as string)
        if (t === "refusal" && Predicate.isString(field(part, "refusal")))
          refusal = (refusal ?? "") + (field(part, "refusal") as string)
      }
    } else if (type === "function_call") {
      const name = str(field(item, "name"))
      if (name === undefined) continue
      toolCalls.push({
        id: str(field(item, "call_id")) ?? str(field(item, "id")) ?? `call_${toolCalls.length}`,
        name,
        arguments: argumentsText(field(item, "arguments"))
      })
    } else if (type === "reasoning") {
      const encrypted = str(field(item, "encrypted_content"))
      const itemId = str(field(item, "id"))
      reasoning.push({
        type: "reasoning",
        text: reasoningText(item),
        // The encrypted reasoning and its item id: what a later turn hands back (`toResponsesInput`).
        ...(encrypted !== undefined
          ? { redactedData: encrypted, provider: "openai", ...(itemId !== undefined ? { signature: itemId } : {}) }
          : {})
      })
    }
  }
  const finish = responsesFinishReason(body, { refusal: refusal !== undefined, toolCalls: toolCalls.length > 0 })
  const id = str(field(body, "id"))
  const tier = str(field(body, "service_tier"))
  const requestId = str(options.requestId)
  return Result.succeed({
    message: {
      role: "assistant",
      content: text,
      ...(toolCalls.length > 0 ? { toolCalls } : {}),
      ...(refusal !== undefined ? { refusal } : {}),
      ...(reasoning.length > 0 ? { reasoning } : {})
    },
    finishReason: finish.finishReason,
    usage: toResponsesUsage(field(body, "usage")),
    provider: options.kind,
    model: str(field(body, "model")) ?? options.model,
    rawFinishReason: finish.raw,
    ...(id !== undefined ? { providerResponseId: id } : {}),
    ...(requestId !== undefined ? { providerRequestId: requestId } : {}),
    ...(tier !== undefined ? { serviceTier: tier } : {}),
    ...(wireItems.length > 0 ? { wireItems } : {})
  })
}

/**
 * The `ProviderFailure` of a problem: a `decode` failure for a malformed answer; for a failed
 * one, the classification the SDK gives an in-stream `error` event (its `code` and `type` kept).
 *
 * @example
 * ```ts
 * import { responsesProblemFailure } from "@am/provider-openai"
 * // responsesProblemFailure({ _tag: "failed", error: { code: "server_error", message: "x" } }, context)
 * ```
 */
export const responsesProblemFailure = (problem: ResponsesProblem, context: FailureContext): ProviderFailure =>
  problem._tag === "malformed"
    ? decodeFailure(context, problem.reason)
    : toProviderFailure(new APIError(undefined, problem.error, undefined, context.headers ?? new Headers()), context)

/**
 * The SDK raises an `error` event of a Responses stream as an `APIError` whose `type` is the
 * event's name (`"error"`); this is that error with the event's own fields as the error object,
 * so the failure carries the upstream's `code` and is typed as chat's in-stream `server_error` is.
 *
 * @example
 * ```ts
 * import { responsesEventError } from "@am/provider-openai"
 * // Stream.fromAsyncIterable(events, (e) => toProviderFailure(responsesEventError(e), context))
 * ```
 */
export const responsesEventError = (error: unknown): unknown =>
  error instanceof APIError && error.status === undefined && error.type === "error"
    ? new APIError(undefined, upstreamError(error.error), undefined, error.headers)
    : error
