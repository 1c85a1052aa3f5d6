/**
 * OpenAI's Chat Completions wire format at the gateway's edge: the request body as a Schema
 * (so a bad field is named in the error), its translation into the engine's
 * `CompletionRequest`, and the answer back as `chat.completion` / `chat.completion.chunk`.
 *
 * @example
 * ```ts
 * import { decodeChatBody, toCompletionRequest } from "@am/gateway"
 * ```
 * @since 0.1.0
 */
import {
  type ChatMessage,
  type CompletionChunk,
  type CompletionRequest,
  type ContentPart,
  schemaIssuePath,
  type Usage,
  type WireItem
} from "@am/core"
import { wireItemsOf } from "./internal/WireItems.ts"
import type { EngineCompletion } from "@am/engine"
import { Effect, Schema } from "effect"
import { GatewayError } from "./GatewayError.ts"

const Text = Schema.String
const WireTextPart = Schema.Struct({ type: Schema.Literal("text"), text: Text })
const WireImagePart = Schema.Struct({
  type: Schema.Literal("image_url"),
  image_url: Schema.Struct({
    url: Schema.NonEmptyString,
    detail: Schema.optionalKey(Schema.NullOr(Schema.Literals(["auto", "low", "high"])))
  })
})
const WireContent = Schema.Union([Text, Schema.Array(Schema.Union([WireTextPart, WireImagePart]))])
const WireToolCall = Schema.Struct({
  id: Schema.NonEmptyString,
  type: Schema.optionalKey(Schema.Literal("function")),
  function: Schema.Struct({ name: Schema.NonEmptyString, arguments: Schema.String })
})

const WireMessage = Schema.Union([
  Schema.Struct({ role: Schema.Literals(["system", "developer"]), content: WireContent }),
  Schema.Struct({ role: Schema.Literal("user"), content: WireContent, name: Schema.optionalKey(Schema.String) }),
  Schema.Struct({
    role: Schema.Literal("assistant"),
    content: Schema.optionalKey(Schema.NullOr(WireContent)),
    tool_calls: Schema.optionalKey(Schema.Array(WireToolCall)),
    refusal: Schema.optionalKey(Schema.NullOr(Schema.String))
  }),
  Schema.Struct({ role: Schema.Literal("tool"), tool_call_id: Schema.NonEmptyString, content: WireContent })
])
type WireMessage = typeof WireMessage.Type

const WireTool = Schema.Struct({
  type: Schema.Literal("function"),
  function: Schema.Struct({
    name: Schema.NonEmptyString,
    description: Schema.optionalKey(Schema.String),
    parameters: Schema.optionalKey(Schema.Record(Schema.String, Schema.Unknown)),
    strict: Schema.optionalKey(Schema.NullOr(Schema.Boolean))
  })
})

const WireToolChoice = Schema.Union([
  Schema.Literals(["auto", "none", "required"]),
  Schema.Struct({ type: Schema.Literal("function"), function: Schema.Struct({ name: Schema.NonEmptyString }) })
])

const WireResponseFormat = Schema.Union([
  Schema.Struct({ type: Schema.Literals(["text", "json_object"]) }),
  Schema.Struct({
    type: Schema.Literal("json_schema"),
    json_schema: Schema.Struct({
      name: Schema.NonEmptyString,
      schema: Schema.optionalKey(Schema.Record(Schema.String, Schema.Unknown)),
      strict: Schema.optionalKey(Schema.NullOr(Schema.Boolean)),
      description: Schema.optionalKey(Schema.String)
    })
  })
])

const OptionalNullable = <S extends Schema.Top>(s: S) => Schema.optionalKey(Schema.NullOr(s))

/** The request body of `POST /v1/chat/completions` (fields we don't use are ignored, as OpenAI does). */
export const ChatBody = Schema.Struct({
  model: Schema.NonEmptyString,
  messages: Schema.NonEmptyArray(WireMessage),
  stream: OptionalNullable(Schema.Boolean),
  stream_options: OptionalNullable(Schema.Struct({ include_usage: Schema.optionalKey(Schema.Boolean) })),
  temperature: OptionalNullable(Schema.Finite),
  top_p: OptionalNullable(Schema.Finite),
  max_tokens: OptionalNullable(Schema.Int),
  max_completion_tokens: OptionalNullable(Schema.Int),
  stop: OptionalNullable(Schema.Union([Schema.String, Schema.Array(Schema.String)])),
  seed: OptionalNullable(Schema.Int),
  presence_penalty: OptionalNullable(Schema.Finite),
  frequency_penalty: OptionalNullable(Schema.Finite),
  n: OptionalNullable(Schema.Int),
  tools: Schema.optionalKey(Schema.Array(WireTool)),
  tool_choice: Schema.optionalKey(WireToolChoice),
  response_format: Schema.optionalKey(WireResponseFormat),
  reasoning_effort: OptionalNullable(Schema.Literals(["none", "minimal", "low", "medium", "high", "xhigh", "max"])),
  user: OptionalNullable(Schema.String),
  safety_identifier: OptionalNullable(Schema.String),
  metadata: OptionalNullable(Schema.Record(Schema.String, Schema.String)),
  service_tier: OptionalNullable(Schema.String),
  parallel_tool_calls: OptionalNullable(Schema.Boolean),
  logprobs: OptionalNullable(Schema.Boolean),
  top_logprobs: OptionalNullable(Schema.Int)
})
export type ChatBody = typeof ChatBody.Type

const decodeBody = Schema.decodeUnknownEffect(ChatBody)

/**
 * Decodes a parsed JSON body, failing with `GatewayError(InvalidRequest)` naming the first bad
 * field (its dotted path). Only `n = 1` is served.
 */
export const decodeChatBody = (json: unknown): Effect.Effect<ChatBody, GatewayError> =>
  typeof json !== "object" || json === null || Array.isArray(json)
    ? Effect.fail(GatewayError.invalid("the request body must be a JSON object"))
    : decodeBody(json, { errors: "first" }).pipe(
        Effect.mapError((e) => {
          const param = schemaIssuePath(e)
          const first = e.message.split("\n")[0] ?? e.message
          return param !== undefined
            ? GatewayError.invalid(`invalid field ${param}: ${first}`, param)
            : GatewayError.invalid(`invalid request body: ${first}`)
        }),
        Effect.filterOrFail(
          (body) => body.n === undefined || body.n === null || body.n === 1,
          () => GatewayError.invalid("only n = 1 is supported", "n")
        )
      )

const content = (c: typeof WireContent.Type): string | ReadonlyArray<ContentPart> =>
  typeof c === "string"
    ? c
    : c.map(
        (p): ContentPart =>
          p.type === "text"
            ? { type: "text", text: p.text }
            : {
                type: "image",
                url: p.image_url.url,
                ...(p.image_url.detail !== undefined && p.image_url.detail !== null
                  ? { detail: p.image_url.detail }
                  : {})
              }
      )

const textOf = (c: typeof WireContent.Type): string =>
  typeof c === "string" ? c : c.map((p) => (p.type === "text" ? p.text : "")).join("")

const message = (m: WireMessage): ChatMessage => {
  switch (m.role) {
    case "system":
    case "developer":
      return { role: "system", content: textOf(m.content) }
    case "user":
      return { role: "user", content: content(m.content), ...(m.name !== undefined ? { name: m.name } : {}) }
    case "assistant":
      return {
        role: "assistant",
        content: m.content === undefined || m.content === null ? null : content(m.content),
        ...(m.tool_calls !== undefined && m.tool_calls.length > 0
          ? {
              toolCalls: m.tool_calls.map((t) => ({ id: t.id, name: t.function.name, arguments: t.function.arguments }))
            }
          : {})
      }
    case "tool":
      return { role: "tool", toolCallId: m.tool_call_id, content: content(m.content) }
  }
}

/** Who is calling and how, from the HTTP request around the body. */
export interface CallerContext {
  readonly workspaceId: string
  readonly idempotencyKey?: string | undefined
  readonly deadlineMs?: number | undefined
}

/**
 * The engine request for a Chat Completions body. `model` is a route name or a concrete model
 * name (DESIGN.md): the engine resolves either. Range checks (temperature, top_p, …) are the
 * engine's `decodeRequest`, so the gateway and the library validate alike.
 */
export const toCompletionRequest = (body: ChatBody, caller: CallerContext): unknown => {
  const stop =
    body.stop === undefined || body.stop === null ? undefined : typeof body.stop === "string" ? [body.stop] : body.stop
  const maxTokens = body.max_completion_tokens ?? body.max_tokens
  const format = body.response_format
  const opt = <K extends string, V>(k: K, v: V | null | undefined) =>
    (v === undefined || v === null ? {} : { [k]: v }) as { [P in K]?: V }
  return {
    model: body.model,
    messages: body.messages.map(message),
    ...opt("temperature", body.temperature),
    ...opt("topP", body.top_p),
    ...opt("maxTokens", maxTokens),
    ...opt("stop", stop),
    ...opt("seed", body.seed),
    ...opt("presencePenalty", body.presence_penalty),
    ...opt("frequencyPenalty", body.frequency_penalty),
    ...(body.tools !== undefined && body.tools.length > 0
      ? {
          tools: body.tools.map((t) => ({
            name: t.function.name,
            ...(t.function.description !== undefined ? { description: t.function.description } : {}),
            ...(t.function.parameters !== undefined ? { parameters: t.function.parameters } : {}),
            ...(typeof t.function.strict === "boolean" ? { strict: t.function.strict } : {})
          }))
        }
      : {}),
    ...opt("parallelToolCalls", body.parallel_tool_calls),
    ...opt("user", body.user),
    ...opt("safetyIdentifier", body.safety_identifier),
    // `metadata.profile` is the gateway's own routing hint, not the client's tag for the upstream.
    ...opt("clientMetadata", clientMetadataOf(body.metadata)),
    ...opt("serviceTier", body.service_tier),
    ...opt("logprobs", body.logprobs),
    ...opt("topLogprobs", body.top_logprobs),
    ...(body.tool_choice !== undefined
      ? {
          toolChoice: typeof body.tool_choice === "string" ? body.tool_choice : { name: body.tool_choice.function.name }
        }
      : {}),
    ...(format === undefined
      ? {}
      : format.type === "json_schema"
        ? {
            responseFormat: {
              type: "json_schema",
              name: format.json_schema.name,
              schema: format.json_schema.schema ?? {},
              ...(typeof format.json_schema.strict === "boolean" ? { strict: format.json_schema.strict } : {}),
              ...(format.json_schema.description !== undefined ? { description: format.json_schema.description } : {})
            }
          }
        : { responseFormat: { type: format.type } }),
    ...(body.reasoning_effort !== undefined && body.reasoning_effort !== null
      ? { reasoning: { effort: body.reasoning_effort } }
      : {}),
    metadata: { workspaceId: caller.workspaceId },
    ...opt("idempotencyKey", caller.idempotencyKey),
    ...opt("deadlineMs", caller.deadlineMs)
  } satisfies Partial<Record<keyof CompletionRequest, unknown>>
}

const clientMetadataOf = (
  metadata: Readonly<Record<string, string>> | null | undefined
): Record<string, string> | undefined => {
  if (metadata === undefined || metadata === null) return undefined
  const { profile: _profile, ...rest } = metadata
  return Object.keys(rest).length > 0 ? rest : undefined
}

const logprobsWire = (tokens: EngineCompletion["logprobs"]) =>
  tokens === undefined
    ? null
    : {
        content: tokens.map((t) => ({
          token: t.token,
          logprob: t.logprob,
          bytes: t.bytes ?? null,
          top_logprobs: (t.topLogprobs ?? []).map((a) => ({
            token: a.token,
            logprob: a.logprob,
            bytes: a.bytes ?? null
          }))
        })),
        refusal: null
      }

const usageWire = (u: Usage) => ({
  prompt_tokens: u.inputTokens,
  completion_tokens: u.outputTokens,
  total_tokens: u.totalTokens,
  ...(u.cacheReadInputTokens !== undefined ? { prompt_tokens_details: { cached_tokens: u.cacheReadInputTokens } } : {}),
  ...(u.reasoningOutputTokens !== undefined
    ? { completion_tokens_details: { reasoning_tokens: u.reasoningOutputTokens } }
    : {})
})

/** The response id clients see: stable per request, so it matches the ledger's request id. */
export const responseId = (requestId: string): string => `chatcmpl-${requestId}`

/** A `chat.completion` object for an engine answer. */
/** The message fields an OpenAI chat upstream sent that the engine has no place for (`annotations`, `audio`). */
const chatExtras = (wireItems: ReadonlyArray<WireItem> | undefined): Record<string, unknown> =>
  Object.assign({}, ...wireItemsOf(wireItems, "openai.chat").map((w) => w.item as object))

export const toChatCompletion = (answer: EngineCompletion, created: number) => {
  const m = answer.message
  const text =
    m.content === null
      ? null
      : typeof m.content === "string"
        ? m.content
        : m.content.map((p) => (p.type === "text" ? p.text : "")).join("")
  return {
    id: responseId(answer.resilience.requestId),
    object: "chat.completion",
    created,
    model: answer.model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: text,
          refusal: m.refusal ?? null,
          // DeepSeek's field (also vLLM's and the OpenAI-compatible servers'): the reasoning text.
          ...(reasoningText(m.reasoning) !== "" ? { reasoning_content: reasoningText(m.reasoning) } : {}),
          ...(m.toolCalls !== undefined && m.toolCalls.length > 0
            ? {
                tool_calls: m.toolCalls.map((t) => ({
                  id: t.id,
                  type: "function",
                  function: { name: t.name, arguments: t.arguments }
                }))
              }
            : {}),
          // An OpenAI upstream's citations and audio, as it sent them.
          ...chatExtras(answer.wireItems)
        },
        logprobs: logprobsWire(answer.logprobs),
        finish_reason: answer.finishReason === "refusal" ? "stop" : answer.finishReason
      }
    ],
    usage: usageWire(answer.usage),
    ...(answer.serviceTier !== undefined ? { service_tier: answer.serviceTier } : {}),
    ...(answer.systemFingerprint !== undefined ? { system_fingerprint: answer.systemFingerprint } : {})
  }
}

const reasoningText = (parts: ReadonlyArray<{ readonly text: string }> | undefined): string =>
  parts === undefined ? "" : parts.map((p) => p.text).join("\n\n")

/** The SSE frame that ends a completed stream. */
export const DONE = "data: [DONE]\n\n"

/** Encodes engine chunks as `chat.completion.chunk` SSE frames. One encoder per response. */
export class ChunkEncoder {
  private sentRole = false
  /** The upstream's `system_fingerprint`, once a chunk has carried it; on every frame from then on. */
  private fingerprint: string | undefined
  /** Whether the Finish chunk was encoded (only then may `[DONE]` follow). */
  finished = false
  readonly id: string
  readonly created: number
  readonly model: string
  readonly includeUsage: boolean
  constructor(options: { requestId: string; created: number; model: string; includeUsage: boolean }) {
    this.id = responseId(options.requestId)
    this.created = options.created
    this.model = options.model
    this.includeUsage = options.includeUsage
  }

  private frame(choices: ReadonlyArray<unknown>, extra?: Record<string, unknown>): string {
    const obj = {
      id: this.id,
      object: "chat.completion.chunk",
      created: this.created,
      model: this.model,
      ...(this.fingerprint !== undefined ? { system_fingerprint: this.fingerprint } : {}),
      choices,
      ...(this.includeUsage ? { usage: null } : {}),
      ...extra
    }
    return `data: ${JSON.stringify(obj)}\n\n`
  }

  private delta(delta: Record<string, unknown>): Record<string, unknown> {
    if (this.sentRole) return delta
    this.sentRole = true
    return { role: "assistant", ...delta }
  }

  /** The SSE text for one engine chunk. `[DONE]` is the caller's (`DONE`), sent after the ledger entry. */
  encode(chunk: CompletionChunk): string {
    if ((chunk._tag === "TextDelta" || chunk._tag === "Finish") && chunk.systemFingerprint !== undefined)
      this.fingerprint = chunk.systemFingerprint
    switch (chunk._tag) {
      case "TextDelta":
        return this.frame([
          {
            index: 0,
            delta: this.delta({ content: chunk.text }),
            logprobs: logprobsWire(chunk.logprobs),
            finish_reason: null
          }
        ])
      case "ReasoningDelta":
        // Only the text has a place in Chat Completions (`reasoning_content`); signatures do not.
        return chunk.text === undefined || chunk.text === ""
          ? ""
          : this.frame([
              { index: 0, delta: this.delta({ reasoning_content: chunk.text }), logprobs: null, finish_reason: null }
            ])
      case "ToolCallDelta":
        return this.frame([
          {
            index: 0,
            delta: this.delta({
              tool_calls: [
                {
                  index: chunk.index,
                  ...(chunk.id !== undefined ? { id: chunk.id, type: "function" } : {}),
                  function: {
                    ...(chunk.name !== undefined ? { name: chunk.name } : {}),
                    ...(chunk.argumentsDelta !== undefined ? { arguments: chunk.argumentsDelta } : {})
                  }
                }
              ]
            }),
            logprobs: null,
            finish_reason: null
          }
        ])
      case "Finish": {
        this.finished = true
        const finish = chunk.finishReason === "refusal" ? "stop" : chunk.finishReason
        // An OpenAI upstream's citations ride on the finishing delta, as they do upstream.
        let out = this.frame([
          { index: 0, delta: this.delta(chatExtras(chunk.wireItems)), logprobs: null, finish_reason: finish }
        ])
        if (this.includeUsage) {
          out += `data: ${JSON.stringify({
            id: this.id,
            object: "chat.completion.chunk",
            created: this.created,
            model: this.model,
            ...(this.fingerprint !== undefined ? { system_fingerprint: this.fingerprint } : {}),
            choices: [],
            usage: usageWire(chunk.usage)
          })}\n\n`
        }
        return out
      }
    }
  }
}
