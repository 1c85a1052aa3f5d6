/**
 * The capability matrix: what a model can do, what a request needs, and — for every need a model
 * lacks — which capability is missing and which config field would enable it (the text of the
 * gateway's 404 `no_route`).
 *
 * @example
 * ```ts
 * import { requirementsOf } from "@am/router"
 * const needs = requirementsOf({
 *   request: { messages: [{ role: "user", content: [{ type: "image", url: "https://x/cat.png" }] }] },
 *   stream: true
 * })
 * needs.capabilities // ["vision", "streaming"]
 * ```
 * @since 0.1.0
 */
import type { CompletionRequest } from "@am/core"

/**
 * What a model can do. The first four are the engine's capabilities of today; the rest are the
 * router's additions:
 * - `tools` function tools; `json` JSON mode and JSON-schema structured output;
 * - `vision` image parts; `audio` audio parts; `files` file/document (PDF) parts;
 * - `streaming` a streamed answer (`Engine.stream`, `stream: true`);
 * - `reasoning` a reasoning/thinking request (`reasoningEffort`, `thinking`);
 * - `embeddings` an embeddings request;
 * - `prefill` continues a trailing assistant message (assistant prefill), which stream
 *   continuation needs.
 */
export type Capability =
  | "tools"
  | "json"
  | "vision"
  | "audio"
  | "files"
  | "streaming"
  | "reasoning"
  | "embeddings"
  | "prefill"

/** Every capability, in the order misses are reported. */
export const CAPABILITIES: ReadonlyArray<Capability> = [
  "tools",
  "json",
  "vision",
  "audio",
  "files",
  "streaming",
  "reasoning",
  "embeddings",
  "prefill"
]

/**
 * A request as the router reads it: the core `CompletionRequest` (or an embeddings request) plus
 * the fields newer wire formats add. Read structurally, so content parts the core schema does
 * not (yet) name — `audio`, `input_audio`, `file`, `document` — still count.
 */
export type RoutableRequest = Pick<CompletionRequest, "route" | "model"> & {
  readonly messages?: ReadonlyArray<{
    readonly role: string
    readonly content?: unknown
    readonly toolCalls?: ReadonlyArray<{ readonly name: string; readonly arguments: string }>
  }>
  readonly tools?: ReadonlyArray<unknown>
  readonly responseFormat?: { readonly type: string }
  readonly maxTokens?: number
  /** The core request's provider-neutral reasoning ask (`effort`, `budgetTokens`, `adaptive`). */
  readonly reasoning?: { readonly effort?: string; readonly budgetTokens?: number; readonly adaptive?: boolean }
  /** Embeddings: the input texts (an embeddings request has no `messages`). */
  readonly input?: string | ReadonlyArray<string>
  /** Embeddings: the requested vector size. */
  readonly dimensions?: number
  /** `metadata.profile` asks for a profile (see `PlanInput.profile`). */
  readonly metadata?: { readonly [key: string]: unknown }
}

/** What serving a request takes. */
export interface Requirements {
  readonly capabilities: ReadonlyArray<Capability>
  /** Output tokens the request asks for (`maxTokens`), if any. */
  readonly maxOutput?: number
  /** Embedding dimensions the request asks for, if any. */
  readonly dimensions?: number
}

/** The request-side inputs of `requirementsOf`. */
export interface RequirementsInput {
  readonly request: RoutableRequest
  /** A streamed answer is asked for. */
  readonly stream?: boolean
  /** `embedding` for `/v1/embeddings`; `chat` (default) otherwise. */
  readonly kind?: "chat" | "embedding"
  /** Needs the caller knows about and the request shape does not show (e.g. `["prefill"]` for stream continuation). */
  readonly require?: ReadonlyArray<Capability>
}

const partTypes = (content: unknown): ReadonlyArray<string> =>
  Array.isArray(content)
    ? content.flatMap((p) => (p !== null && typeof p === "object" && typeof p.type === "string" ? [p.type] : []))
    : []

const AUDIO_PARTS = new Set(["audio", "input_audio"])
const FILE_PARTS = new Set(["file", "document", "input_file"])

/**
 * What `input` needs: tools when it has tools, `json` for a JSON/JSON-schema response format,
 * `vision`/`audio`/`files` for such content parts, `streaming` when streamed, `reasoning` when
 * its `reasoning` asks for any (an effort other than `none`, a budget, or adaptive),
 * `embeddings` for an embeddings request, plus `require`.
 */
export const requirementsOf = (input: RequirementsInput): Requirements => {
  const { request } = input
  const need = new Set<Capability>()
  if (input.kind === "embedding") need.add("embeddings")
  if (request.tools !== undefined && request.tools.length > 0) need.add("tools")
  if (request.responseFormat !== undefined && request.responseFormat.type !== "text") need.add("json")
  for (const m of request.messages ?? []) {
    for (const type of partTypes(m.content)) {
      if (type === "image" || type === "image_url") need.add("vision")
      else if (AUDIO_PARTS.has(type)) need.add("audio")
      else if (FILE_PARTS.has(type)) need.add("files")
    }
  }
  if (input.stream === true) need.add("streaming")
  if (asksReasoning(request.reasoning)) need.add("reasoning")
  for (const c of input.require ?? []) need.add(c)
  return {
    capabilities: CAPABILITIES.filter((c) => need.has(c)),
    ...(request.maxTokens !== undefined ? { maxOutput: request.maxTokens } : {}),
    ...(request.dimensions !== undefined ? { dimensions: request.dimensions } : {})
  }
}

const asksReasoning = (r: RoutableRequest["reasoning"]): boolean =>
  r !== undefined &&
  ((r.effort !== undefined && r.effort !== "none") || r.budgetTokens !== undefined || r.adaptive === true)

/** The config field that declares a model's capability, written for a person to edit. */
export const capabilityField = (provider: string, model: string): string =>
  `providers.${provider}.models[name=${JSON.stringify(model)}].capabilities`
