/**
 * What a request asks for that a candidate cannot honour, and what the gateway does about it. A
 * same-wire candidate (an `openai` / `openai-compatible` provider for Chat Completions and
 * Responses, an `anthropic` one for Messages) receives
 * the client's own JSON, so it honours every field; a cross-wire candidate receives a
 * translation, and its adapter's own table (`unhonouredFieldsOf`) says which of the cross-wire
 * fields (`strict`, `parallel_tool_calls`, `user`, `metadata`, `service_tier`, `logprobs`, …) it
 * cannot send; fields the translation does not know at all never reach it. Per `server.unsupportedFields`:
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
import type { CompletionRequest, CrossWireField, ProviderKind } from "@am/core"
import { type DroppedFieldsOf, type EngineConfig, stepsOf } from "@am/engine"
import { droppedFieldsOf, unhonouredFieldsOf } from "@am/runtime"
import { Effect, Redacted } from "effect"
import { GatewayError } from "./GatewayError.ts"
import { messagesFieldAsks } from "./internal/messages/FieldAsks.ts"
import { responsesBodyFieldAsks } from "./internal/responses/ResponsesFieldAsks.ts"

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

/** Top-level Chat Completions fields the translation carries as a cross-wire field (honoured per provider kind). */
const CROSS_WIRE: Readonly<Record<string, CrossWireField>> = {
  parallel_tool_calls: "parallelToolCalls",
  user: "user",
  safety_identifier: "safetyIdentifier",
  metadata: "clientMetadata",
  service_tier: "serviceTier",
  logprobs: "logprobs",
  top_logprobs: "topLogprobs",
  // Anthropic's current API refuses every sampling parameter, so its adapter never sends them.
  temperature: "temperature",
  top_p: "topP"
}

/**
 * One field a request asks for that some provider kind may not honour: its dotted path in the
 * client's body, and the cross-wire field it became (none: the translation does not carry it).
 */
export interface FieldAsk {
  readonly path: string
  readonly field?: CrossWireField
}

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
export const untranslatedChatFields = (body: Readonly<Record<string, unknown>>): ReadonlyArray<string> =>
  chatFieldAsks(body).map((ask) => ask.path)

/**
 * What {@link untranslatedChatFields} lists, each with the cross-wire field it became, so a
 * provider kind's table can say whether it honours it.
 */
export const chatFieldAsks = (body: Readonly<Record<string, unknown>>): ReadonlyArray<FieldAsk> => {
  const out: Array<FieldAsk> = []
  const push = (path: string, field?: CrossWireField) => out.push(field !== undefined ? { path, field } : { path })
  for (const [key, value] of Object.entries(body)) {
    if (TRANSLATED.has(key) || !asksFor(value) || DEFAULTS[key] === value) continue
    // `metadata.profile` is the gateway's own routing hint (RequestInput's routeHintsOf).
    if (key === "metadata" && isRecord(value) && Object.keys(value).every((k) => k === "profile")) continue
    if (key === "top_logprobs" && value === 0) continue
    push(key, CROSS_WIRE[key])
  }
  const tools = body.tools
  if (Array.isArray(tools)) {
    tools.forEach((tool, i) => {
      if (isRecord(tool) && isRecord(tool.function) && tool.function.strict === true) {
        push(`tools.${i}.function.strict`, "toolStrict")
      }
    })
  }
  const messages = body.messages
  if (Array.isArray(messages)) {
    messages.forEach((message, i) => {
      if (!isRecord(message)) return
      const known = MESSAGE_FIELDS[String(message.role)]
      for (const [key, value] of Object.entries(message)) {
        if (known !== undefined && !known.has(key) && asksFor(value)) push(`messages.${i}.${key}`)
      }
      if (Array.isArray(message.content)) {
        message.content.forEach((part, j) => {
          if (!isRecord(part) || !isRecord(part.image_url)) return
          const detail = part.image_url.detail
          if (asksFor(detail) && detail !== "auto") push(`messages.${i}.content.${j}.image_url.detail`, "imageDetail")
        })
      }
    })
  }
  return out
}

/** Whether a provider kind receives the client's own Chat Completions JSON. */
export const speaksChatWire = (kind: ProviderKind): boolean => kind === "openai" || kind === "openai-compatible"

/**
 * Whether a provider kind receives the client's own Responses JSON: `openai` only — an
 * `openai-compatible` server may have no `/responses`, so its adapter translates to chat.
 */
export const speaksResponsesWire = (kind: ProviderKind): boolean => kind === "openai"

/**
 * The paths of `asks` a provider of `kind` cannot honour for `request`: none when it receives
 * the client's own Chat Completions JSON (`sameWire`); else those the translation does not carry
 * and those its adapter's table lists.
 */
export const unhonouredPaths = (
  kind: ProviderKind,
  asks: ReadonlyArray<FieldAsk>,
  request: CompletionRequest,
  options: { readonly sameWire?: boolean } = {}
): ReadonlyArray<string> => {
  if (options.sameWire === true || asks.length === 0) return []
  const unhonoured = new Set(unhonouredFieldsOf(kind, request))
  return asks.filter((a) => a.field === undefined || unhonoured.has(a.field)).map((a) => a.path)
}

/** The providers a request for `model` may reach, in route order, by id. */
export const routeProviders = (config: EngineConfig, model: string): ReadonlyArray<string> => {
  const route = config.routes.get(model)
  const ids =
    route !== undefined
      ? stepsOf(route).map((step) => step.provider)
      : [...config.providers.values()].filter((p) => p.models.has(model)).map((p) => p.id)
  return [...new Set(ids)]
}

/**
 * The first provider of the route that cannot honour some of `asks`, with those paths; none
 * when every candidate honours them all. `sameWire` says which kinds receive the client's JSON.
 */
export const firstUnhonoured = (
  config: EngineConfig,
  model: string,
  asks: ReadonlyArray<FieldAsk>,
  request: CompletionRequest,
  sameWire: (kind: ProviderKind) => boolean
): { readonly provider: string; readonly paths: ReadonlyArray<string> } | undefined => {
  for (const id of routeProviders(config, model)) {
    const kind = config.providers.get(id)?.kind
    if (kind === undefined) continue
    const paths = unhonouredPaths(kind, asks, request, { sameWire: sameWire(kind) })
    if (paths.length > 0) return { provider: id, paths }
  }
  return undefined
}

/**
 * The `x-am-dropped-fields` header for an answer from `providerId`: the paths of `asks` that
 * provider could not honour, comma-separated; else nothing.
 */
export const unhonouredHeader = (
  config: EngineConfig,
  providerId: string | undefined,
  asks: ReadonlyArray<FieldAsk>,
  request: CompletionRequest,
  sameWire: (kind: ProviderKind) => boolean
): Record<string, string> => {
  const kind = providerId !== undefined ? config.providers.get(providerId)?.kind : undefined
  if (kind === undefined) return {}
  const paths = unhonouredPaths(kind, asks, request, { sameWire: sameWire(kind) })
  return paths.length > 0 ? { [DROPPED_FIELDS_HEADER]: paths.join(",") } : {}
}

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

/**
 * Under `reject` (the default `server.unsupportedFields`), the 400 naming the first field some
 * candidate of the route cannot honour; nothing under `drop-and-report` or when every candidate
 * honours every ask.
 */
export const refuseUnhonoured = (
  config: EngineConfig,
  model: string,
  asks: ReadonlyArray<FieldAsk>,
  request: CompletionRequest,
  sameWire: (kind: ProviderKind) => boolean,
  policy: UnsupportedFieldsPolicy | undefined
): Effect.Effect<void, GatewayError> => {
  if (asks.length === 0 || (policy ?? "reject") !== "reject") return Effect.void
  const miss = firstUnhonoured(config, model, asks, request, sameWire)
  return miss === undefined
    ? Effect.void
    : Effect.fail(
        GatewayError.invalid(
          `field ${miss.paths.join(", ")} cannot be honoured by provider ${miss.provider} of this route; remove it, or set server.unsupportedFields to "drop-and-report" to proceed without it there`,
          miss.paths[0]
        )
      )
}

const parsedBody = (body: Redacted.Redacted<string>): Readonly<Record<string, unknown>> | undefined => {
  try {
    const value: unknown = JSON.parse(Redacted.value(body))
    return isRecord(value) ? value : undefined
  } catch {
    return undefined
  }
}

/**
 * The engine's `DroppedFields` for the gateway: for a Chat Completions, Responses or Messages
 * request (their own body rides along for same-wire passthrough), the wire paths its answering
 * provider could not honour — exactly what `x-am-dropped-fields` lists — so the ledger entry and
 * `resilience.droppedFields` say the same; nothing when that provider received the body as sent.
 * Other requests (the library's) get the adapters' table in core names (`@am/runtime`'s
 * `droppedFieldsOf`). The body is read again only when a cross-wire provider answered.
 */
export const gatewayDroppedFields =
  (config: EngineConfig): DroppedFieldsOf =>
  (request, providerId) => {
    const kind = config.providers.get(providerId)?.kind
    if (kind === undefined) return []
    const carried = request.passthrough
    const wire = carried?.wire
    if (wire === "openai.chat" || wire === "openai.responses" || wire === "anthropic.messages") {
      const same =
        wire === "anthropic.messages"
          ? kind === "anthropic"
          : wire === "openai.responses"
            ? speaksResponsesWire(kind)
            : speaksChatWire(kind)
      if (same) return []
      const body = parsedBody(carried!.body)
      if (body === undefined) return []
      const asks =
        wire === "openai.chat"
          ? chatFieldAsks(body)
          : wire === "openai.responses"
            ? responsesBodyFieldAsks(body)
            : messagesFieldAsks(body)
      return unhonouredPaths(kind, asks, request)
    }
    return droppedFieldsOf(config)(request, providerId)
  }
