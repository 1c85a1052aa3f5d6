/**
 * Configured secrets in answers: the provider keys and gateway keys a deployment holds are known
 * literally, so an answer that carries one (a model echoing a key it was shown, a provider
 * reflecting a header) has it masked as `⟦SECRET⟧` before it reaches the client — whole answers
 * and streams alike, where a key may arrive split across chunks (the tail that could start a key
 * is held back until the next chunk settles it). Independent of the PII policy: it applies with
 * guards off too.
 *
 * @example
 * ```ts
 * import { maskSecrets, secretSet } from "@am/guard"
 * const keys = secretSet(["sk-live-0123456789abcdef"])
 * maskSecrets("your key is sk-live-0123456789abcdef", keys) // "your key is ⟦SECRET⟧"
 * ```
 * @since 0.1.0
 */
import { maskOf } from "./Redact.ts"

/** Secrets compiled for masking: longest first, shorter than `MIN_SECRET_LENGTH` left out. */
export interface SecretSet {
  readonly secrets: ReadonlyArray<string>
  /** The first character of every secret (a held-back tail must start with one). */
  readonly firsts: ReadonlySet<string>
  readonly longest: number
}

/** Secrets shorter than this are not masked (too likely to be ordinary words or numbers). */
export const MIN_SECRET_LENGTH = 8

const SECRET_MASK = maskOf("secret")

/**
 * The set of `secrets` to mask (duplicates and secrets under `MIN_SECRET_LENGTH` dropped).
 *
 * @example
 * ```ts
 * import { secretSet } from "@am/guard"
 * secretSet(["sk-a", "sk-live-0123456789abcdef"]).secrets // ["sk-live-0123456789abcdef"]
 * ```
 */
export const secretSet = (secrets: Iterable<string>): SecretSet => {
  const kept = [...new Set(secrets)].filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length)
  return { secrets: kept, firsts: new Set(kept.map((s) => s[0]!)), longest: kept[0]?.length ?? 0 }
}

/**
 * `text` with every secret of `set` replaced by `⟦SECRET⟧` (the same string when none occurs).
 *
 * @example
 * ```ts
 * import { maskSecrets, secretSet } from "@am/guard"
 * maskSecrets("no key here", secretSet(["sk-live-0123456789abcdef"])) // "no key here"
 * ```
 */
export const maskSecrets = (text: string, set: SecretSet): string => {
  let out = text
  for (const s of set.secrets) if (out.includes(s)) out = out.split(s).join(SECRET_MASK)
  return out
}

/**
 * Where the text that may be emitted ends: before the earliest tail that could still grow into a
 * secret (a proper prefix of one), and never inside a whole secret (moved to its start), so a
 * secret that a longer one extends is not masked early and no secret is emitted half.
 */
const cutOf = (text: string, set: SecretSet): number => {
  let cut = text.length
  for (let i = Math.max(0, text.length - set.longest + 1); i < text.length; i++) {
    if (!set.firsts.has(text[i]!)) continue
    const tail = text.slice(i)
    if (set.secrets.some((s) => s.length > tail.length && s.startsWith(tail))) {
      cut = i
      break
    }
  }
  for (let moved = true; moved && cut > 0; ) {
    moved = false
    for (const s of set.secrets) {
      const from = text.lastIndexOf(s, cut - 1)
      if (from >= 0 && from + s.length > cut) {
        cut = from
        moved = true
      }
    }
  }
  return cut
}

/** Masks secrets in a streamed text: `push` gives what may be emitted now, `end` the rest. */
export interface StreamSecretMasker {
  readonly push: (chunk: string) => string
  readonly end: () => string
}

/**
 * A masker for a streamed answer: a secret split across chunks is masked whole; what could still
 * become a secret is held back (at most the longest secret's length less one).
 *
 * @example
 * ```ts
 * import { secretSet, streamSecretMasker } from "@am/guard"
 * const m = streamSecretMasker(secretSet(["sk-live-0123456789abcdef"]))
 * m.push("key: sk-live-0123") + m.push("456789abcdef.") + m.end() // "key: ⟦SECRET⟧."
 * ```
 */
export const streamSecretMasker = (set: SecretSet): StreamSecretMasker => {
  let held = ""
  return {
    push: (chunk) => {
      if (set.longest === 0) return chunk
      const text = held + chunk
      const cut = cutOf(text, set)
      held = text.slice(cut)
      return maskSecrets(cut === text.length ? text : text.slice(0, cut), set)
    },
    end: () => {
      const rest = held
      held = ""
      return maskSecrets(rest, set)
    }
  }
}
