/**
 * Responses API input items → the engine's chat messages. Messages (every role, as text,
 * `input_text`/`output_text`/`refusal` and `input_image` parts), `function_call` and
 * `function_call_output` items are translated; consecutive assistant messages and function calls
 * become one assistant turn with its tool calls (the shape Anthropic and Gemini need).
 * What the engine cannot represent is, for a same-wire candidate given the client's own input, an
 * ask (`InputAsks`) and otherwise a 400 naming the item's field — never dropped in silence.
 */
import type { AssistantMessage, ChatMessage, ContentPart, ReasoningPart, ToolCall } from "@am/core"
import { schemaIssuePath } from "@am/core"
import { Effect, Schema } from "effect"
import type { FieldAsk } from "../../DroppedFields.ts"
import { GatewayError } from "../../GatewayError.ts"
import { unsealReasoning } from "./ReasoningSeal.ts"

const Nullable = <S extends Schema.Top>(s: S) => Schema.optionalKey(Schema.NullOr(s))
const ItemStatus = Nullable(Schema.Literals(["in_progress", "completed", "incomplete"]))

const InputText = Schema.Struct({ type: Schema.Literal("input_text"), text: Schema.String })
const OutputText = Schema.Struct({
  type: Schema.Literal("output_text"),
  text: Schema.String,
  // Citations and token logprobs an earlier answer carried: output metadata, not instructions.
  annotations: Schema.optionalKey(Schema.Array(Schema.Unknown)),
  logprobs: Nullable(Schema.Array(Schema.Unknown))
})
const Refusal = Schema.Struct({ type: Schema.Literal("refusal"), refusal: Schema.String })
const InputImage = Schema.Struct({
  type: Schema.Literal("input_image"),
  image_url: Nullable(Schema.String),
  file_id: Nullable(Schema.String),
  detail: Nullable(Schema.Literals(["low", "high", "auto", "original"]))
})

const Message = Schema.Struct({
  type: Schema.optionalKey(Schema.Literal("message")),
  role: Schema.Literals(["user", "assistant", "system", "developer"]),
  content: Schema.Union([Schema.String, Schema.Array(Schema.Unknown)]),
  id: Nullable(Schema.String),
  status: ItemStatus,
  phase: Nullable(Schema.Literals(["commentary", "final_answer"]))
})

const FunctionCall = Schema.Struct({
  type: Schema.Literal("function_call"),
  call_id: Schema.NonEmptyString,
  name: Schema.NonEmptyString,
  arguments: Schema.String,
  id: Nullable(Schema.String),
  status: ItemStatus
})

const FunctionCallOutput = Schema.Struct({
  type: Schema.Literal("function_call_output"),
  call_id: Schema.NonEmptyString,
  output: Schema.Union([Schema.String, Schema.Array(Schema.Unknown)]),
  id: Nullable(Schema.String),
  status: ItemStatus
})

const Reasoning = Schema.Struct({
  type: Schema.Literal("reasoning"),
  id: Nullable(Schema.String),
  summary: Schema.Array(Schema.Struct({ type: Schema.Literal("summary_text"), text: Schema.String })),
  content: Nullable(Schema.Array(Schema.Struct({ type: Schema.Literal("reasoning_text"), text: Schema.String }))),
  encrypted_content: Nullable(Schema.String),
  status: ItemStatus
})

const ItemReference = Schema.Struct({ type: Schema.Literal("item_reference"), id: Schema.NonEmptyString })

const invalidAt = (path: string, detail: string) => GatewayError.invalid(`invalid field ${path}: ${detail}`, path)

/** Decodes `value` strictly (unknown fields refused), naming the failing field under `path`. */
export const decodeAt = <S extends Schema.Top & { readonly DecodingServices: never }>(
  schema: S,
  value: unknown,
  path: string
): Effect.Effect<S["Type"], GatewayError> =>
  Schema.decodeUnknownEffect(schema)(value, { errors: "first", onExcessProperty: "error" }).pipe(
    Effect.mapError((e) => {
      const inner = schemaIssuePath(e)
      const at = inner === undefined ? path : path === "" ? inner : `${path}.${inner}`
      const first = e.message.split("\n")[0] ?? e.message
      return first.startsWith("Expected no excess property")
        ? GatewayError.invalid(`unsupported parameter: ${at} (the gateway cannot honour it)`, at)
        : at === ""
          ? GatewayError.invalid(`invalid request body: ${first}`)
          : invalidAt(at, first)
    })
  )

const typeOf = (u: unknown): unknown =>
  typeof u === "object" && u !== null && !Array.isArray(u) ? (u as { type?: unknown }).type : undefined

/**
 * How input the translation cannot carry is met. With `verbatim` (the client's items reach a
 * same-wire candidate as they are: no input guard may rewrite them) it becomes an ask in `asks` —
 * honoured there, refused or reported for translated candidates — and the translation leaves it
 * out; without, it is a 400 naming it. Asks of a cross-wire field (`imageDetail`) are collected either way.
 */
export interface InputAsks {
  readonly verbatim: boolean
  readonly asks: Array<FieldAsk>
  /** Input guards read every request: what they cannot read is refused as such (never sent unread). */
  readonly inspected?: boolean
}

/**
 * Decodes an item or part: strictly, or — with verbatim input — its known keys, each other key
 * with a value an ask.
 */
const decodeKnown = <S extends Schema.Top & { readonly DecodingServices: never; readonly fields: object }>(
  schema: S,
  value: unknown,
  path: string,
  input: InputAsks | undefined
): Effect.Effect<S["Type"], GatewayError> => {
  if (input?.verbatim !== true || typeof value !== "object" || value === null) return decodeAt(schema, value, path)
  const known = new Set(Object.keys(schema.fields))
  const entries = Object.entries(value as Record<string, unknown>)
  for (const [k, v] of entries)
    if (!known.has(k) && v !== undefined && v !== null) input.asks.push({ path: `${path}.${k}` })
  return decodeAt(schema, Object.fromEntries(entries.filter(([k]) => known.has(k))), path)
}

/** A verbatim-only ask (`undefined`: skip what it names), else the refusal. */
const verbatimOnly = (
  input: InputAsks | undefined,
  path: string,
  refusal: GatewayError,
  /** Content the input guards would have to read (a part, an item) — not a setting such as a phase. */
  unreadable = true
): Effect.Effect<undefined, GatewayError> => {
  if (input?.inspected === true && unreadable)
    return Effect.fail(
      GatewayError.invalid(
        `${path}: the input guards cannot read it (they read text, images, function calls and their outputs), so it is not sent`,
        path
      )
    )
  if (input?.verbatim !== true) return Effect.fail(refusal)
  input.asks.push({ path })
  return Effect.succeed(undefined)
}

/** An input item with where it sits in the request (for error messages). */
export interface PlacedItem {
  readonly item: unknown
  readonly path: string
}

/**
 * Replaces `item_reference` items by the stored items they name (`lookup` answers `undefined`
 * for an unknown id: a 400 naming the reference).
 */
export const resolveReferences = (
  items: ReadonlyArray<PlacedItem>,
  lookup: (id: string) => Effect.Effect<unknown>
): Effect.Effect<ReadonlyArray<PlacedItem>, GatewayError> =>
  Effect.forEach(items, (placed) =>
    typeOf(placed.item) !== "item_reference"
      ? Effect.succeed(placed)
      : decodeAt(ItemReference, placed.item, placed.path).pipe(
          Effect.flatMap((ref) => lookup(ref.id)),
          Effect.flatMap((found) =>
            found === undefined
              ? Effect.fail(
                  GatewayError.invalid(
                    `item_reference ${placed.path}.id names no item stored for this workspace`,
                    `${placed.path}.id`
                  )
                )
              : Effect.succeed({ item: found, path: placed.path })
          )
        )
  )

const part = (
  p: unknown,
  path: string,
  role: string,
  input: InputAsks | undefined
): Effect.Effect<ContentPart | { refusal: string } | undefined, GatewayError> => {
  switch (typeOf(p)) {
    case "input_text":
      return Effect.map(decodeKnown(InputText, p, path, input), (t) => ({ type: "text" as const, text: t.text }))
    case "output_text":
      return Effect.map(decodeKnown(OutputText, p, path, input), (t) => ({ type: "text" as const, text: t.text }))
    case "refusal":
      return role === "assistant"
        ? Effect.map(decodeKnown(Refusal, p, path, input), (r) => ({ refusal: r.refusal }))
        : Effect.fail(invalidAt(`${path}.type`, "a refusal part belongs to an assistant message"))
    case "input_image":
      return Effect.flatMap(decodeKnown(InputImage, p, path, input), (img) => {
        if (img.file_id !== undefined && img.file_id !== null)
          return verbatimOnly(
            input,
            `${path}.file_id`,
            GatewayError.invalid(
              `${path}.file_id: a file id is the provider's own; with input guards on, send image_url`,
              `${path}.file_id`
            )
          )
        if (img.image_url === undefined || img.image_url === null || img.image_url.length === 0)
          return Effect.fail(invalidAt(`${path}.image_url`, "an input_image needs an image_url"))
        const detail = img.detail ?? undefined
        if (detail === "low" || detail === "high") {
          input?.asks.push({ path: `${path}.detail`, field: "imageDetail" })
          return Effect.succeed({ type: "image" as const, url: img.image_url, detail })
        }
        if (detail === "original")
          return Effect.map(
            verbatimOnly(
              input,
              `${path}.detail`,
              GatewayError.invalid(
                `${path}.detail: "original" reaches only an OpenAI upstream in the client's own input, which input guards may rewrite`,
                `${path}.detail`
              ),
              false
            ),
            () => ({ type: "image" as const, url: img.image_url! })
          )
        return Effect.succeed({ type: "image" as const, url: img.image_url })
      })
    default:
      // input_file, input_audio, a future part type: the same wire only.
      return verbatimOnly(
        input,
        path,
        GatewayError.invalid(
          `${path}.type: content part type ${JSON.stringify(typeOf(p))} can reach only an OpenAI upstream, in the client's own input, which input guards may rewrite`,
          `${path}.type`
        )
      )
  }
}

const parts = (content: ReadonlyArray<unknown>, path: string, role: string, input: InputAsks | undefined) =>
  Effect.map(
    Effect.forEach(content, (p, i) => part(p, `${path}.${i}`, role, input)),
    (ps) => ps.filter((p): p is ContentPart | { refusal: string } => p !== undefined)
  )

const isRefusal = (p: ContentPart | { refusal: string }): p is { refusal: string } => "refusal" in p
const textOnly = (ps: ReadonlyArray<ContentPart>) => ps.every((p) => p.type === "text")

type Turn = {
  content: Array<ContentPart>
  refusal: string | undefined
  toolCalls: Array<ToolCall>
  reasoning: Array<ReasoningPart>
}

/**
 * The chat messages for a list of input items (references already resolved). A `function_call`
 * or assistant message extends the current assistant turn; anything else closes it.
 */
export const toMessages: (
  items: ReadonlyArray<PlacedItem>,
  input?: InputAsks
) => Effect.Effect<Array<ChatMessage>, GatewayError> = Effect.fnUntraced(function* (
  items: ReadonlyArray<PlacedItem>,
  input?: InputAsks
) {
  const out: Array<ChatMessage> = []
  let turn: Turn | undefined
  const flush = () => {
    if (turn === undefined) return
    const t = turn
    turn = undefined
    const text =
      t.content.length === 0
        ? null
        : textOnly(t.content)
          ? t.content.map((p) => (p as { text: string }).text).join("")
          : t.content
    out.push({
      role: "assistant",
      content: text,
      ...(t.toolCalls.length > 0 ? { toolCalls: t.toolCalls } : {}),
      ...(t.refusal !== undefined ? { refusal: t.refusal } : {}),
      ...(t.reasoning.length > 0 ? { reasoning: t.reasoning } : {})
    } satisfies AssistantMessage)
  }
  const openTurn = (): Turn => {
    turn ??= { content: [], refusal: undefined, toolCalls: [], reasoning: [] }
    return turn
  }
  for (const { item, path } of items) {
    const type = typeOf(item)
    if (type === "function_call") {
      const call = yield* decodeKnown(FunctionCall, item, path, input)
      openTurn().toolCalls.push({ id: call.call_id, name: call.name, arguments: call.arguments })
      continue
    }
    if (type === "reasoning") {
      // Reasoning opens an assistant turn (it comes before that turn's answer and calls); its
      // sealed encrypted_content carries the provider's signature back.
      const r = yield* decodeKnown(Reasoning, item, path, input)
      if (turn !== undefined && (turn.toolCalls.length > 0 || turn.content.length > 0)) flush()
      const text = [...(r.content ?? []), ...r.summary].map((p) => p.text).join("")
      openTurn().reasoning.push(unsealReasoning(text, r.encrypted_content))
      continue
    }
    if (type === "function_call_output") {
      flush()
      const result = yield* decodeKnown(FunctionCallOutput, item, path, input)
      const content =
        typeof result.output === "string" ? result.output : yield* toolOutput(result.output, `${path}.output`, input)
      out.push({ role: "tool", toolCallId: result.call_id, content })
      continue
    }
    if (type !== undefined && type !== "message") {
      // A custom or built-in tool call and its output, a future item: the same wire only.
      yield* verbatimOnly(
        input,
        path,
        GatewayError.invalid(
          `${path}.type: input item type ${JSON.stringify(type)} can reach only an OpenAI upstream, in the client's own input, which input guards may rewrite (messages, reasoning, function_call, function_call_output and item_reference are translated for any provider)`,
          `${path}.type`
        )
      )
      continue
    }
    const m = yield* decodeKnown(Message, item, path, input)
    if (m.phase !== undefined && m.phase !== null)
      yield* verbatimOnly(
        input,
        `${path}.phase`,
        GatewayError.invalid(
          `${path}.phase: a message phase reaches only an OpenAI upstream, in the client's own input, which input guards may rewrite`,
          `${path}.phase`
        ),
        false
      )
    const content =
      typeof m.content === "string"
        ? [{ type: "text" as const, text: m.content }]
        : yield* parts(m.content, `${path}.content`, m.role, input)
    if (m.role === "assistant") {
      if (turn !== undefined && turn.toolCalls.length > 0) flush()
      const t = openTurn()
      for (const p of content) {
        if (isRefusal(p)) t.refusal = (t.refusal ?? "") + p.refusal
        else t.content.push(p)
      }
      continue
    }
    flush()
    const plain = content.filter((p): p is ContentPart => !isRefusal(p))
    if (m.role === "user") {
      // A turn of nothing but same-wire parts (a file) keeps an empty text: the translation still has its turn.
      out.push({ role: "user", content: typeof m.content === "string" ? m.content : plain.length > 0 ? plain : "" })
      continue
    }
    // System and developer messages are text only in the engine.
    const image = plain.findIndex((p) => p.type !== "text")
    if (image !== -1)
      return yield* GatewayError.invalid(
        `${path}.content.${image}: ${m.role} messages take text only`,
        `${path}.content.${image}`
      )
    out.push({ role: "system", content: plain.map((p) => (p as { text: string }).text).join("") })
  }
  flush()
  return out
})

const toolOutput = (output: ReadonlyArray<unknown>, path: string, input: InputAsks | undefined) =>
  Effect.map(parts(output, path, "tool", input), (ps) => ps.filter((p): p is ContentPart => !isRefusal(p)))
