/**
 * `scrub` for text that leaves the process in an error, a log line or a ledger field: provider
 * error messages, exception texts. The same detector as redaction (keys and PII), every value
 * masked for good (`⟦EMAIL⟧`, no vault), plus any literal secrets the caller knows (the API key
 * in use, vault values), then capped in length.
 *
 * @example
 * ```ts
 * import { scrub } from "@am/guard"
 * scrub("Incorrect API key provided: sk-proj-abc123def456ghi789jkl0 for bob@example.com")
 * // "Incorrect API key provided: ⟦SECRET⟧ for ⟦EMAIL⟧"
 * ```
 * @since 0.1.0
 */
import { detect } from "./Detect.ts"
import { maskOf } from "./Redact.ts"

/** Options of `scrub`. */
export interface ScrubOptions {
  /** The longest result, in characters (default 500); longer texts end with `…`. */
  readonly maxLength?: number
}

/** The default cap of a scrubbed text. */
export const SCRUB_MAX_LENGTH = 500

const SECRET_MASK = maskOf("secret")

/**
 * `text` with every detected value and every one of `secrets` masked, capped in length.
 *
 * @example
 * ```ts
 * import { scrub } from "@am/guard"
 * scrub("upstream said: bad token abcd1234efgh", ["abcd1234efgh"]) // "upstream said: bad token ⟦SECRET⟧"
 * scrub("x".repeat(1000), [], { maxLength: 10 }) // "xxxxxxxxx…"
 * ```
 */
export const scrub = (text: string, secrets: Iterable<string> = [], options: ScrubOptions = {}): string => {
  const max = Math.max(1, options.maxLength ?? SCRUB_MAX_LENGTH)
  // A bounded head is enough: nothing past the cap is kept, and a value cut at the head's edge
  // is masked by the detector or dropped by the cap. 4 × max keeps room for masks shrinking it.
  let t = text.length > 4 * max + 1024 ? text.slice(0, 4 * max + 1024) : text
  const literal = [...secrets].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length)
  for (const s of literal) t = t.split(s).join(SECRET_MASK)
  const found = detect(t)
  let out = ""
  let at = 0
  for (const f of found) {
    out += t.slice(at, f.start) + maskOf(f.entity)
    at = f.end
  }
  out += t.slice(at)
  return out.length <= max ? out : `${out.slice(0, max - 1)}…`
}
