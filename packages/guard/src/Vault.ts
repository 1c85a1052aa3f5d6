/**
 * The per-request vault: original values by placeholder. A value gets one stable placeholder per
 * request (`⟦EMAIL_1⟧`, `⟦EMAIL_2⟧`, …; the same value → the same placeholder), so the model can
 * still tell two people apart and refer back to them, and `restore` gives the originals back.
 *
 * The vault never serialises what it holds: `JSON.stringify`, `String()`, `util.inspect` and
 * `console.log` show only `Vault(<n> values)`; the maps live in private fields.
 *
 * @example
 * ```ts
 * import { Vault } from "@am/guard"
 * const vault = Vault.make()
 * vault.placeholderFor("email", "bob@example.com") // "⟦EMAIL_1⟧"
 * vault.placeholderFor("email", "bob@example.com") // "⟦EMAIL_1⟧"
 * vault.valueOf("⟦EMAIL_1⟧") // "bob@example.com"
 * JSON.stringify({ vault }) // '{"vault":"Vault(1 values)"}'
 * ```
 * @since 0.1.0
 */
import { ENTITIES, type Entity, placeholderLabel } from "./Entity.ts"

/** Opening and closing brackets of every placeholder (U+27E6, U+27E7). */
export const OPEN = "⟦"
export const CLOSE = "⟧"

/** The longest placeholder the vault issues (label + `_` + up to 6 digits + brackets). */
export const MAX_PLACEHOLDER_LENGTH = 16

/** A placeholder: `⟦LABEL_n⟧` (reversible) or `⟦LABEL⟧` (masked). */
export const PLACEHOLDER = /⟦([A-Z]{2,6})(?:_(\d{1,6}))?⟧/g

const inspectSymbol = Symbol.for("nodejs.util.inspect.custom")

// The placeholder strings, built once per label and number and flattened (a map key that is a
// fresh concatenation is flattened and hashed on every request; these are hashed once).
const issued = new Map<string, string[]>()
const placeholderOf = (label: string, n: number): string => {
  let list = issued.get(label)
  if (list === undefined) {
    list = []
    issued.set(label, list)
  }
  let p = list[n]
  if (p === undefined) {
    p = `${OPEN}${label}_${n}${CLOSE}`
    if (n < 1000) {
      p = p.split("").join("") // a flat string, not a rope
      list[n] = p
    }
  }
  return p
}

/** Up to this many values a vault searches two arrays; from then on it also keeps maps. */
const SMALL = 16

const ENTITY_INDEX = new Map(ENTITIES.map((e, i) => [e, i]))
const NO_COUNTS: ReadonlyArray<number> = ENTITIES.map(() => 0)

export class Vault {
  // Most requests hold a handful of values: two parallel arrays searched linearly cost less than
  // three maps (built, grown and hashed per request: ~2 µs for a dozen values in
  // `./am bench guards`); maps join them once a vault holds `SMALL` values.
  readonly #values: string[] = []
  readonly #placeholders: string[] = []
  #byValue: Map<string, string> | undefined
  #byPlaceholder: Map<string, string> | undefined
  readonly #counters: number[] = NO_COUNTS.slice()

  private constructor() {}

  /** A fresh, empty vault (one per request). */
  static make(): Vault {
    return new Vault()
  }

  /** The placeholder for `value`, issuing the next number of its entity the first time. */
  placeholderFor(entity: Entity, value: string): string {
    const known = this.#placeholderOf(value)
    if (known !== undefined) return known
    const label = placeholderLabel(entity)
    const k = ENTITY_INDEX.get(entity)!
    const n = this.#counters[k]! + 1
    this.#counters[k] = n
    const placeholder = placeholderOf(label, n)
    this.#values.push(value)
    this.#placeholders.push(placeholder)
    if (this.#byValue !== undefined) {
      this.#byValue.set(value, placeholder)
      this.#byPlaceholder!.set(placeholder, value)
    } else if (this.#values.length >= SMALL) {
      this.#byValue = new Map(this.#values.map((v, i) => [v, this.#placeholders[i]!]))
      this.#byPlaceholder = new Map(this.#placeholders.map((p, i) => [p, this.#values[i]!]))
    }
    return placeholder
  }

  #placeholderOf(value: string): string | undefined {
    if (this.#byValue !== undefined) return this.#byValue.get(value)
    const values = this.#values
    for (let i = 0; i < values.length; i++) if (values[i] === value) return this.#placeholders[i]
    return undefined
  }

  /** The original value of a placeholder this vault issued. */
  valueOf(placeholder: string): string | undefined {
    if (this.#byPlaceholder !== undefined) return this.#byPlaceholder.get(placeholder)
    const placeholders = this.#placeholders
    for (let i = 0; i < placeholders.length; i++) if (placeholders[i] === placeholder) return this.#values[i]
    return undefined
  }

  /** How many values the vault holds. */
  get size(): number {
    return this.#values.length
  }

  /** Whether `value` is one of the values held (e.g. to check a log line carries none). */
  holds(value: string): boolean {
    return this.#placeholderOf(value) !== undefined
  }

  /** The held values, for a caller that must scrub them from other text (errors, logs). */
  values(): ReadonlyArray<string> {
    return this.#values.slice()
  }

  toJSON(): string {
    return this.toString()
  }

  toString(): string {
    return `Vault(${this.size} values)`
  }

  [inspectSymbol](): string {
    return this.toString()
  }

  get [Symbol.toStringTag](): string {
    return "Vault"
  }
}
