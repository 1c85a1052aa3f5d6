/**
 * OpenAI's Responses API wire format at the gateway's edge: the `POST /v1/responses` body as a
 * Schema, the parameters no provider can be given through the gateway refused with a 400 naming
 * them (what only a same-wire candidate can honour is an ask, see `ResponsesFieldAsks`), the translation into the
 * engine's `CompletionRequest`, and the `response` object built from the engine's answer.
 *
 * @example
 * ```ts
 * import { decodeResponsesBody } from "@am/gateway"
 * import { Effect } from "effect"
 * const body = Effect.runSync(decodeResponsesBody({ model: "default", input: "Say hi" }))
 * ```
 * @since 0.1.0
 */
import type { ChatMessage, CompletionRequest } from "@am/core"
import { Effect, Schema } from "effect"
import { GatewayError } from "./GatewayError.ts"
import { decodeAt } from "./internal/responses/ResponsesInput.ts"
import type { CallerContext } from "./OpenAIWire.ts"

export * from "./internal/responses/ResponseObject.ts"

const Nullable = <S extends Schema.Top>(s: S) => Schema.optionalKey(Schema.NullOr(s))
const Anything = Schema.optionalKey(Schema.Unknown)

const FunctionTool = Schema.Struct({
  type: Schema.Literal("function"),
  name: Schema.NonEmptyString,
  description: Nullable(Schema.String),
  parameters: Nullable(Schema.Record(Schema.String, Schema.Unknown)),
  strict: Nullable(Schema.Boolean)
})
export type ResponsesFunctionTool = typeof FunctionTool.Type

const ToolChoice = Schema.Union([
  Schema.Literals(["auto", "none", "required"]),
  Schema.Struct({ type: Schema.Literal("function"), name: Schema.NonEmptyString })
])

const PlainFormat = Schema.Struct({ type: Schema.Literals(["text", "json_object"]) })
const JsonSchemaFormat = Schema.Struct({
  type: Schema.Literal("json_schema"),
  name: Schema.NonEmptyString,
  schema: Schema.Record(Schema.String, Schema.Unknown),
  strict: Nullable(Schema.Boolean),
  description: Schema.optionalKey(Schema.String)
})
const TextFormat = Schema.Union([PlainFormat, JsonSchemaFormat])
export type ResponsesTextFormat = typeof TextFormat.Type

const Metadata = Schema.Record(
  Schema.String.check(Schema.isMaxLength(64)),
  Schema.String.check(Schema.isMaxLength(512))
)

/**
 * The request body of `POST /v1/responses`: every parameter of the `openai` package's
 * `ResponseCreateParamsBase`. `input` items and `tools` are checked one by one afterwards, so a
 * bad item is named by its index.
 */
export const ResponsesBody = Schema.Struct({
  model: Schema.NonEmptyString,
  input: Schema.optionalKey(Schema.Union([Schema.String, Schema.Array(Schema.Unknown)])),
  instructions: Nullable(Schema.String),
  tools: Nullable(Schema.Array(Schema.Unknown)),
  tool_choice: Nullable(Schema.Unknown),
  text: Nullable(
    Schema.Struct({
      format: Nullable(Schema.Unknown),
      verbosity: Nullable(Schema.Literals(["low", "medium", "high"]))
    })
  ),
  max_output_tokens: Nullable(Schema.Int.check(Schema.isGreaterThan(0))),
  temperature: Nullable(Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 2 }))),
  top_p: Nullable(Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 }))),
  metadata: Nullable(Metadata),
  previous_response_id: Nullable(Schema.NonEmptyString),
  store: Nullable(Schema.Boolean),
  stream: Nullable(Schema.Boolean),
  stream_options: Nullable(Schema.Struct({ include_obfuscation: Nullable(Schema.Boolean) })),
  parallel_tool_calls: Nullable(Schema.Boolean),
  include: Nullable(Schema.Array(Schema.String)),
  reasoning: Nullable(
    Schema.Struct({
      effort: Nullable(Schema.Literals(["none", "minimal", "low", "medium", "high", "xhigh", "max"])),
      summary: Nullable(Schema.String),
      generate_summary: Nullable(Schema.String)
    })
  ),
  service_tier: Nullable(Schema.String),
  truncation: Nullable(Schema.Literals(["auto", "disabled"])),
  top_logprobs: Nullable(Schema.Int),
  max_tool_calls: Nullable(Schema.Int),
  background: Nullable(Schema.Boolean),
  user: Nullable(Schema.String),
  prompt_cache_key: Nullable(Schema.String),
  prompt_cache_retention: Nullable(Schema.String),
  safety_identifier: Nullable(Schema.String),
  conversation: Anything,
  prompt: Anything,
  moderation: Anything,
  context_management: Anything,
  prompt_cache_options: Anything,
  image: Anything,
  access_programs: Anything
})
export type ResponsesBody = typeof ResponsesBody.Type

/** A decoded body with its tools, tool choice and text format checked. */
export interface ResponsesRequest {
  readonly body: ResponsesBody
  readonly tools: ReadonlyArray<ResponsesFunctionTool>
  readonly toolChoice: typeof ToolChoice.Type | undefined
  readonly format: ResponsesTextFormat | undefined
}

const present = (v: unknown) => v !== undefined && v !== null
const typeOf = (u: unknown): unknown =>
  typeof u === "object" && u !== null ? (u as { type?: unknown }).type : undefined

/**
 * Parameters no provider can be given through the gateway, each with the values that need nothing
 * from it (the defaults). Everything else the translation cannot carry (built-in and custom tools,
 * `include`, `top_logprobs`, stored prompts…) reaches a same-wire candidate in the client's own
 * JSON and is an ask a translated candidate refuses or reports (`ResponsesFieldAsks`).
 */
const unsupported: ReadonlyArray<readonly [field: string, refuse: (b: ResponsesBody) => boolean, why: string]> = [
  [
    "background",
    (b) => b.background === true,
    "background responses are not supported (their later state lives at the provider, not in the gateway's store)"
  ],
  [
    "conversation",
    (b) => present(b.conversation),
    "conversations are not supported (they live at one provider account); use previous_response_id"
  ]
]

const refuse = (field: string, why: string) =>
  GatewayError.invalid(`${field} is not supported by the gateway: ${why}`, field)

/** A function tool, decoded; any other tool type (built-in, custom…) is left to the same wire (`undefined`). */
const decodeTool = (tool: unknown, i: number): Effect.Effect<ResponsesFunctionTool | undefined, GatewayError> =>
  typeOf(tool) === "function" ? decodeAt(FunctionTool, tool, `tools.${i}`) : Effect.succeed(undefined)

/** `tool_choice` forms the engine translates: `auto`, `none`, `required`, a function by name. */
export const isTranslatedToolChoice = (choice: unknown): boolean =>
  choice === "auto" || choice === "none" || choice === "required" || typeOf(choice) === "function"

/**
 * Decodes a parsed JSON body, failing with `GatewayError(InvalidRequest)` naming the first bad or
 * unsupported field.
 */
export const decodeResponsesBody: (json: unknown) => Effect.Effect<ResponsesRequest, GatewayError> = Effect.fnUntraced(
  function* (json: unknown) {
    if (typeof json !== "object" || json === null || Array.isArray(json))
      return yield* GatewayError.invalid("the request body must be a JSON object")
    const body = yield* decodeAt(ResponsesBody, json, "")
    for (const [field, test, why] of unsupported) if (test(body)) return yield* refuse(field, why)
    if (body.input === undefined && !present(body.previous_response_id))
      return yield* GatewayError.invalid("input is required (or previous_response_id)", "input")
    const tools = (yield* Effect.forEach(body.tools ?? [], decodeTool)).filter(
      (t): t is ResponsesFunctionTool => t !== undefined
    )
    const choice = body.tool_choice
    // Another form (allowed_tools, a built-in or custom tool…) is an ask: the same wire sends it.
    const toolChoice =
      present(choice) && isTranslatedToolChoice(choice) ? yield* decodeAt(ToolChoice, choice, "tool_choice") : undefined
    const format = present(body.text?.format)
      ? yield* decodeAt(
          typeOf(body.text?.format) === "json_schema" ? JsonSchemaFormat : PlainFormat,
          body.text?.format,
          "text.format"
        )
      : undefined
    return { body, tools, toolChoice, format }
  }
)

/** The engine request for a decoded body and its conversation (`messages` without the instructions). */
export const toResponsesCompletionRequest = (
  request: ResponsesRequest,
  messages: ReadonlyArray<ChatMessage>,
  caller: CallerContext
): unknown => {
  const { body, format, toolChoice } = request
  const opt = <K extends string, V>(k: K, v: V | null | undefined) =>
    (v === undefined || v === null ? {} : { [k]: v }) as { [P in K]?: V }
  const instructions = present(body.instructions) && body.instructions !== "" ? body.instructions : undefined
  return {
    model: body.model,
    messages: [...(instructions !== undefined ? [{ role: "system", content: instructions }] : []), ...messages],
    ...opt("temperature", body.temperature),
    ...opt("topP", body.top_p),
    ...opt("maxTokens", body.max_output_tokens),
    ...(request.tools.length > 0
      ? {
          tools: request.tools.map((t) => ({
            name: t.name,
            ...(present(t.description) ? { description: t.description } : {}),
            ...(present(t.parameters) ? { parameters: t.parameters } : {}),
            ...(typeof t.strict === "boolean" ? { strict: t.strict } : {})
          }))
        }
      : {}),
    ...opt("parallelToolCalls", body.parallel_tool_calls),
    ...opt("user", body.user),
    ...opt("safetyIdentifier", body.safety_identifier),
    ...opt("serviceTier", body.service_tier),
    ...(toolChoice !== undefined
      ? { toolChoice: typeof toolChoice === "string" ? toolChoice : { name: toolChoice.name } }
      : {}),
    ...(format === undefined || format.type === "text"
      ? {}
      : format.type === "json_schema"
        ? {
            responseFormat: {
              type: "json_schema",
              name: format.name,
              schema: format.schema,
              ...(typeof format.strict === "boolean" ? { strict: format.strict } : {}),
              ...(format.description !== undefined ? { description: format.description } : {})
            }
          }
        : { responseFormat: { type: "json_object" } }),
    ...(present(body.reasoning?.effort) ? { reasoning: { effort: body.reasoning?.effort } } : {}),
    metadata: { workspaceId: caller.workspaceId },
    ...opt("idempotencyKey", caller.idempotencyKey),
    ...opt("deadlineMs", caller.deadlineMs)
  } satisfies Partial<Record<keyof CompletionRequest, unknown>>
}
