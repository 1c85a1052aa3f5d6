/**
 * Decoding a Messages API body: refuse by name what the gateway cannot serve on every provider
 * kind (a content block type it has no translation for, a server tool), then decode the schema,
 * naming the first bad field (its dotted path) as `/v1/chat/completions` does.
 */
import { schemaIssuePath } from "@am/core"
import { Effect, Schema } from "effect"
import { GatewayError } from "../../GatewayError.ts"

const USER_BLOCKS = new Set(["text", "image", "tool_result"])
const ASSISTANT_BLOCKS = new Set(["text", "tool_use", "thinking", "redacted_thinking"])
const TOOL_RESULT_BLOCKS = new Set(["text", "image"])

const typeOf = (v: unknown): unknown =>
  v !== null && typeof v === "object" ? (v as { readonly type?: unknown }).type : undefined

const unsupportedBlock = (field: string, type: unknown) =>
  GatewayError.invalid(
    `${field}: content block type ${JSON.stringify(type)} is not supported by the gateway (it serves text, image, tool_use, tool_result, thinking and redacted_thinking blocks)`,
    field
  )

/** The first content block or tool the gateway cannot translate, as an `InvalidRequest` naming it. */
const unsupported = (json: Record<string, unknown>): GatewayError | undefined => {
  const messages = json["messages"]
  if (Array.isArray(messages)) {
    for (const [i, m] of messages.entries()) {
      const content = (m as { readonly content?: unknown } | null)?.content
      if (!Array.isArray(content)) continue
      const allowed = (m as { readonly role?: unknown }).role === "assistant" ? ASSISTANT_BLOCKS : USER_BLOCKS
      for (const [j, block] of content.entries()) {
        const type = typeOf(block)
        if (typeof type === "string" && !allowed.has(type))
          return unsupportedBlock(`messages.${i}.content.${j}.type`, type)
        const inner = (block as { readonly content?: unknown } | null)?.content
        if (type === "tool_result" && Array.isArray(inner)) {
          for (const [k, part] of inner.entries()) {
            const t = typeOf(part)
            if (typeof t === "string" && !TOOL_RESULT_BLOCKS.has(t))
              return unsupportedBlock(`messages.${i}.content.${j}.content.${k}.type`, t)
          }
        }
      }
    }
  }
  const tools = json["tools"]
  if (Array.isArray(tools)) {
    for (const [i, tool] of tools.entries()) {
      const type = typeOf(tool)
      if (type !== undefined && type !== null && type !== "custom") {
        return GatewayError.invalid(
          `tools.${i}.type: server tool ${JSON.stringify(type)} is not supported by the gateway (only client tools with an input_schema)`,
          `tools.${i}.type`
        )
      }
    }
  }
  return undefined
}

/** A decoder for a Messages API body schema, failing with `GatewayError(InvalidRequest)` naming the field. */
export const decodeWith = <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S) => {
  const decode = Schema.decodeUnknownEffect(schema)
  return (json: unknown): Effect.Effect<S["Type"], GatewayError> => {
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
      return Effect.fail(GatewayError.invalid("the request body must be a JSON object"))
    }
    const refused = unsupported(json as Record<string, unknown>)
    if (refused !== undefined) return Effect.fail(refused)
    return decode(json, { errors: "first" }).pipe(
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
