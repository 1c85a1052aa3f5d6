/**
 * Same-wire passthrough helpers: when a request arrived in the wire format an adapter speaks
 * (OpenAI chat at an `openai` provider, Anthropic Messages at an `anthropic` one), the adapter
 * forwards the client's own JSON text — only the model substituted, by splicing its value — so
 * fields the gateway does not know (`prediction`, `web_search_options`, tomorrow's fields) reach
 * the upstream byte for byte. The SDK translation stays the path for every other wire.
 *
 * @example
 * ```ts
 * import { spliceTopLevel } from "@am/provider-utils"
 * spliceTopLevel('{"model":"fast", "x_future_field":{"a":1.50}}', "model", "gpt-4o")
 * // '{"model":"gpt-4o", "x_future_field":{"a":1.50}}'
 * ```
 * @since 0.1.0
 */
import type { CompletionRequest, PassthroughWire } from "@am/core"
import { Redacted } from "effect"

interface Span {
  /** Where the member's key starts. */
  readonly key: number
  readonly start: number
  readonly end: number
}

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09

const skipSpace = (text: string, i: number): number => {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++
  return i
}

/** The index just past the JSON string starting at `i` (a `"`). */
const skipString = (text: string, i: number): number => {
  i++
  while (i < text.length) {
    const c = text.charCodeAt(i)
    if (c === 0x5c) i += 2
    else if (c === 0x22) return i + 1
    else i++
  }
  throw new SyntaxError("unterminated string")
}

/** The index just past the JSON value starting at `i`. */
const skipValue = (text: string, i: number): number => {
  const c = text.charCodeAt(i)
  if (c === 0x22) return skipString(text, i)
  if (c === 0x7b || c === 0x5b) {
    let depth = 0
    while (i < text.length) {
      const d = text.charCodeAt(i)
      if (d === 0x22) {
        i = skipString(text, i)
        continue
      }
      if (d === 0x7b || d === 0x5b) depth++
      else if (d === 0x7d || d === 0x5d) {
        depth--
        if (depth === 0) return i + 1
      }
      i++
    }
    throw new SyntaxError("unterminated container")
  }
  // A number, true, false or null: up to the next delimiter.
  while (i < text.length) {
    const d = text.charCodeAt(i)
    if (d === 0x2c || d === 0x7d || d === 0x5d || isSpace(d)) break
    i++
  }
  return i
}

/** The spans of every value of the top-level `key` of a JSON object text (duplicates included). */
const topLevelSpans = (
  text: string,
  wanted: string
): { readonly open: number; readonly spans: ReadonlyArray<Span> } => {
  let i = skipSpace(text, 0)
  if (text.charCodeAt(i) !== 0x7b) throw new SyntaxError("not a JSON object")
  const open = i
  const spans: Array<Span> = []
  i = skipSpace(text, i + 1)
  if (text.charCodeAt(i) === 0x7d) return { open, spans }
  while (i < text.length) {
    const key = i
    const keyEnd = skipString(text, i)
    const name = JSON.parse(text.slice(i, keyEnd)) as string
    i = skipSpace(text, keyEnd)
    if (text.charCodeAt(i) !== 0x3a) throw new SyntaxError("expected ':'")
    const start = skipSpace(text, i + 1)
    const end = skipValue(text, start)
    if (name === wanted) spans.push({ key, start, end })
    i = skipSpace(text, end)
    if (text.charCodeAt(i) === 0x2c) i = skipSpace(text, i + 1)
    else break
  }
  return { open, spans }
}

/**
 * `text` (a JSON object) with the value of its top-level `key` replaced by `value` as JSON —
 * every byte outside that value kept as it was (whitespace, number spellings, escapes, key
 * order). A missing key is inserted first. Throws `SyntaxError` for text that is not an object.
 *
 * @example
 * ```ts
 * import { spliceTopLevel } from "@am/provider-utils"
 * spliceTopLevel('{ "stream": true }', "model", "gpt-4o") // '{"model":"gpt-4o", "stream": true }'
 * ```
 */
export const spliceTopLevel = (text: string, key: string, value: unknown): string => {
  const json = JSON.stringify(value)
  const { open, spans } = topLevelSpans(text, key)
  if (spans.length === 0) {
    const empty = text.charCodeAt(skipSpace(text, open + 1)) === 0x7d
    return `${text.slice(0, open + 1)}${JSON.stringify(key)}:${json}${empty ? "" : ","}${text.slice(open + 1)}`
  }
  let out = text
  for (let k = spans.length - 1; k >= 0; k--) {
    const span = spans[k]!
    out = out.slice(0, span.start) + json + out.slice(span.end)
  }
  return out
}

/**
 * The raw JSON text of the top-level `key`'s (last) value, or `undefined` when absent.
 *
 * @example
 * ```ts
 * import { topLevelText } from "@am/provider-utils"
 * topLevelText('{"stream_options":{"include_usage":true}}', "stream_options") // '{"include_usage":true}'
 * ```
 */
export const topLevelText = (text: string, key: string): string | undefined => {
  const { spans } = topLevelSpans(text, key)
  const last = spans[spans.length - 1]
  return last === undefined ? undefined : text.slice(last.start, last.end)
}

/**
 * `text` (a JSON object) without its top-level `key` (every occurrence), every other byte kept.
 * Used when a guard's rewrite leaves a field empty (an Anthropic `system` that no longer exists).
 *
 * @example
 * ```ts
 * import { omitTopLevel } from "@am/provider-utils"
 * omitTopLevel('{"system":"x", "model":"m"}', "system") // '{"model":"m"}'
 * ```
 */
export const omitTopLevel = (text: string, key: string): string => {
  let out = text
  for (;;) {
    const { spans } = topLevelSpans(out, key)
    const span = spans[spans.length - 1]
    if (span === undefined) return out
    // With the comma after it, or (as the last member) the comma before it.
    let end = skipSpace(out, span.end)
    if (out.charCodeAt(end) === 0x2c) {
      end = skipSpace(out, end + 1)
      out = out.slice(0, span.key) + out.slice(end)
    } else {
      let start = span.key - 1
      while (start > 0 && isSpace(out.charCodeAt(start))) start--
      out =
        out.charCodeAt(start) === 0x2c
          ? out.slice(0, start) + out.slice(span.end)
          : out.slice(0, span.key) + out.slice(span.end)
    }
  }
}

/** Structural equality of JSON-shaped values (what a decoded `ChatMessage` is). */
const sameJson = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined)
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined)
  if (ka.length !== kb.length) return false
  return ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
}

/** What an adapter substitutes in a passthrough body. */
export interface PassthroughSubstitutions {
  /** The concrete model of this attempt. */
  readonly model: string
  /**
   * The adapter's own translation of `request.messages`, used only when they changed since the
   * body was received (a guard redacted them, mitigation rewrote them, a repair turn was added).
   */
  readonly messages: () => unknown
  /**
   * The top-level fields to replace when the messages changed, instead of `messages` alone — for
   * wires that keep part of the conversation elsewhere (Anthropic's `system`); a field whose value
   * is `undefined` is removed.
   */
  readonly changed?: () => Readonly<Record<string, unknown>>
  /** Further top-level fields to set (e.g. `stream_options` so a stream reports usage). */
  readonly set?: (body: string) => Readonly<Record<string, unknown>>
}

/**
 * The body to send for a same-wire call, or `undefined` when the request carries no body of
 * `wire` (the adapter then translates as usual). The client's text with `model` replaced; when
 * `request.messages` no longer equal what the body's messages decoded to, the body's `messages`
 * are replaced by the adapter's translation — so a guard's redaction is never bypassed.
 *
 * @example
 * ```ts
 * import { passthroughBody } from "@am/provider-utils"
 * import { Redacted } from "effect"
 * const messages = [{ role: "user" as const, content: "Hi" }]
 * passthroughBody(
 *   { messages, passthrough: { wire: "openai.chat", body: Redacted.make('{"model":"m","messages":[{"role":"user","content":"Hi"}],"x":1}'), messages } },
 *   "openai.chat",
 *   { model: "gpt-4o", messages: () => [] }
 * ) // '{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}],"x":1}'
 * ```
 */
export const passthroughBody = (
  request: CompletionRequest,
  wire: PassthroughWire,
  substitutions: PassthroughSubstitutions
): string | undefined => {
  const carrier = request.passthrough
  if (carrier === undefined || carrier.wire !== wire) return undefined
  let body = spliceTopLevel(Redacted.value(carrier.body), "model", substitutions.model)
  if (carrier.messages === undefined || !sameJson(carrier.messages, request.messages)) {
    const fields = substitutions.changed?.() ?? { messages: substitutions.messages() }
    for (const [key, value] of Object.entries(fields)) {
      body = value === undefined ? omitTopLevel(body, key) : spliceTopLevel(body, key, value)
    }
  }
  const extra = substitutions.set?.(body) ?? {}
  for (const [key, value] of Object.entries(extra)) body = spliceTopLevel(body, key, value)
  return body
}
