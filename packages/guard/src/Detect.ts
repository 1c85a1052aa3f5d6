/**
 * The PII and secret detector: `detect(text)` lists every sensitive value as a typed, non-
 * overlapping span. Secrets run first, then e-mails, IBANs, SSNs, IP addresses, and last the
 * digit runs (cards, phones), so a key that contains digits is never half-taken as a phone.
 *
 * Why our own detector rather than a library: measured on a 2 KB prompt,
 * `@openredaction/openredaction` 1.0.4 took ~16 ms per `detect` (the whole guard budget is
 * 50 µs), missed an E.164 phone and a valid IBAN and redacted an order number; its placeholders
 * are random-suffixed, not stable per request. `@presidio-dev/hai-guardrails` 1.12 runs its
 * guards on a worker pool (its published build fails to load its worker) and pulls LangChain.
 * Neither has a vault that restores a streamed answer. This one is a single pass per entity,
 * gated by literal checks, with checksums (Luhn, mod-97, SSA) instead of bare shapes.
 *
 * @example
 * ```ts
 * import { detect } from "@am/guard"
 * detect("mail bob@example.com").map((f) => f.entity) // ["email"]
 * ```
 * @since 0.1.0
 */
import type { Entity } from "./Entity.ts"
import { IBAN_LENGTHS, ssnValid } from "./internal/Checksums.ts"
import { classifyDigitRun, contextRegex, contextStart, DIGIT_RUN, endsWithContext } from "./internal/DigitRuns.ts"
import { SECRET_RULES, type SpanRule } from "./internal/SecretRules.ts"
import { hasNonAscii } from "./internal/Normalize.ts"
import { latinStems, type Prepared, SECRET_NEEDLES } from "./internal/Stems.ts"
import { presence } from "./internal/Trie.ts"

/** One detected value: `text.slice(start, end)`; `rule` names the detector that found it. */
export interface Finding {
  readonly entity: Entity
  readonly rule: string
  readonly start: number
  readonly end: number
}

interface EntityRule extends SpanRule {
  readonly entity: Entity
}

// E-mails are found from their "@" (indexOf is fast; a regex that starts with the local part's
// character class retries at every position of a 2 KB prompt and costs ~25 µs).
const EMAIL_DOMAIN = /@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])/y
const isLocalChar = (c: number) =>
  (c >= 97 && c <= 122) ||
  (c >= 65 && c <= 90) ||
  (c >= 48 && c <= 57) ||
  c === 46 ||
  c === 95 ||
  c === 37 ||
  c === 43 ||
  c === 45
const emails = (text: string, found: Finding[]): void => {
  for (let at = text.indexOf("@"); at >= 0; at = text.indexOf("@", at + 1)) {
    let start = at
    while (start > 0 && at - start < 64 && isLocalChar(text.charCodeAt(start - 1))) start--
    while (start < at && !/[A-Za-z0-9]/.test(text[start]!)) start++
    if (start === at) continue
    EMAIL_DOMAIN.lastIndex = at
    const m = EMAIL_DOMAIN.exec(text)
    if (m === null) continue
    const end = at + m[0].length
    // `git@github.com:org/repo` is an scp-style SSH remote (user, host, path), not an address
    if (text.charCodeAt(end) === 58 && SCP_PATH.test(text.slice(end, end + 200))) continue
    if (!overlaps(found, start, end)) found.push({ entity: "email", rule: "email", start, end })
  }
}
const SCP_PATH = /^:[\w~.-]*\/[\w~./-]*/
const IBAN_START = /\b([A-Z]{2})\d{2}(?=[ ]?[A-Z0-9])/g
const SSN = /(?<![\w.-])(\d{3})([- .]?)(\d{2})\2(\d{4})(?![\w-]|\.\d)/g
// Global: searched from `contextStart` (see internal/DigitRuns.ts).
const SSN_NOT = contextRegex(/(?:sku|lot|part|order|invoice|ref|ticket|case|serial|model|item|po)\b[^\d\n]{0,6}$/gi)
const SSN_CONTEXT = contextRegex(/(?:ssn|social security|soc\. sec|sozialversicherung|tax id|taxpayer)[^\d\n]{0,25}$/gi)
const IPV4 = /(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w]|\.\d)/g
const VERSION_CONTEXT = /(?:\bversion|\brelease|\bbuild|\bver\.?|\bfirmware|\bv)\s*$/i
const isHex = (c: number) => (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)
const isWordish = (c: number) => (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95
const IPV4_TAIL = /^(.*:)((?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3})/

// IPv6 addresses are found from their colons and measured outwards (a regex that starts with a
// look-behind and a hex class retries at every position of the text).
const ipv6s = (text: string, found: Finding[]): void => {
  let from = 0
  for (let colon = text.indexOf(":"); colon >= 0; colon = text.indexOf(":", from)) {
    let a = colon
    while (a > 0 && (isHex(text.charCodeAt(a - 1)) || text.charCodeAt(a - 1) === 58)) a--
    let b = colon
    while (b < text.length && (isHex(text.charCodeAt(b)) || text.charCodeAt(b) === 58 || text.charCodeAt(b) === 46)) b++
    from = b + 1
    if (a > 0 && (isWordish(text.charCodeAt(a - 1)) || text.charCodeAt(a - 1) === 46)) continue
    let cand = text.slice(a, b)
    const v4 = IPV4_TAIL.exec(cand)
    cand = v4 !== null ? v4[1]! + v4[2]! : cand.replace(/[.:]+$/, (t) => (t.startsWith("::") ? "::" : ""))
    const end = a + cand.length
    if (end < text.length && isWordish(text.charCodeAt(end)) && v4 === null && end === b) continue
    if (cand.split(":").length < 3 || !ipv6Valid(cand)) continue
    if (!overlaps(found, a, end)) found.push({ entity: "ip", rule: "ipv6", start: a, end })
  }
}

const ipv6Valid = (s: string): boolean => {
  let body = s
  let extra = 0
  const dot = s.indexOf(".")
  if (dot >= 0) {
    const v4 = s.slice(s.lastIndexOf(":") + 1)
    if (!/^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/.test(v4)) return false
    body = `${s.slice(0, s.length - v4.length)}0`
    extra = 1
  }
  const halves = body.split("::")
  if (halves.length > 2) return false
  const groups = halves.flatMap((h) => (h === "" ? [] : h.split(":")))
  if (groups.some((g) => g.length < 1 || g.length > 4)) return false
  const count = groups.length + extra
  if (halves.length === 1) return count === 8
  return count < 8 && (count >= 3 || groups.some((g) => g.length >= 3))
}

// The IBAN's characters by code, checked in place (the compact string built character by
// character cost a concatenation per character; `ibanChecksum` is the same mod-97 over it).
const IBAN_CODES = new Int32Array(64)
const isAlnum = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)

const ibanSpan = (text: string, m: RegExpExecArray): readonly [number, number] | undefined => {
  const want = IBAN_LENGTHS[m[1]!]
  if (want === undefined || want > IBAN_CODES.length) return undefined
  let n = 0
  let i = m.index
  for (; i < text.length && n < want; i++) {
    const c = text.charCodeAt(i)
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90)) IBAN_CODES[n++] = c
    else if (c === 32 && text.charCodeAt(i - 1) !== 32 && n >= 4) continue
    else break
  }
  if (n !== want || isAlnum(text.charCodeAt(i))) return undefined
  return ibanCodesValid(n) ? [m.index, i] : undefined
}

/** `ibanChecksum` over the first `n` codes of `IBAN_CODES` (digits and upper-case letters). */
const ibanCodesValid = (n: number): boolean => {
  if (n < 15 || n > 34) return false
  let rem = 0
  for (let k = 0; k < n; k++) {
    const ch = IBAN_CODES[(k + 4) % n]!
    rem = ch <= 57 ? (rem * 10 + (ch - 48)) % 97 : (rem * 100 + (ch - 55)) % 97
  }
  return rem === 1
}

/** A secret rule with its needles as the presence pass records them (lower-cased, or literal). */
const SECRETS: ReadonlyArray<EntityRule & { readonly keys: ReadonlyArray<string> }> = SECRET_RULES.map((r) => ({
  ...r,
  entity: "secret" as const,
  keys: r.needles.map((n) => (/^\w/.test(n) ? n.toLowerCase() : n))
}))
// One regex pass over the lower-cased text tells which secret rules can match: every rule's match
// starts at one of its needles at a word start (`\b`), so the pass tries word starts only, and the
// same pass finds the firewall's stems (internal/Stems.ts), which the firewall then reuses. It is
// case-blind, a superset for the case-sensitive needles (`AKIA`, `eyJ`), whose own regex decides.
// Needles that start with punctuation (`-----BEGIN`, `://`) are literal searches; lower-cased
// keywords after a `_` (`client_secret`, `MY_AWS_…`) are looked for in a pass of their own.
const LITERAL_NEEDLES = [...new Set(SECRET_RULES.flatMap((r) => r.needles).filter((n) => !/^\w/.test(n)))]
// Which secret rules each key lets run, so the gate reads the few keys a text has instead of
// asking for every rule's keys in turn (~40 map lookups per text, ~1 µs in `./am bench guard`).
const RULES_BY_KEY = new Map<string, number[]>()
SECRETS.forEach((r, i) => {
  for (const key of r.keys) RULES_BY_KEY.set(key, [...(RULES_BY_KEY.get(key) ?? []), i])
})
/** Scratch marks, one per secret rule (cleared as the rules are read; `analyse` does not re-enter). */
const SECRET_MARKS = new Uint8Array(SECRETS.length)
const markSecretRules = (key: string): void => {
  const rs = RULES_BY_KEY.get(key)
  if (rs !== undefined) for (const i of rs) SECRET_MARKS[i] = 1
}
const LOWER_KEYWORDS = [...new Set(SECRET_RULES.filter((r) => r.lower === true).flatMap((r) => r.needles))]
const afterUnderscore = presence(LOWER_KEYWORDS, "(?<=_)")
// Without a firewall to feed, the secret needles alone (a 40-word trie costs less than the 300-stem one).
const secretNeedlesOnly = presence(SECRET_NEEDLES, "\\b")

const NUMERIC: ReadonlyArray<EntityRule> = [
  { entity: "iban", rule: "iban", needles: [], pattern: IBAN_START, span: (m, text) => ibanSpan(text, m) },
  {
    entity: "ssn",
    rule: "us_ssn",
    needles: [],
    pattern: SSN,
    span: (m, text) => {
      if (!ssnValid(m[1]! + m[3]! + m[4]!)) return undefined
      const before = text.slice(Math.max(0, m.index - 40), m.index)
      const from = contextStart(before)
      if (endsWithContext(SSN_NOT, before, from)) return undefined
      if ((m[2] === "" || m[2] === ".") && !endsWithContext(SSN_CONTEXT, before, from)) return undefined
      return [m.index, m.index + m[0].length]
    }
  },
  {
    entity: "ip",
    rule: "ipv4",
    needles: ["."],
    pattern: IPV4,
    span: (m, text) =>
      VERSION_CONTEXT.test(text.slice(Math.max(0, m.index - 12), m.index))
        ? undefined
        : [m.index, m.index + m[0].length]
  }
]

const overlaps = (found: ReadonlyArray<Finding>, start: number, end: number): boolean => {
  for (const f of found) if (start < f.end && f.start < end) return true
  return false
}

const keep = (rule: EntityRule, m: RegExpExecArray, text: string, found: Finding[]): void => {
  const span = rule.span === undefined ? ([m.index, m.index + m[0].length] as const) : rule.span(m, text)
  if (span !== undefined && span[1] > span[0] && !overlaps(found, span[0], span[1])) {
    found.push({ entity: rule.entity, rule: rule.rule, start: span[0], end: span[1] })
  }
}

const runRule = (text: string, rule: EntityRule, found: Finding[]): void => {
  const re = rule.pattern
  re.lastIndex = 0
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    keep(rule, m, text, found)
    if (m[0].length === 0) re.lastIndex++
  }
}

/** Sticky copies of the anchored rules' patterns, tried at their needles' positions. */
const STICKY = new Map<SpanRule, RegExp>(
  SECRET_RULES.filter((r) => r.anchored === true).map((r) => [
    r,
    new RegExp(r.pattern.source, `${r.pattern.flags.replace("g", "")}y`)
  ])
)

/** `runRule` for an anchored rule: the same matches, found from the next needle on instead of at every position. */
const runAnchored = (text: string, rule: EntityRule, re: RegExp, found: Finding[]): void => {
  const needles = rule.needles
  // the next position of each needle at or after `from` (-1: none left)
  const next = needles.map((n) => text.indexOf(n))
  let from = 0
  for (;;) {
    let at = -1
    for (let k = 0; k < next.length; k++) {
      let p = next[k]!
      if (p >= 0 && p < from) next[k] = p = text.indexOf(needles[k]!, from)
      if (p >= 0 && (at < 0 || p < at)) at = p
    }
    if (at < 0) return
    re.lastIndex = at
    const m = re.exec(text)
    if (m === null) {
      from = at + 1
      continue
    }
    keep(rule, m, text, found)
    from = m.index + Math.max(1, m[0].length)
  }
}

const hasDigit = /\d/
const TRAILING = new Set([32, 46, 40, 45])
const isDigit = (c: number) => c >= 48 && c <= 57

/** Whether `text[start, end)` (starting with `(`) opens with `(` + 1–4 digits + `)`, as `/^\(\d{1,4}\)/` asks. */
const shortParenthesised = (text: string, start: number, end: number): boolean => {
  let k = start + 1
  while (k < end && k - start <= 5 && isDigit(text.charCodeAt(k))) k++
  const d = k - start - 1
  return d >= 1 && d <= 4 && k < end && text.charCodeAt(k) === 41
}

/** Whether a digit run has 7–19 digits and no `/`: what `classifyDigitRun` needs before anything else. */
const mayBeCardOrPhone = (text: string, start: number, end: number): boolean => {
  let n = 0
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i)
    if (isDigit(c)) n++
    else if (c === 47) return false
  }
  return n >= 7 && n <= 19
}

/** Findings never overlap, so their starts differ: an insertion sort (the few findings of a text) allocates nothing. */
const sortByStart = (found: Finding[]): void => {
  for (let i = 1; i < found.length; i++) {
    const f = found[i]!
    let j = i - 1
    while (j >= 0 && found[j]!.start > f.start) {
      found[j + 1] = found[j]!
      j--
    }
    found[j + 1] = f
  }
}

/**
 * Every sensitive value in `text`, sorted by position, never overlapping.
 *
 * @example
 * ```ts
 * import { detect } from "@am/guard"
 * detect("card 4111 1111 1111 1111, v1.2.3, 2024-05-01")
 * // [{ entity: "card", rule: "card", start: 5, end: 24 }]
 * ```
 */
export const detect = (text: string): ReadonlyArray<Finding> => analyse(text, false).findings

/** What `detect` found, and the lower-cased text with its stems for the firewall (ASCII texts). */
export interface Analysis {
  readonly findings: ReadonlyArray<Finding>
  readonly prepared: Prepared | undefined
}

/** `detect`, keeping the stem pass it made for the firewall to reuse (when `prepare`). */
export const analyse = (text: string, prepare = true): Analysis => {
  const found: Finding[] = []
  const digits = hasDigit.test(text)
  const lower = text.toLowerCase()
  const stems = prepare ? latinStems(lower) : secretNeedlesOnly(lower)
  for (const key of stems.keys()) markSecretRules(key)
  if (lower.includes("_")) for (const key of afterUnderscore(lower).keys()) markSecretRules(key)
  for (const n of LITERAL_NEEDLES) if (text.includes(n)) markSecretRules(n)
  for (let i = 0; i < SECRETS.length; i++) {
    if (SECRET_MARKS[i] === 0) continue
    SECRET_MARKS[i] = 0
    const rule = SECRETS[i]!
    const sticky = STICKY.get(SECRET_RULES[i]!)
    if (sticky === undefined) runRule(text, rule, found)
    else runAnchored(text, rule, sticky, found)
  }
  emails(text, found)
  if (digits) {
    for (const rule of NUMERIC) if (rule.needles.every((n) => text.includes(n))) runRule(text, rule, found)
    ipv6s(text, found)
  }
  if (digits) {
    DIGIT_RUN.lastIndex = 0
    for (let m = DIGIT_RUN.exec(text); m !== null; m = DIGIT_RUN.exec(text)) {
      // trailing separators off (a loop: a `[ .(-]+$` regex retries at every position of the run)
      let start = m.index
      let end = start + m[0].length
      while (end > start && TRAILING.has(text.charCodeAt(end - 1))) end--
      if (text.charCodeAt(start) === 40 && !shortParenthesised(text, start, end)) start++
      // a run inside a value already found (an IBAN's digits, an IP, a key) needs no classifying
      if (overlaps(found, start, end)) continue
      // Most runs are dates, versions and amounts: fewer than 7 digits (or a `/`) is never a card
      // or a phone (`classifyDigitRun`'s first test), so those are not sliced and classified.
      if (!mayBeCardOrPhone(text, start, end)) continue
      const entity = classifyDigitRun(text.slice(start, end), text.slice(Math.max(0, start - 32), start))
      if (entity !== undefined) found.push({ entity, rule: entity, start, end })
    }
  }
  if (found.length > 1) sortByStart(found)
  return { findings: found, prepared: !prepare || hasNonAscii(text) ? undefined : { lower, stems } }
}
