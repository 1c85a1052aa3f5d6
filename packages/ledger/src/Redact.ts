/**
 * PII and secret redaction for ledger previews and attempt messages. Each match is replaced by a
 * typed placeholder; rules run in the order of `REDACTION_RULES` (secrets first, so an API key
 * that happens to contain digits is never half-redacted as a phone number).
 *
 * | Placeholder  | What                                                              |
 * |--------------|-------------------------------------------------------------------|
 * | `[API_KEY]`  | `sk-ant-…`, `sk-…` (incl. `sk-proj-…`), `AIza…` key shapes, `Bearer …` tokens |
 * | `[EMAIL]`    | `local@domain.tld`                                                |
 * | `[IBAN]`     | 2 letters, 2 check digits, 11–30 alphanumerics, valid mod-97      |
 * | `[CARD]`     | 13–19 digits (spaces/dashes allowed) passing the Luhn check       |
 * | `[IP]`       | dotted-quad IPv4 addresses                                        |
 * | `[PHONE]`    | 7–15 digits, optional `+` and `( ) . - space` separators           |
 *
 * @example
 * ```ts
 * import { redact } from "@am/ledger"
 * redact("mail bob@example.com, key sk-ant-abcdefghijklmnop") // "mail [EMAIL], key [API_KEY]"
 * ```
 * @since 0.1.0
 */

/** One redaction rule: a global regex, its placeholder and an optional validity check. */
export interface RedactionRule {
  readonly name: string
  readonly placeholder: string
  readonly pattern: RegExp
  readonly accept?: (match: string) => boolean
}

const digitsOf = (s: string) => s.replace(/\D/g, "")

/** The Luhn checksum (credit-card numbers). */
export const luhn = (digits: string): boolean => {
  let sum = 0
  let double = false
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48
    if (double) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
    double = !double
  }
  return digits.length > 0 && sum % 10 === 0
}

/** The ISO 13616 mod-97 check (IBANs). */
export const ibanValid = (raw: string): boolean => {
  const iban = raw.replace(/\s/g, "").toUpperCase()
  if (iban.length < 15 || iban.length > 34) return false
  const rearranged = iban.slice(4) + iban.slice(0, 4)
  let rem = 0
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0)
    const value = code >= 65 ? String(code - 55) : ch
    for (const v of value) rem = (rem * 10 + (v.charCodeAt(0) - 48)) % 97
  }
  return rem === 1
}

/** The rules, applied in this order. */
export const REDACTION_RULES: ReadonlyArray<RedactionRule> = [
  { name: "anthropic_key", placeholder: "[API_KEY]", pattern: /sk-ant-[A-Za-z0-9_-]{8,}/g },
  { name: "openai_key", placeholder: "[API_KEY]", pattern: /\bsk-[A-Za-z0-9_-]{12,}/g },
  { name: "google_key", placeholder: "[API_KEY]", pattern: /AIza[0-9A-Za-z_-]{20,}/g },
  { name: "bearer", placeholder: "Bearer [API_KEY]", pattern: /\bBearer\s+[A-Za-z0-9._~+/=-]{12,}/g },
  {
    name: "email",
    placeholder: "[EMAIL]",
    pattern: /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g
  },
  {
    name: "iban",
    placeholder: "[IBAN]",
    pattern: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b/g,
    accept: ibanValid
  },
  {
    name: "card",
    placeholder: "[CARD]",
    pattern: /(?<![\d])\d(?:[ -]?\d){12,18}(?![\d])/g,
    accept: (m) => luhn(digitsOf(m))
  },
  {
    name: "ipv4",
    placeholder: "[IP]",
    pattern: /(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.]*\d)/g
  },
  {
    name: "phone",
    placeholder: "[PHONE]",
    pattern: /(?<![\w+])\+?\(?\d[\d ().-]{5,}\d(?!\w)/g,
    accept: (m) => {
      const n = digitsOf(m).length
      return n >= 7 && n <= 15
    }
  }
]

/**
 * Replaces every secret and PII match in `text` by its typed placeholder.
 *
 * @example
 * ```ts
 * import { redact } from "@am/ledger"
 * redact("call +1 (555) 010-9999") // "call [PHONE]"
 * ```
 */
export const redact = (text: string): string =>
  REDACTION_RULES.reduce(
    (acc, rule) =>
      acc.replace(rule.pattern, (m) => (rule.accept === undefined || rule.accept(m) ? rule.placeholder : m)),
    text
  )

/**
 * Redacts first, then truncates to `max` characters (so a cut can never leave half a secret).
 *
 * @example
 * ```ts
 * import { preview } from "@am/ledger"
 * preview("write to a@b.io please", 12) // "write to [EM"
 * ```
 */
export const preview = (text: string, max: number): string => {
  const limit = Math.max(0, max)
  // Only a bounded head of a huge text is scanned (a preview never needs more). If redaction
  // shrank that head so much that the cut point could show up in the preview, scan it all.
  const window = 8 * limit + 4096
  const head = text.length > window ? redact(text.slice(0, window)) : undefined
  const redacted = head !== undefined && head.length > limit + 256 ? head : redact(text)
  return redacted.length <= limit ? redacted : redacted.slice(0, limit)
}
