/**
 * A set of literal strings as one regex trie (`i(?:gnor|nstruct)|d(?:isregard)…`): irregexp
 * dispatches on the first character instead of trying every alternative at every position — over
 * 2 KB, 200 alternatives cost ~50 µs as a flat list and a few µs as a trie. Longer strings come
 * first within a branch, so a match is the longest string at its position.
 */
export const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")

export const trie = (words: ReadonlyArray<string>): string => {
  const byFirst = new Map<string, string[]>()
  let end = false
  for (const w of words) {
    if (w === "") end = true
    else byFirst.set(w[0]!, [...(byFirst.get(w[0]!) ?? []), w.slice(1)])
  }
  const branches = [...byFirst].map(([c, rest]) => {
    const sub = trie(rest)
    return sub === "" ? escape(c) : `${escape(c)}(?:${sub})`
  })
  if (branches.length === 0) return ""
  return `${branches.join("|")}${end ? "|" : ""}`
}

/**
 * Sorts a few numbers in place, ascending (an insertion sort: `Array#sort` allocates a work array
 * and the comparator closure on every call, on the request path for each stem with several positions).
 */
export const sortNumbers = (xs: number[]): void => {
  for (let i = 1; i < xs.length; i++) {
    const x = xs[i]!
    let j = i - 1
    while (j >= 0 && xs[j]! > x) {
      xs[j + 1] = xs[j]!
      j--
    }
    xs[j + 1] = x
  }
}

/** Which words occur in a text, each with the positions where it does (at most 8). */
export type Presence = ReadonlyMap<string, ReadonlyArray<number>>

/**
 * A finder of which of `words` occur in a text (and where), in one regex pass. `sign` is one more
 * alternative, tried first at each position, whose matches are recorded under `"#sign"` (a shape
 * rather than a word, found in the same pass instead of a pass of its own).
 */
export const presence = (words: ReadonlyArray<string>, prefix = "", sign?: string) => {
  const unique = [...new Set(words)]
  const re = new RegExp(`${prefix}(?:${sign === undefined ? "" : `${sign}|`}${trie(unique)})`, "g")
  const inside = new Map(unique.map((w) => [w, unique.filter((t) => w.includes(t))]))
  const signOnly = ["#sign"]
  return (text: string): Presence => {
    const found = new Map<string, number[]>()
    re.lastIndex = 0
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      for (const t of inside.get(m[0]) ?? signOnly) {
        const at = found.get(t)
        if (at === undefined) found.set(t, [m.index])
        else if (at.length < 8) at.push(m.index)
      }
    }
    return found
  }
}
