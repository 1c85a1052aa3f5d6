/**
 * The views of a text the injection rules read. Attackers hide the same instruction behind
 * full-width letters, Cyrillic/Greek look-alikes, zero-width characters, leetspeak, s p a c e d
 * letters, rot13 and base64; each view undoes one of them. Views are built only when the text
 * shows a sign of the trick (non-ASCII letters, digits inside words, runs of single letters, a
 * rot13 word, a base64 run), so a plain prompt costs one lower-casing.
 */

/** Cyrillic, Greek and other look-alikes of Latin letters (after NFKC and lower-casing). */
const CONFUSABLES: Readonly<Record<string, string>> = {
  а: "a",
  в: "b",
  е: "e",
  ё: "e",
  к: "k",
  м: "m",
  н: "h",
  о: "o",
  р: "p",
  с: "c",
  т: "t",
  у: "y",
  х: "x",
  і: "i",
  ї: "i",
  ј: "j",
  ѕ: "s",
  ԁ: "d",
  ԛ: "q",
  ԝ: "w",
  һ: "h",
  ӏ: "l",
  ɡ: "g",
  ɑ: "a",
  ɩ: "i",
  ο: "o",
  α: "a",
  β: "b",
  ε: "e",
  ι: "i",
  κ: "k",
  ν: "v",
  ρ: "p",
  τ: "t",
  υ: "u",
  χ: "x",
  γ: "y",
  η: "n",
  ω: "w",
  ı: "i",
  ł: "l",
  ø: "o",
  đ: "d",
  ß: "ss",
  ⅰ: "i",
  ℓ: "l",
  ɪ: "i",
  ᴀ: "a",
  ᴇ: "e",
  ᴏ: "o",
  ꜱ: "s",
  ᴛ: "t",
  ʀ: "r",
  ɴ: "n",
  ᴍ: "m",
  ᴜ: "u",
  ᴄ: "c",
  ᴅ: "d",
  ɢ: "g",
  ʜ: "h",
  ᴋ: "k",
  ʟ: "l",
  ᴘ: "p",
  ᴠ: "v",
  ᴡ: "w",
  ʏ: "y",
  ᴢ: "z",
  "’": "'",
  "‘": "'"
}

const INVISIBLE = /[\u200b\u200c\u200e\u200f\u2060-\u2064\ufeff\u00ad\u180e]/g
// The vault's placeholder brackets ⟦ ⟧ (U+27E6/7) do not count: redacted text is scored too.
const CONFUSABLE_RE = new RegExp(`[${Object.keys(CONFUSABLES).join("")}]`, "g")
const DIACRITICS = /[\u0300-\u036f]/g

/** The base view: lower-cased; for non-ASCII text also NFKC (full-width → ASCII) without invisibles. */
export interface BaseView {
  /** NFKC + lower-case (native scripts kept): what the non-English rules read. */
  readonly native: string
  /** `native` with look-alikes mapped to Latin and accents dropped: what the English rules read. */
  readonly latin: string
  /** Whether the text had invisible characters or look-alikes that `latin` undid. */
  readonly disguised: boolean
  readonly ascii: boolean
}

/**
 * Whether `text` has a character outside ASCII other than the placeholder brackets. UTF-8 length
 * (native, vectorised) exceeds the length by 2 per bracket (3 bytes each) and by at least 1 per
 * other non-ASCII character, so equality is exact — and ~10x cheaper than a character-class scan.
 */
export const hasNonAscii = (text: string): boolean => {
  const extra = Buffer.byteLength(text, "utf8") - text.length
  if (extra === 0) return false
  let brackets = 0
  for (let i = text.indexOf("⟦"); i >= 0; i = text.indexOf("⟦", i + 1)) brackets++
  for (let i = text.indexOf("⟧"); i >= 0; i = text.indexOf("⟧", i + 1)) brackets++
  return extra !== 2 * brackets
}

export const baseView = (text: string): BaseView => {
  const lower = text.toLowerCase()
  if (!hasNonAscii(text)) return { native: lower, latin: lower, disguised: false, ascii: true }
  const stripped = text.replace(INVISIBLE, "")
  const native = stripped.normalize("NFKC").toLowerCase()
  const latin = native
    .normalize("NFD")
    .replace(DIACRITICS, "")
    .replace(CONFUSABLE_RE, (c) => CONFUSABLES[c] ?? c)
  const disguised =
    stripped.length !== text.length || (latin !== native && /[a-z]{3}/.test(latin) && mixedScript(native))
  return { native, latin, disguised, ascii: false }
}

/** A word that mixes Latin with Cyrillic/Greek letters (the sign of a homoglyph attack). */
const mixedScript = (s: string): boolean =>
  /[a-z][\u0370-\u03ff\u0400-\u04ff]|[\u0370-\u03ff\u0400-\u04ff][a-z]/.test(s)

const LEET: Readonly<Record<string, string>> = {
  "0": "o",
  "1": "i",
  "3": "e",
  "4": "a",
  "5": "s",
  "7": "t",
  "8": "b",
  "9": "g",
  "@": "a",
  $: "s",
  "!": "i",
  "|": "l",
  "+": "t",
  "€": "e"
}
/** A leet digit between two letters (`1gn0r3`, `pr3v10us`); `@` and `$` alone do not count
 * (e-mail addresses and code are full of them). */
const LEET_SIGN = /[a-z][013457][a-z]/
const hasLeet = (s: string): boolean => LEET_SIGN.test(s)

/**
 * A leet character with a letter before or after it. The view is one native `replace` over
 * these few places; a loop over every character of the text (with a lookup each) cost 8 µs
 * per 2 KB in `./am bench guard`, and the text has digits in many places that are not leet.
 */
const LEET_CLASS = `[${Object.keys(LEET)
  .map((c) => c.replace(/[\\\]^-]/g, "\\$&"))
  .join("")}]`
const LEET_AT = new RegExp(`(?<=[a-z])${LEET_CLASS}|${LEET_CLASS}(?=[a-z])`, "g")

/** Leetspeak undone (`1gn0r3` → `ignore`): a leet character next to a letter, or undefined when the text shows none. */
export const leetView = (latin: string): string | undefined => {
  if (!hasLeet(latin)) return undefined
  return latin.replace(LEET_AT, (c) => LEET[c]!)
}

/** Four single letters in a row, each followed by a separator (`i g n o r e`). */
const SPACED_SIGN = /\b[a-z][ .*_·-]{1,3}[a-z][ .*_·-]{1,3}[a-z][ .*_·-]{1,3}[a-z]\b/
/** Whether the text has runs of spaced single letters (the firewall reads this from its stem pass). */
export const hasSpaced = (s: string): boolean => SPACED_SIGN.test(s)

const SPACED = /(?:\b[a-z][ .\-_*·]{1,3}){4,}[a-z]\b/g

/** Runs of single letters joined (`i g n o r e` → `ignore`); the caller checks `hasSpaced` first. */
export const spacedView = (latin: string): string =>
  latin.replace(SPACED, (run) =>
    run
      .split(/\s{2,}|\s*[/|]\s*/)
      .map((word) => word.replace(/[ .\-_*·]+/g, ""))
      .join(" ")
      .concat(" ")
  )

/** The rot13 of the text (the caller decides when: a mention of rot13, or rot13 of a trigger word). */
export const rot13View = (latin: string): string =>
  latin.replace(/[a-z]/g, (c) => String.fromCharCode(((c.charCodeAt(0) - 97 + 13) % 26) + 97))

/** The base64 alphabet (both variants: `+/` and `-_`), by char code. */
const B64 = new Uint8Array(128)
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-") B64[c.charCodeAt(0)] = 1
const isB64 = (c: number) => c < 128 && B64[c] === 1

/**
 * The maximal runs of at least 16 base64 characters (plus padding), as `[start, end)` pairs. A
 * window of 16 is read from its right end and moved past the first character outside the
 * alphabet (Boyer–Moore–Horspool for a character class): prose costs ~3 character tests per 13
 * characters skipped, half the tests of sampling every 16th character and walking its word out
 * (that cost 1.3–3 µs per 2 KB in `./am bench guard`; a class-run regex costs 15–40 µs).
 */
const base64Runs = (text: string): number[] => {
  const runs: number[] = []
  const n = text.length
  let a = 0
  while (a + 16 <= n) {
    let j = a + 15
    while (j >= a && isB64(text.charCodeAt(j))) j--
    if (j >= a) {
      a = j + 1
      continue
    }
    let b = a + 16
    while (b < n && isB64(text.charCodeAt(b))) b++
    let end = b
    while (end < n && end - b < 2 && text.charCodeAt(end) === 61) end++
    runs.push(a, end)
    a = b + 1
  }
  return runs
}

/**
 * The printable texts hidden in base64 runs of the original text (at most 4). `scan`, when given,
 * is a copy of `text` that differs only in the case of ASCII letters (the firewall's lower-cased
 * view): the runs are found in it — it is flat, where `text` may still be a concatenation that
 * reading it character by character would flatten — and read from `text`.
 */
export const base64Views = (text: string, scan: string = text): ReadonlyArray<string> => {
  const out: string[] = []
  const runs = base64Runs(scan)
  for (let k = 0; k < runs.length; k += 2) {
    if (out.length >= 4) break
    const run = text.slice(runs[k]!, runs[k + 1]!)
    if (!/[0-9+/=]/.test(run) && !/[A-Z].*[a-z].*[A-Z]/.test(run)) continue
    const decoded = decodeBase64(run)
    if (decoded !== undefined) out.push(decoded)
  }
  return out
}

const decodeBase64 = (run: string): string | undefined => {
  let s: string
  try {
    s = Buffer.from(run.replace(/-/g, "+").replace(/_/g, "/"), "base64").toString("utf8")
  } catch {
    return undefined
  }
  if (s.length < 8) return undefined
  let printable = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if ((c >= 32 && c < 127) || c === 10 || c === 13 || c === 9 || c > 159) printable++
  }
  return printable / s.length >= 0.9 && /[a-z]{3,}\s+[a-z]{2,}/i.test(s) ? s : undefined
}
