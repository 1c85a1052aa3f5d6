/**
 * What a `/v1/messages` body asks for that a cross-wire candidate (OpenAI, Gemini) may not
 * honour — the Messages counterpart of the chat route's `chatFieldAsks`: top-level fields the
 * translation does not carry at all (`top_k`, `container`, `mcp_servers`, a made-up field, …),
 * and the ones it carries as cross-wire fields each provider's table decides on: `temperature`,
 * `top_p`, `metadata.user_id` (`user`), a `service_tier` other than `auto`, a tool's `strict`,
 * `tool_choice.disable_parallel_tool_use`. An `anthropic` candidate receives the client's own
 * JSON and honours them all. Nulls and Anthropic's defaults ask for nothing.
 */
import type { FieldAsk } from "../../DroppedFields.ts"

/** Top-level fields the Messages translation carries to every provider kind. */
const TRANSLATED = new Set([
  "model",
  "messages",
  "system",
  "tools",
  "tool_choice",
  "thinking",
  "output_config",
  "max_tokens",
  "stream",
  "stop_sequences"
])

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** The field asks of a (parsed, schema-valid) Messages body, in body order. */
export const messagesFieldAsks = (body: Readonly<Record<string, unknown>>): ReadonlyArray<FieldAsk> => {
  const out: Array<FieldAsk> = []
  for (const [key, value] of Object.entries(body)) {
    if (TRANSLATED.has(key) || value === null || value === undefined) continue
    switch (key) {
      case "temperature":
        out.push({ path: key, field: "temperature" })
        break
      case "top_p":
        out.push({ path: key, field: "topP" })
        break
      case "service_tier":
        if (value !== "auto") out.push({ path: key, field: "serviceTier" })
        break
      case "metadata":
        if (!isRecord(value)) break
        for (const [k, v] of Object.entries(value)) {
          if (v === null || v === undefined) continue
          out.push(k === "user_id" ? { path: "metadata.user_id", field: "user" } : { path: `metadata.${k}` })
        }
        break
      default:
        out.push({ path: key })
    }
  }
  const tools = body.tools
  if (Array.isArray(tools)) {
    tools.forEach((tool, i) => {
      if (isRecord(tool) && tool.strict === true) out.push({ path: `tools.${i}.strict`, field: "toolStrict" })
    })
  }
  const choice = body.tool_choice
  if (isRecord(choice) && choice.disable_parallel_tool_use === true) {
    out.push({ path: "tool_choice.disable_parallel_tool_use", field: "parallelToolCalls" })
  }
  return out
}
