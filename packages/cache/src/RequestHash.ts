/**
 * Canonical hashes of requests: canonical JSON (object keys sorted, `undefined` dropped, no
 * whitespace) under SHA-256, so the same request always hashes the same whatever its key order.
 *
 * - `requestHash(body)` — the idempotency fingerprint of a request body: the same key with a
 *   different hash is a reused key.
 * - `idempotencyHash(request)` — the same for a `CompletionRequest`, without the fields that do
 *   not change what is asked (`idempotencyKey`, `deadlineMs`).
 * - `cacheKey(input)` — the response-cache key: workspace, route and exactly the fields that
 *   determine the answer (model, messages, tools, tool choice, response format, sampling
 *   parameters, and a same-wire passthrough body's own fields — see `passthroughKeyFields`).
 *   Pass the request **after** the input guards redacted it: the key, and the entry stored
 *   under it, then never carry raw PII (two requests that differ only in a redacted value share
 *   the entry, whose placeholders each request's own vault restores).
 *
 * @example
 * ```ts
 * import { cacheKey, requestHash } from "@am/cache"
 * requestHash({ b: 1, a: [1, 2] }) === requestHash({ a: [1, 2], b: 1 }) // true
 * cacheKey({ workspace: "team-a", route: "default", request: { messages: [{ role: "user", content: "hi" }] } })
 * ```
 * @since 0.1.0
 */
import { hash } from "node:crypto"
import type { CompletionRequest, Passthrough, PassthroughWire } from "@am/core"
import { Redacted } from "effect"

const canonicalInto = (value: unknown, out: Array<string>): void => {
  if (value !== null && typeof value === "object" && typeof (value as { toJSON?: unknown }).toJSON === "function") {
    value = (value as { toJSON: () => unknown }).toJSON()
  }
  if (value === null || value === undefined) {
    out.push("null")
  } else if (typeof value === "number") {
    // JSON has no NaN/Infinity; -0 and 0 are the same number in a request.
    out.push(Number.isFinite(value) ? JSON.stringify(value === 0 ? 0 : value) : "null")
  } else if (typeof value === "string" || typeof value === "boolean") {
    out.push(JSON.stringify(value))
  } else if (Array.isArray(value)) {
    out.push("[")
    value.forEach((item, i) => {
      if (i > 0) out.push(",")
      canonicalInto(item, out)
    })
    out.push("]")
  } else if (typeof value === "object") {
    const record = value as Record<string, unknown>
    const keys = Object.keys(record)
      .filter((k) => record[k] !== undefined && typeof record[k] !== "function")
      .sort()
    out.push("{")
    keys.forEach((k, i) => {
      if (i > 0) out.push(",")
      out.push(JSON.stringify(k), ":")
      canonicalInto(record[k], out)
    })
    out.push("}")
  } else {
    // bigint, symbol, function: not JSON; hash their string form rather than throw.
    out.push(JSON.stringify(String(value)))
  }
}

/** Canonical JSON text of a value: sorted object keys, `undefined` members dropped, no spaces. */
export const canonicalJson = (value: unknown): string => {
  const out: Array<string> = []
  canonicalInto(value, out)
  return out.join("")
}

const sha256 = (text: string): string => hash("sha256", text, "hex")

/** SHA-256 (hex) of a request body's canonical JSON: the idempotency fingerprint of a raw body. */
export const requestHash = (body: unknown): string => sha256(canonicalJson(body))

/**
 * The idempotency fingerprint of a `CompletionRequest`: everything but `idempotencyKey` and
 * `deadlineMs` (a retry may carry a shorter deadline and is still the same request).
 */
export const idempotencyHash = (request: CompletionRequest): string => {
  const { idempotencyKey: _key, deadlineMs: _deadline, ...rest } = request
  return requestHash(rest)
}

/** The parts of a request that determine its answer (a redacted `CompletionRequest` fits). */
export type CacheableRequest = Pick<
  CompletionRequest,
  | "model"
  | "messages"
  | "temperature"
  | "topP"
  | "maxTokens"
  | "stop"
  | "seed"
  | "presencePenalty"
  | "frequencyPenalty"
  | "tools"
  | "toolChoice"
  | "responseFormat"
  | "passthrough"
>

/**
 * The members of a same-wire passthrough body that are left out of the cache key, per wire: the
 * prompt (`messages`, `system`, `input`, `instructions`, `previous_response_id` — what they say is
 * in the key as the request's redacted `messages`, so the raw text never reaches it), and what does
 * not change the answer (`model`: the route is in the key; `stream`, `stream_options`; who asks:
 * `metadata`, `user`, `safety_identifier`; `store`).
 */
const PASSTHROUGH_NOT_IN_KEY: Readonly<Record<PassthroughWire, ReadonlySet<string>>> = {
  "openai.chat": new Set([
    "messages",
    "model",
    "stream",
    "stream_options",
    "metadata",
    "user",
    "safety_identifier",
    "store"
  ]),
  "openai.responses": new Set([
    "input",
    "instructions",
    "previous_response_id",
    "model",
    "stream",
    "stream_options",
    "metadata",
    "user",
    "safety_identifier",
    "store"
  ]),
  "anthropic.messages": new Set(["messages", "system", "model", "stream", "metadata"]),
  "openai.embeddings": new Set(["input", "model", "user"])
}

/**
 * What a same-wire passthrough body adds to the cache key: its wire and every top-level member
 * but the prompt and the fields that do not change the answer (`PASSTHROUGH_NOT_IN_KEY`) — so a
 * field the gateway does not know (a new sampling parameter, a provider option) that the
 * upstream receives, and that may change its answer, changes the key. A body that is not a JSON
 * object adds its wire only.
 */
export const passthroughKeyFields = (passthrough: Passthrough): Record<string, unknown> => {
  let body: unknown
  try {
    body = JSON.parse(Redacted.value(passthrough.body))
  } catch {
    body = undefined
  }
  const fields: Record<string, unknown> = {}
  if (body !== null && typeof body === "object" && !Array.isArray(body)) {
    const skip = PASSTHROUGH_NOT_IN_KEY[passthrough.wire]
    for (const [k, v] of Object.entries(body)) if (!skip.has(k)) fields[k] = v
  }
  return { wire: passthrough.wire, fields }
}

/** What a cache key is made of. */
export interface CacheKeyInput {
  /** The workspace the entry belongs to: entries are never shared between workspaces. */
  readonly workspace: string
  /** The route that served the request (or the concrete model when no route was named). */
  readonly route: string
  /** The request after redaction (never the raw text: see the module doc). */
  readonly request: CacheableRequest
  /**
   * Further answer-determining fields a host knows about and `CompletionRequest` lacks (e.g. a
   * same-wire passthrough body's provider-specific fields). Redacted like `request`.
   */
  readonly extra?: unknown
}

/**
 * The response-cache key (SHA-256 hex). Streaming, metadata, the idempotency key and the
 * deadline are left out: they do not change the answer. A request carrying a same-wire
 * passthrough body keys on that body's own fields too (`passthroughKeyFields`).
 */
export const cacheKey = (input: CacheKeyInput): string => {
  const r = input.request
  return sha256(
    canonicalJson({
      v: 1,
      workspace: input.workspace,
      route: input.route,
      model: r.model,
      messages: r.messages,
      temperature: r.temperature,
      topP: r.topP,
      maxTokens: r.maxTokens,
      stop: r.stop,
      seed: r.seed,
      presencePenalty: r.presencePenalty,
      frequencyPenalty: r.frequencyPenalty,
      tools: r.tools,
      toolChoice: r.toolChoice,
      responseFormat: r.responseFormat,
      passthrough: r.passthrough === undefined ? undefined : passthroughKeyFields(r.passthrough),
      extra: input.extra
    })
  )
}
