/**
 * What a Chat Completions body asks for that the engine's provider-neutral request cannot carry,
 * and what the gateway does about it. A same-wire candidate (an `openai` / `openai-compatible`
 * provider) receives the client's own JSON, so it honours every field; a cross-wire candidate
 * (Anthropic, Gemini) receives a translation without these fields. Per `server.unsupportedFields`:
 * `reject` (default) answers 400 `invalid_request` naming the first field when the request's
 * route has a cross-wire candidate; `drop-and-report` proceeds and, when a cross-wire candidate
 * answered, lists the fields in `x-am-dropped-fields`. Never dropped in silence.
 *
 * @example
 * ```ts
 * import { untranslatedChatFields } from "@am/gateway"
 * untranslatedChatFields({ model: "m", messages: [], prediction: { type: "content", content: "x" } }) // ["prediction"]
 * ```
 * @since 0.1.0
 */
import type { ProviderKind } from "@am/core"
import { type EngineConfig, stepsOf } from "@am/engine"

/** What to do with a field a cross-wire target cannot honour. */
export type UnsupportedFieldsPolicy = "reject" | "drop-and-report"

/** The header that lists the fields a cross-wire target did not receive. */
export const DROPPED_FIELDS_HEADER = "x-am-dropped-fields"

/** Top-level fields the gateway translates for every provider kind. */
const TRANSLATED = new Set([
  "model",
  "messages",
  "stream",
  "stream_options",
  "temperature",
  "top_p",
  "max_tokens",
  "max_completion_tokens",
  "stop",
  "seed",
  "presence_penalty",
  "frequency_penalty",
  "n",
  "tools",
  "tool_choice",
  "response_format",
  "reasoning_effort"
])

/** Values that ask for nothing: OpenAI's documented defaults of fields the translation omits. */
const DEFAULTS: Readonly<Record<string, unknown>> = {
  logprobs: false,
  parallel_tool_calls: true,
  store: false,
  service_tier: "auto"
}

/** Message fields the translation carries, by role (anything else in a message is dropped cross-wire). */
const MESSAGE_FIELDS: Readonly<Record<string, ReadonlySet<string>>> = {
  system: new Set(["role", "content"]),
  developer: new Set(["role", "content"]),
  user: new Set(["role", "content", "name"]),
  assistant: new Set(["role", "content", "tool_calls", "refusal"]),
  tool: new Set(["role", "content", "tool_call_id"])
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const asksFor = (value: unknown): boolean => value !== null && value !== undefined

/**
 * The dotted paths of the fields of a (parsed, schema-valid) Chat Completions body that the
 * translation to other provider kinds leaves out, in body order: unknown top-level fields,
 * `user`, `tools.N.function.strict` (when true), `messages.N.content.M.image_url.detail` (when
 * not `auto`) and unknown message fields. Nulls and OpenAI's defaults ask for nothing and are
 * not listed.
 */
export const untranslatedChatFields = (body: Readonly<Record<string, unknown>>): ReadonlyArray<string> => {
  const out: Array<string> = []
  for (const [key, value] of Object.entries(body)) {
    if (TRANSLATED.has(key) || !asksFor(value) || DEFAULTS[key] === value) continue
    // `metadata.profile` is the gateway's own routing hint (RequestInput's routeHintsOf).
    if (key === "metadata" && isRecord(value) && Object.keys(value).every((k) => k === "profile")) continue
    out.push(key)
  }
  const tools = body.tools
  if (Array.isArray(tools)) {
    tools.forEach((tool, i) => {
      if (isRecord(tool) && isRecord(tool.function) && tool.function.strict === true) {
        out.push(`tools.${i}.function.strict`)
      }
    })
  }
  const messages = body.messages
  if (Array.isArray(messages)) {
    messages.forEach((message, i) => {
      if (!isRecord(message)) return
      const known = MESSAGE_FIELDS[String(message.role)]
      for (const [key, value] of Object.entries(message)) {
        if (known !== undefined && !known.has(key) && asksFor(value)) out.push(`messages.${i}.${key}`)
      }
      if (Array.isArray(message.content)) {
        message.content.forEach((part, j) => {
          if (!isRecord(part) || !isRecord(part.image_url)) return
          const detail = part.image_url.detail
          if (asksFor(detail) && detail !== "auto") out.push(`messages.${i}.content.${j}.image_url.detail`)
        })
      }
    })
  }
  return out
}

/** Whether a provider kind receives the client's own Chat Completions JSON. */
export const speaksChatWire = (kind: ProviderKind): boolean => kind === "openai" || kind === "openai-compatible"

/**
 * The providers a request for `model` (a route name or a concrete model name, as the engine
 * resolves it) may reach that do not speak Chat Completions, in route order, by id.
 */
export const crossWireProviders = (config: EngineConfig, model: string): ReadonlyArray<string> => {
  const route = config.routes.get(model)
  const ids =
    route !== undefined
      ? stepsOf(route).map((step) => step.provider)
      : [...config.providers.values()].filter((p) => p.models.has(model)).map((p) => p.id)
  return [...new Set(ids)].filter((id) => {
    const kind = config.providers.get(id)?.kind
    return kind !== undefined && !speaksChatWire(kind)
  })
}

/**
 * The `x-am-dropped-fields` header for an answer from `providerId`: the fields, comma-separated,
 * when that provider does not speak Chat Completions and some were left out; else nothing.
 */
export const droppedFieldsHeader = (
  config: EngineConfig,
  providerId: string | undefined,
  fields: ReadonlyArray<string>
): Record<string, string> => {
  if (fields.length === 0 || providerId === undefined) return {}
  const kind = config.providers.get(providerId)?.kind
  return kind !== undefined && !speaksChatWire(kind) ? { [DROPPED_FIELDS_HEADER]: fields.join(",") } : {}
}
