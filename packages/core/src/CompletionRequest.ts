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
  parameters: Schema.optionalKey(Schema.Record(Schema.String, Schema.Unknown))
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
    strict: Schema.optionalKey(Schema.Boolean)
  })
])
export type ResponseFormat = typeof ResponseFormat.Type

/** The workspace contract of seed `001_…` §2: who the call is for and which pipeline step made it. */
export const RequestMetadata = Schema.Struct({
  workspaceId: Schema.optionalKey(Schema.NonEmptyString),
  pipelineRunId: Schema.optionalKey(Schema.NonEmptyString),
  stage: Schema.optionalKey(Schema.NonEmptyString)
})
export type RequestMetadata = typeof RequestMetadata.Type

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
  metadata: Schema.optionalKey(RequestMetadata),
  idempotencyKey: Schema.optionalKey(Schema.NonEmptyString.check(Schema.isMaxLength(256))),
  /** The whole request's time budget in milliseconds (all attempts, backoff and mitigation included). */
  deadlineMs: Schema.optionalKey(PositiveInt)
})
export type CompletionRequest = typeof CompletionRequest.Type
export type CompletionRequestEncoded = typeof CompletionRequest.Encoded
