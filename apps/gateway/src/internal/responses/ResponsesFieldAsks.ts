/**
 * What a `POST /v1/responses` body asks for that a candidate may not honour, by wire path: the
 * top-level parameters the gateway does not know (a same-wire OpenAI candidate receives them in
 * the client's own JSON; any other kind never can), and the known ones each provider kind's
 * adapter table decides (`tools.N.strict`, `parallel_tool_calls`, `temperature`, …). The route,
 * `x-am-dropped-fields` and the ledger's `droppedFields` all read this one list.
 *
 * @example
 * ```ts
 * import { responsesBodyFieldAsks } from "./ResponsesFieldAsks.ts"
 * responsesBodyFieldAsks({ model: "m", input: "hi", x_future_field: 1, tools: [{ type: "function", name: "f", strict: true }] })
 * // [{ path: "x_future_field" }, { path: "tools.0.strict", field: "toolStrict" }]
 * ```
 * @since 0.1.0
 */
import type { CrossWireField } from "@am/core"
import type { FieldAsk } from "../../DroppedFields.ts"
import { isTranslatedToolChoice, ResponsesBody } from "../../ResponsesWire.ts"

const KNOWN: ReadonlySet<string> = new Set(Object.keys(ResponsesBody.fields))

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const present = (v: unknown) => v !== undefined && v !== null

/**
 * The top-level keys of a body the gateway's Responses schema does not know, in body order.
 *
 * @example
 * ```ts
 * import { unknownResponsesFields } from "./ResponsesFieldAsks.ts"
 * unknownResponsesFields({ model: "m", prediction: {}, store: false }) // ["prediction"]
 * ```
 */
export const unknownResponsesFields = (body: Readonly<Record<string, unknown>>): ReadonlyArray<string> =>
  Object.keys(body).filter((k) => !KNOWN.has(k))

/**
 * The body without its unknown top-level keys — what the gateway decodes (the client's own text,
 * with them, is what a same-wire candidate receives).
 *
 * @example
 * ```ts
 * import { knownResponsesBody } from "./ResponsesFieldAsks.ts"
 * knownResponsesBody({ model: "m", input: "hi", x_future_field: 1 }) // { model: "m", input: "hi" }
 * ```
 */
export const knownResponsesBody = (json: unknown): unknown => {
  if (!isRecord(json)) return json
  const out: Record<string, unknown> = Object.fromEntries(Object.entries(json).filter(([k]) => KNOWN.has(k)))
  // Nested keys the gateway does not know, in function tools and `text`: asks, like top-level ones.
  if (Array.isArray(out.tools))
    out.tools = out.tools.map((t) => (isRecord(t) && t.type === "function" ? pick(t, FUNCTION_TOOL_KEYS) : t))
  if (isRecord(out.text)) out.text = pick(out.text, TEXT_KEYS)
  return out
}

const FUNCTION_TOOL_KEYS: ReadonlySet<string> = new Set(["type", "name", "description", "parameters", "strict"])
const TEXT_KEYS: ReadonlySet<string> = new Set(["format", "verbosity"])

const pick = (record: Readonly<Record<string, unknown>>, keys: ReadonlySet<string>) =>
  Object.fromEntries(Object.entries(record).filter(([k]) => keys.has(k)))

const extraKeys = (record: Readonly<Record<string, unknown>>, keys: ReadonlySet<string>) =>
  Object.keys(record).filter((k) => !keys.has(k) && present(record[k]))

/** Parameters only an OpenAI upstream can act on: asks whenever they say more than their default. */
const SAME_WIRE_ONLY: ReadonlyArray<
  readonly [path: string, asks: (body: Readonly<Record<string, unknown>>) => boolean]
> = [
  ["include", (b) => Array.isArray(b.include) && b.include.some((i) => i !== "reasoning.encrypted_content")],
  ["top_logprobs", (b) => typeof b.top_logprobs === "number" && b.top_logprobs !== 0],
  ["max_tool_calls", (b) => present(b.max_tool_calls)],
  [
    "reasoning.summary",
    (b) => isRecord(b.reasoning) && (present(b.reasoning.summary) || present(b.reasoning.generate_summary))
  ],
  ["prompt", (b) => present(b.prompt)],
  ["prompt_cache_options", (b) => present(b.prompt_cache_options)],
  ["moderation", (b) => present(b.moderation)],
  [
    "context_management",
    (b) => present(b.context_management) && !(Array.isArray(b.context_management) && b.context_management.length === 0)
  ],
  ["image", (b) => present(b.image)],
  ["access_programs", (b) => present(b.access_programs)]
]

const ask = (path: string, field: CrossWireField): FieldAsk => ({ path, field })

/**
 * Every field of a (parsed) Responses body some provider kind may not honour, by wire path:
 * unknown top-level fields with a value (no cross-wire field: only a same-wire candidate has
 * them), then built-in and custom tools (`tools.N`), unknown keys of function tools and `text`, a
 * `tool_choice` other than auto/none/required/a function, `include` beyond encrypted reasoning,
 * `top_logprobs`, `max_tool_calls`, a reasoning summary, stored prompts and the other OpenAI-only
 * settings (same wire only), `tools.N.strict` (when true), `parallel_tool_calls: false`, `temperature`, `top_p`,
 * `user`, `safety_identifier`, a `service_tier` other than `auto`, the OpenAI-only hints
 * (`prompt_cache_key`, `prompt_cache_retention`, `truncation: "auto"`, a `text.verbosity` other
 * than `medium`: no translated candidate has them) and a json_schema `text.format.description`.
 *
 * @example
 * ```ts
 * import { responsesBodyFieldAsks } from "./ResponsesFieldAsks.ts"
 * responsesBodyFieldAsks({ model: "m", parallel_tool_calls: false }) // [{ path: "parallel_tool_calls", field: "parallelToolCalls" }]
 * ```
 */
export const responsesBodyFieldAsks = (body: Readonly<Record<string, unknown>>): ReadonlyArray<FieldAsk> => {
  const out: Array<FieldAsk> = unknownResponsesFields(body)
    .filter((k) => present(body[k]))
    .map((path) => ({ path }))
  const tools = body.tools
  if (Array.isArray(tools))
    tools.forEach((tool, i) => {
      // A built-in or custom tool (web_search, file_search, mcp, custom…): the same wire only.
      if (!isRecord(tool) || tool.type !== "function") {
        out.push({ path: `tools.${i}` })
        return
      }
      for (const k of extraKeys(tool, FUNCTION_TOOL_KEYS)) out.push({ path: `tools.${i}.${k}` })
      if (tool.strict === true) out.push(ask(`tools.${i}.strict`, "toolStrict"))
    })
  if (present(body.tool_choice) && !isTranslatedToolChoice(body.tool_choice)) out.push({ path: "tool_choice" })
  for (const [path, asks] of SAME_WIRE_ONLY) if (asks(body)) out.push({ path })
  if (isRecord(body.text)) for (const k of extraKeys(body.text, TEXT_KEYS)) out.push({ path: `text.${k}` })
  if (body.parallel_tool_calls === false) out.push(ask("parallel_tool_calls", "parallelToolCalls"))
  if (present(body.temperature)) out.push(ask("temperature", "temperature"))
  if (present(body.top_p)) out.push(ask("top_p", "topP"))
  if (present(body.user)) out.push(ask("user", "user"))
  if (present(body.safety_identifier)) out.push(ask("safety_identifier", "safetyIdentifier"))
  if (present(body.service_tier) && body.service_tier !== "auto") out.push(ask("service_tier", "serviceTier"))
  // Hints only an OpenAI upstream reads, in the client's own JSON (Codex sends prompt_cache_key):
  // honoured on the same wire, refused or reported for any translated candidate.
  if (present(body.prompt_cache_key)) out.push({ path: "prompt_cache_key" })
  if (present(body.prompt_cache_retention)) out.push({ path: "prompt_cache_retention" })
  if (body.truncation === "auto") out.push({ path: "truncation" })
  const verbosity = isRecord(body.text) ? body.text.verbosity : undefined
  if (present(verbosity) && verbosity !== "medium") out.push({ path: "text.verbosity" })
  const format = isRecord(body.text) ? body.text.format : undefined
  if (isRecord(format) && format.type === "json_schema" && format.description !== undefined)
    out.push(ask("text.format.description", "responseFormatDescription"))
  return out
}
