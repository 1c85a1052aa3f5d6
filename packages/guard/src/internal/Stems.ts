/**
 * The one word-start pass over a lower-cased text that both the detector and the firewall need:
 * the injection rules' anchor stems (English and Latin-script foreign rules, rot13 and
 * concatenation signs) and the detector's lower-cased secret keywords (`password`, `token`,
 * `client_secret`, `aws…`). Merging them costs about one pass instead of two (the cost of a stem
 * trie is per position tried, not per word in it), and when redaction leaves a text unchanged
 * — or only swaps values for placeholders — the firewall reuses the pass (`shiftPrepared`)
 * instead of scanning the text again.
 */
import { FOREIGN_LATIN_RULES } from "./ForeignRules.ts"
import { ENGLISH_RULES } from "./InjectionRules.ts"
import { SECRET_RULES } from "./SecretRules.ts"
import { type Presence, presence, sortNumbers } from "./Trie.ts"

export const CONCAT_STEMS = ["concat", "combine", "join", "together", "assemble", "append", "merge"]

/** rot13 of trigger words, and the word itself: the sign to build the rot13 view. */
export const ROT13_STEMS = [
  "rot13",
  "rot-13",
  "vtaber",
  "qvfertneq",
  "vafgehpgvba",
  "cerivbhf",
  "flfgrz",
  "cebzcg",
  "sbetrg",
  "ehyrf"
]

/**
 * The detector's secret needles that start a word, lower-cased: the lower-cased keywords
 * (`password`, `token`, …) and the provider prefixes (`sk-`, `akia`, `eyj`, `ghp_`, …), so one
 * pass over the lower-cased text tells which secret rules can match (a superset for the
 * case-sensitive ones, whose own regex then decides).
 */
export const SECRET_NEEDLES = [
  ...new Set(
    SECRET_RULES.flatMap((r) => r.needles)
      .filter((n) => /^\w/.test(n))
      .map((n) => n.toLowerCase())
  )
]

/** The key under which the pass records a run of spaced single letters (`i g n o r e`). */
export const SPACED_SIGN = "#sign"
const SPACED = "[a-z](?=[ .*_·-]{1,3}[a-z][ .*_·-]{1,3}[a-z][ .*_·-]{1,3}[a-z]\\b)"

/**
 * Every stem of the pass, found at word starts (`\b`), and the spaced-letters sign the firewall's
 * spaced view needs (`SPACED_SIGN`).
 */
export const latinStems = presence(
  [
    ...ENGLISH_RULES.flatMap((r) => r.anchors),
    ...FOREIGN_LATIN_RULES.flatMap((r) => r.anchors),
    ...ROT13_STEMS,
    ...CONCAT_STEMS,
    ...SECRET_NEEDLES
  ],
  "\\b",
  SPACED
)

/** A lower-cased ASCII text and its stems, ready for the firewall. */
export interface Prepared {
  readonly lower: string
  readonly stems: Presence
}

/** One replaced span of an original text: `[start, end)` became `length` characters of `label`. */
export interface Replacement {
  readonly start: number
  readonly end: number
  readonly text: string
}

const placeholderStems = new Map<string, Presence>()
const stemsOfPlaceholder = (text: string): Presence => {
  let known = placeholderStems.get(text)
  if (known === undefined) {
    // read between spaces, as the placeholder sits between non-word characters in the view
    const found = latinStems(` ${text.toLowerCase()} `)
    known = new Map([...found].map(([s, ps]) => [s, ps.map((p) => p - 1)]))
    if (placeholderStems.size < 1024) placeholderStems.set(text, known)
  }
  return known
}

/**
 * The prepared view of a text after `replacements` (sorted, non-overlapping): stems outside the
 * replaced spans move by the length change before them, stems overlapping a span are dropped, and
 * the stems of each placeholder are added at its place. `lower` is the replaced text lower-cased.
 */
export const shiftPrepared = (
  prepared: Prepared,
  lower: string,
  replacements: ReadonlyArray<Replacement>
): Prepared => {
  const stems = new Map<string, number[]>()
  prepared.stems.forEach((ps, s) => {
    for (const p of ps) {
      let delta = 0
      let dropped = false
      for (const r of replacements) {
        if (r.start >= p + s.length) break
        if (r.end <= p) delta += r.text.length - (r.end - r.start)
        else {
          dropped = true
          break
        }
      }
      if (!dropped) addStem(stems, s, p + delta)
    }
  })
  let delta = 0
  for (const r of replacements) {
    const at = r.start + delta
    stemsOfPlaceholder(r.text).forEach((ps, s) => {
      for (const p of ps) addStem(stems, s, at + p)
    })
    delta += r.text.length - (r.end - r.start)
  }
  stems.forEach((ps) => {
    if (ps.length > 1) sortNumbers(ps)
  })
  return { lower, stems }
}

const addStem = (stems: Map<string, number[]>, s: string, p: number): void => {
  const ps = stems.get(s)
  if (ps === undefined) stems.set(s, [p])
  else if (ps.length < 8) ps.push(p)
}
