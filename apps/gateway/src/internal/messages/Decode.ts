/**
 * Decoding a Messages API body: what the translation has no place for (a server tool, a content
 * block of another type) becomes an ask for the `anthropic` candidate or a 400 naming it, then the schema is decoded,
 * naming the first bad field (its dotted path) as `/v1/chat/completions` does.
 */
import { schemaIssuePath } from "@am/core"
import { Effect, Schema } from "effect"
import type { FieldAsk } from "../../DroppedFields.ts"
import { GatewayError } from "../../GatewayError.ts"

const USER_BLOCKS = new Set(["text", "image", "tool_result"])
const ASSISTANT_BLOCKS = new Set(["text", "tool_use", "thinking", "redacted_thinking"])
const TOOL_RESULT_BLOCKS = new Set(["text", "image"])

const typeOf = (v: unknown): unknown =>
  v !== null && typeof v === "object" ? (v as { readonly type?: unknown }).type : undefined

const unsupportedBlock = (field: string, type: unknown, inspected: boolean) =>
  GatewayError.invalid(
    inspected
      ? `${field}: content block type ${JSON.stringify(type)} cannot be inspected by the input guards (they read text, image, tool_use, tool_result, thinking and redacted_thinking blocks), so it is not sent`
      : `${field}: content block type ${JSON.stringify(type)} can reach only an Anthropic upstream in the client's own messages, and these carry another provider's reasoning (it serves text, image, tool_use, tool_result, thinking and redacted_thinking blocks everywhere)`,
    field
  )

/**
 * What a Messages body holds that the translation has no place for — content blocks of other
 * types (`document`, `search_result`, a server tool's `server_tool_use` / `web_search_tool_result`,
 * …) and server tools (`web_search_…`, `code_execution_…`) — as asks by path, with the body the
 * gateway decodes (those left out). A server tool is always an ask (an `anthropic` candidate gets
 * the client's JSON, a translated one refuses or reports it). A block is one only when the client's
 * own messages reach the `anthropic` candidate (`verbatim`): with input guards on they cannot read
 * it, and beside another provider's reasoning the messages are translated — then it is a 400.
 *
 * @example
 * ```ts
 * import { messagesContentAsks } from "./Decode.ts"
 * messagesContentAsks({ model: "m", tools: [{ type: "web_search_20250305", name: "web_search" }], messages: [] }, { verbatim: true })
 * // { asks: [{ path: "tools.0" }], known: { model: "m", tools: [], messages: [] } }
 * ```
 */
export const messagesContentAsks = (
  json: Readonly<Record<string, unknown>>,
  options: { readonly verbatim: boolean; readonly inspected?: boolean }
): { readonly asks: ReadonlyArray<FieldAsk>; readonly known: Record<string, unknown> } | GatewayError => {
  const asks: Array<FieldAsk> = []
  const known: Record<string, unknown> = { ...json }
  const messages = json["messages"]
  if (Array.isArray(messages)) {
    const kept: Array<unknown> = []
    for (const [i, m] of messages.entries()) {
      const content = (m as { readonly content?: unknown } | null)?.content
      if (!Array.isArray(content)) {
        kept.push(m)
        continue
      }
      const allowed = (m as { readonly role?: unknown }).role === "assistant" ? ASSISTANT_BLOCKS : USER_BLOCKS
      const blocks: Array<unknown> = []
      for (const [j, block] of content.entries()) {
        const type = typeOf(block)
        if (typeof type === "string" && !allowed.has(type)) {
          if (!options.verbatim)
            return unsupportedBlock(`messages.${i}.content.${j}.type`, type, options.inspected === true)
          asks.push({ path: `messages.${i}.content.${j}` })
          continue
        }
        const inner = (block as { readonly content?: unknown } | null)?.content
        if (type === "tool_result" && Array.isArray(inner)) {
          const parts: Array<unknown> = []
          for (const [k, part] of inner.entries()) {
            const t = typeOf(part)
            if (typeof t === "string" && !TOOL_RESULT_BLOCKS.has(t)) {
              if (!options.verbatim)
                return unsupportedBlock(`messages.${i}.content.${j}.content.${k}.type`, t, options.inspected === true)
              asks.push({ path: `messages.${i}.content.${j}.content.${k}` })
              continue
            }
            parts.push(part)
          }
          blocks.push(parts.length === inner.length ? block : { ...(block as object), content: parts })
          continue
        }
        blocks.push(block)
      }
      // A turn of nothing but such blocks keeps an empty text: the translation still has its turn.
      kept.push(
        blocks.length === content.length
          ? m
          : { ...(m as object), content: blocks.length > 0 ? blocks : [{ type: "text", text: "" }] }
      )
    }
    known["messages"] = kept
  }
  const tools = json["tools"]
  if (Array.isArray(tools)) {
    const client: Array<unknown> = []
    for (const [i, tool] of tools.entries()) {
      const type = typeOf(tool)
      if (type !== undefined && type !== null && type !== "custom") asks.push({ path: `tools.${i}` })
      else client.push(tool)
    }
    known["tools"] = client
  }
  return { asks, known }
}

/**
 * Whether the messages carry a thinking block without a signature — how the gateway renders
 * another provider's reasoning. The `anthropic` adapter translates such messages (Anthropic
 * rejects the block), so they are not the client's own on the wire.
 */
export const rendersForeignReasoning = (json: Readonly<Record<string, unknown>>): boolean => {
  const messages = json["messages"]
  return (
    Array.isArray(messages) &&
    messages.some(
      (m) =>
        Array.isArray(m?.content) &&
        m.content.some(
          (b: unknown) =>
            typeOf(b) === "thinking" &&
            (typeof (b as { signature?: unknown }).signature !== "string" ||
              (b as { signature: string }).signature === "")
        )
    )
  )
}

/**
 * A decoder for a Messages API body schema, failing with `GatewayError(InvalidRequest)` naming the
 * field. With `verbatim`, what `messagesContentAsks` makes asks is left out of what is decoded;
 * without, a content block the translation has no place for is a 400 naming it.
 */
export const decodeWith = <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S) => {
  const decode = Schema.decodeUnknownEffect(schema)
  return (
    json: unknown,
    options: { readonly verbatim: boolean; readonly inspected?: boolean } = { verbatim: false }
  ): Effect.Effect<S["Type"], GatewayError> => {
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
      return Effect.fail(GatewayError.invalid("the request body must be a JSON object"))
    }
    const plan = messagesContentAsks(json as Record<string, unknown>, options)
    if (plan instanceof GatewayError) return Effect.fail(plan)
    return decode(plan.known, { errors: "first" }).pipe(
      Effect.mapError((e) => {
        const param = schemaIssuePath(e)
        const first = e.message.split("\n")[0] ?? e.message
        return param !== undefined
          ? GatewayError.invalid(`invalid field ${param}: ${first}`, param)
          : GatewayError.invalid(`invalid request body: ${first}`)
      })
    )
  }
}
