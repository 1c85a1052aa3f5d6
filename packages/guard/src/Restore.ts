/**
 * Restoration: the originals back in place of the vault's placeholders — in a complete answer,
 * inside JSON (tool-call arguments the model wrote), and in a stream, where a placeholder can be
 * split across chunks. Masked placeholders (`⟦EMAIL⟧`) and placeholders the vault did not issue
 * stay as they are.
 *
 * @example
 * ```ts
 * import { piiPolicy, redactText, restore, Vault } from "@am/guard"
 * const vault = Vault.make()
 * const { text } = redactText("I am bob@example.com", vault, piiPolicy("redact"))
 * restore(`Hello ${text.slice(5)}`, vault) // "Hello bob@example.com"
 * ```
 * @since 0.1.0
 */
import { CLOSE, MAX_PLACEHOLDER_LENGTH, OPEN, PLACEHOLDER, type Vault } from "./Vault.ts"

/**
 * `text` with every placeholder `vault` issued replaced by its original value.
 *
 * @example
 * ```ts
 * import { restore, Vault } from "@am/guard"
 * const vault = Vault.make()
 * vault.placeholderFor("phone", "+44 20 7946 0958")
 * restore("Call ⟦PHONE_1⟧.", vault) // "Call +44 20 7946 0958."
 * ```
 */
export const restore = (text: string, vault: Vault, escape?: (value: string) => string): string => {
  if (vault.size === 0) return text
  // indexOf from bracket to bracket: ~3x cheaper than a global regex with a replacer callback
  let out = ""
  let at = 0
  for (let i = text.indexOf(OPEN); i >= 0; i = text.indexOf(OPEN, i + 1)) {
    const j = text.indexOf(CLOSE, i + 1)
    if (j < 0) break
    if (j - i >= MAX_PLACEHOLDER_LENGTH) continue
    const value = vault.valueOf(text.slice(i, j + 1))
    if (value === undefined) continue
    out += text.slice(at, i) + (escape === undefined ? value : escape(value))
    at = j + 1
    i = j
  }
  return at === 0 ? text : out + text.slice(at)
}

const JSON_STRING = /"(?:[^"\\]|\\.)*"/g

/**
 * Restores inside the string literals of a JSON text, escaping the originals for JSON (a
 * restored private key with newlines stays valid JSON).
 *
 * @example
 * ```ts
 * import { restoreJson, Vault } from "@am/guard"
 * const vault = Vault.make()
 * vault.placeholderFor("email", 'a"b@example.com')
 * restoreJson('{"to":"⟦EMAIL_1⟧"}', vault) // '{"to":"a\\"b@example.com"}'
 * ```
 */
export const restoreJson = (json: string, vault: Vault): string => {
  if (vault.size === 0 || !json.includes(OPEN)) return json
  return json.replace(JSON_STRING, (literal) => {
    if (!literal.includes(OPEN)) return literal
    return literal.replace(PLACEHOLDER, (p) => {
      const v = vault.valueOf(p)
      return v === undefined ? p : JSON.stringify(v).slice(1, -1)
    })
  })
}

const jsonEscape = (value: string): string => JSON.stringify(value).slice(1, -1)

/** A streaming restorer: feed chunks in order, then `end()`. */
export interface StreamRestorer {
  /** The text that can be emitted after `chunk`, placeholders restored. */
  readonly push: (chunk: string) => string
  /** Whatever was held back (a partial placeholder that never completed), as it was. */
  readonly end: () => string
}

/** Where a possible partial placeholder starts in `text` (the last `⟦` with no `⟧` after), or -1. */
const partialStart = (text: string): number => {
  const open = text.lastIndexOf(OPEN)
  if (open < 0 || text.length - open >= MAX_PLACEHOLDER_LENGTH) return -1
  if (text.indexOf(CLOSE, open) >= 0) return -1
  return /^⟦[A-Z]*(?:_\d*)?$/.test(text.slice(open)) ? open : -1
}

/**
 * Restores a streamed answer chunk by chunk. It holds back only a trailing fragment that could
 * still become a placeholder (`⟦EMA` at a chunk's end, at most 16 characters) until the next
 * chunk or `end()`, so a placeholder split across chunks is restored and never reaches the
 * output; everything else is emitted at once.
 *
 * @example
 * ```ts
 * import { streamRestorer, Vault } from "@am/guard"
 * const vault = Vault.make()
 * vault.placeholderFor("email", "bob@example.com")
 * const r = streamRestorer(vault)
 * r.push("Mail ⟦EMA") // "Mail "
 * r.push("IL_1⟧ now") // "bob@example.com now"
 * r.end() // ""
 * ```
 *
 * `{ json: true }` restores streamed JSON (tool-call arguments): each original is escaped as
 * inside a JSON string literal, so a value with a quote, a backslash or a newline keeps the
 * arguments valid JSON.
 */
export const streamRestorer = (vault: Vault, options?: { readonly json?: boolean }): StreamRestorer => {
  const escape = options?.json === true ? jsonEscape : undefined
  let held = ""
  return {
    push: (chunk) => {
      const text = held + chunk
      const cut = partialStart(text)
      if (cut < 0) {
        held = ""
        return restore(text, vault, escape)
      }
      held = text.slice(cut)
      return restore(text.slice(0, cut), vault, escape)
    },
    end: () => {
      const rest = held
      held = ""
      return restore(rest, vault, escape)
    }
  }
}
