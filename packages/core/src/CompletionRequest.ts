/**
 * A provider-neutral completion request, as the engine and the gateway accept it.
 *
 * @example
 * ```ts
 * import { CompletionRequest } from "@am/core"
 * import { Schema } from "effect"
 * const req = Schema.decodeUnknownSync(CompletionRequest)({
 *   route: "default",
 *   messages: [{ role: "user", content: "Say hi" }],
 *   metadata: { workspaceId: "team-a" }
 * })
 * ```
 * @since 0.1.0
 */
import { Schema } from "effect"
import { ChatMessage } from "./ChatMessage.ts"

/** A function tool the model may call; `parameters` is a JSON Schema object. */
export const ToolDefinition = Schema.Struct({
  name: Schema.NonEmptyString,
  description: Schema.optionalKey(Schema.String),
  parameters: Schema.optionalKey(Schema.Record(Schema.String, Schema.Unknown)),
  /** Ask the provider to enforce `parameters` exactly (OpenAI `function.strict`, Anthropic `strict`). */
  strict: Schema.optionalKey(Schema.Boolean)
})
export type ToolDefinition = typeof ToolDefinition.Type

export const ToolChoice = Schema.Union([
  Schema.Literals(["auto", "none", "required"]),
  Schema.Struct({ name: Schema.NonEmptyString })
])
export type ToolChoice = typeof ToolChoice.Type

export const ResponseFormat = Schema.Union([
  Schema.Struct({ type: Schema.Literal("text") }),
  Schema.Struct({ type: Schema.Literal("json_object") }),
  Schema.Struct({
    type: Schema.Literal("json_schema"),
    name: Schema.NonEmptyString,
    schema: Schema.Record(Schema.String, Schema.Unknown),
    strict: Schema.optionalKey(Schema.Boolean),
    /** What the format is for (OpenAI `json_schema.description`). */
    description: Schema.optionalKey(Schema.String)
  })
])
export type ResponseFormat = typeof ResponseFormat.Type

/**
 * How much the model should reason before answering, provider-neutral. Each adapter maps it to
 * its own knob: OpenAI `reasoning_effort` (reasoning models only), Anthropic `thinking`
 * (`enabled` with `budget_tokens`, `adaptive`, `disabled`), Gemini `thinkingConfig`
 * (`thinkingBudget` or `thinkingLevel`, with `includeThoughts`). `effort` and `budgetTokens`
 * convert into each other with {@link reasoningBudgetOf} / {@link reasoningEffortOf}.
 *
 * @example
 * ```ts
 * import type { Reasoning } from "@am/core"
 * const think: Reasoning = { budgetTokens: 4096 } // Anthropic's thinking.budget_tokens
 * const quick: Reasoning = { effort: "low" } // OpenAI's reasoning_effort
 * ```
 */
export const Reasoning = Schema.Struct({
  effort: Schema.optionalKey(Schema.Literals(["none", "minimal", "low", "medium", "high", "xhigh", "max"])),
  budgetTokens: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThan(0))),
  /** Let the model decide how much to think (Anthropic `thinking.type: "adaptive"`). */
  adaptive: Schema.optionalKey(Schema.Boolean)
})
export type Reasoning = typeof Reasoning.Type
export type ReasoningEffort = NonNullable<Reasoning["effort"]>

/**
 * Thinking tokens for an effort, after Google's published `reasoning_effort` → `thinkingBudget`
 * table (low 1,024, medium 8,192, high 24,576); `minimal` is Anthropic's smallest budget (1,024),
 * `xhigh` 32,768, `max` 65,536, `none` 0.
 *
 * @example
 * ```ts
 * import { reasoningBudgetOf } from "@am/core"
 * reasoningBudgetOf("medium") // 8192
 * ```
 */
export const reasoningBudgetOf = (effort: ReasoningEffort): number =>
  ({ none: 0, minimal: 1024, low: 1024, medium: 8192, high: 24576, xhigh: 32768, max: 65536 })[effort]

/**
 * The effort for a thinking budget: ≤ 1,024 → `low`, ≤ 8,192 → `medium`, else `high` (the
 * values every reasoning model accepts; `xhigh`/`max` only when asked for by name).
 *
 * @example
 * ```ts
 * import { reasoningEffortOf } from "@am/core"
 * reasoningEffortOf(4096) // "medium"
 * ```
 */
export const reasoningEffortOf = (budgetTokens: number): ReasoningEffort =>
  budgetTokens <= 0 ? "none" : budgetTokens <= 1024 ? "low" : budgetTokens <= 8192 ? "medium" : "high"

/**
 * Headers an adapter adds to its upstream call, by provider kind. The gateway forwards an
 * Anthropic client's `anthropic-beta` and `anthropic-version` here; only an `anthropic`
 * adapter sends them.
 */
export const UpstreamHeaders = Schema.Struct({
  anthropic: Schema.optionalKey(Schema.Record(Schema.String, Schema.String))
})
export type UpstreamHeaders = typeof UpstreamHeaders.Type

/**
 * The wire formats a gateway can receive a request in, for same-wire passthrough (see
 * {@link Passthrough}).
 */
export const PassthroughWire = Schema.Literals([
  "openai.chat",
  "openai.responses",
  "openai.embeddings",
  "anthropic.messages"
])
export type PassthroughWire = typeof PassthroughWire.Type

/**
 * The request's own JSON as the client sent it, for an adapter that speaks the same wire: it
 * sends `body` with only the model substituted (and the key in its auth header), so fields the
 * gateway does not know survive. `messages` is what the body's messages became in the core
 * request; when the request's `messages` no longer equal it (a guard redacted them, mitigation
 * rewrote them), the adapter sends its own translation of them in the body instead. The body is
 * `Redacted`: it holds the unredacted prompt and must never be logged or stored.
 *
 * @example
 * ```ts
 * import type { Passthrough } from "@am/core"
 * import { Redacted } from "effect"
 * const carrier: Passthrough = { wire: "openai.chat", body: Redacted.make('{"model":"gpt-4o","messages":[]}') }
 * ```
 */
export const Passthrough = Schema.Struct({
  wire: PassthroughWire,
  body: Schema.Redacted(Schema.String, { disallowJsonEncode: true }),
  messages: Schema.optionalKey(Schema.Array(ChatMessage))
})
export type Passthrough = typeof Passthrough.Type

/** The workspace contract of seed `001_…` §2: who the call is for and which pipeline step made it. */
export const RequestMetadata = Schema.Struct({
  workspaceId: Schema.optionalKey(Schema.NonEmptyString),
  pipelineRunId: Schema.optionalKey(Schema.NonEmptyString),
  stage: Schema.optionalKey(Schema.NonEmptyString)
})
export type RequestMetadata = typeof RequestMetadata.Type

/**
 * The request fields a provider kind may be unable to honour, by name: each adapter says which of
 * them a request asks for that it cannot send (its `unhonouredFields`), so a host rejects the
 * request or reports the field as dropped instead of losing it in silence.
 *
 * @example
 * ```ts
 * import type { CrossWireField } from "@am/core"
 * const field: CrossWireField = "parallelToolCalls"
 * ```
 */
export const CrossWireField = Schema.Literals([
  "toolStrict",
  "parallelToolCalls",
  "user",
  "safetyIdentifier",
  "clientMetadata",
  "serviceTier",
  "logprobs",
  "topLogprobs",
  "imageDetail",
  "responseFormatDescription",
  "temperature",
  "topP"
])
export type CrossWireField = typeof CrossWireField.Type

/**
 * The {@link CrossWireField}s a request actually asks for, in declaration order. Values that ask
 * for nothing are not listed: a tool's `strict: false`, `parallelToolCalls: true`, `logprobs:
 * false`, `topLogprobs: 0`, `serviceTier: "auto"`, an image `detail: "auto"`, empty metadata.
 *
 * @example
 * ```ts
 * import { crossWireFieldsOf } from "@am/core"
 * crossWireFieldsOf({ messages: [{ role: "user", content: "Hi" }], parallelToolCalls: false, user: "u-1" })
 * // ["parallelToolCalls", "user"]
 * ```
 */
export const crossWireFieldsOf = (request: CompletionRequestInput): ReadonlyArray<CrossWireField> => {
  const asked: Record<CrossWireField, boolean> = {
    toolStrict: (request.tools ?? []).some((t) => t.strict === true),
    parallelToolCalls: request.parallelToolCalls === false,
    user: request.user !== undefined,
    safetyIdentifier: request.safetyIdentifier !== undefined,
    clientMetadata: request.clientMetadata !== undefined && Object.keys(request.clientMetadata).length > 0,
    serviceTier: request.serviceTier !== undefined && request.serviceTier !== "auto",
    logprobs: request.logprobs === true,
    topLogprobs: (request.topLogprobs ?? 0) > 0,
    imageDetail: request.messages.some(
      (m) =>
        (m.role === "user" || m.role === "tool") &&
        typeof m.content !== "string" &&
        m.content.some((p) => p.type === "image" && p.detail !== undefined && p.detail !== "auto")
    ),
    responseFormatDescription:
      request.responseFormat?.type === "json_schema" && request.responseFormat.description !== undefined,
    temperature: request.temperature !== undefined,
    topP: request.topP !== undefined
  }
  return CrossWireField.literals.filter((f) => asked[f])
}

/** What {@link crossWireFieldsOf} reads of a request. */
type CompletionRequestInput = Pick<
  CompletionRequest,
  | "messages"
  | "tools"
  | "parallelToolCalls"
  | "user"
  | "safetyIdentifier"
  | "clientMetadata"
  | "serviceTier"
  | "logprobs"
  | "topLogprobs"
  | "responseFormat"
  | "temperature"
  | "topP"
>

const Probability = Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 }))
const PositiveInt = Schema.Int.check(Schema.isGreaterThan(0))

export const CompletionRequest = Schema.Struct({
  /** A configured route name; the engine uses `default` when neither route nor model is given. */
  route: Schema.optionalKey(Schema.NonEmptyString),
  /** A concrete model name (or a route name, as the gateway's `model` field allows). */
  model: Schema.optionalKey(Schema.NonEmptyString),
  messages: Schema.NonEmptyArray(ChatMessage),
  temperature: Schema.optionalKey(Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 2 }))),
  topP: Schema.optionalKey(Probability),
  maxTokens: Schema.optionalKey(PositiveInt),
  stop: Schema.optionalKey(Schema.Array(Schema.String)),
  seed: Schema.optionalKey(Schema.Int),
  presencePenalty: Schema.optionalKey(Schema.Finite.check(Schema.isBetween({ minimum: -2, maximum: 2 }))),
  frequencyPenalty: Schema.optionalKey(Schema.Finite.check(Schema.isBetween({ minimum: -2, maximum: 2 }))),
  tools: Schema.optionalKey(Schema.Array(ToolDefinition)),
  toolChoice: Schema.optionalKey(ToolChoice),
  responseFormat: Schema.optionalKey(ResponseFormat),
  /** `false` asks for at most one tool call per turn (OpenAI `parallel_tool_calls`, Anthropic `disable_parallel_tool_use`). */
  parallelToolCalls: Schema.optionalKey(Schema.Boolean),
  /** The end user the call is for, as the client names them (OpenAI `user`, Anthropic `metadata.user_id`). */
  user: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(256))),
  /** A stable hash of the end user for abuse detection (OpenAI `safety_identifier`). */
  safetyIdentifier: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(256))),
  /** The client's own key/value tags for the upstream (OpenAI `metadata`; not the workspace `metadata`). */
  clientMetadata: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
  /** The processing tier asked for (OpenAI `service_tier`: `auto`, `default`, `flex`, `scale`, `priority`). */
  serviceTier: Schema.optionalKey(Schema.NonEmptyString),
  /** Return the log probability of each output token (OpenAI `logprobs`, Gemini `responseLogprobs`). */
  logprobs: Schema.optionalKey(Schema.Boolean),
  /** How many most likely alternatives to return per token, 0–20 (OpenAI `top_logprobs`, Gemini `logprobs`). */
  topLogprobs: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 20 }))),
  /** How much to reason before answering (see {@link Reasoning}). */
  reasoning: Schema.optionalKey(Reasoning),
  /** Headers for upstream calls of one provider kind (see {@link UpstreamHeaders}). */
  upstreamHeaders: Schema.optionalKey(UpstreamHeaders),
  metadata: Schema.optionalKey(RequestMetadata),
  idempotencyKey: Schema.optionalKey(Schema.NonEmptyString.check(Schema.isMaxLength(256))),
  /** The whole request's time budget in milliseconds (all attempts, backoff and mitigation included). */
  deadlineMs: Schema.optionalKey(PositiveInt),
  /** The client's own request body, for adapters that speak its wire (see {@link Passthrough}). */
  passthrough: Schema.optionalKey(Passthrough),
  /**
   * The response cache, for a route that has one: `use` (default) answers a repeated request from
   * its entry, `off` neither reads nor stores, `refresh` calls and stores the new answer.
   */
  cache: Schema.optionalKey(Schema.Literals(["use", "off", "refresh"]))
})
export type CompletionRequest = typeof CompletionRequest.Type
export type CompletionRequestEncoded = typeof CompletionRequest.Encoded
