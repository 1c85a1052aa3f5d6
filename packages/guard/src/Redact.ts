/**
 * Redaction of one text under a per-entity policy: `redact` puts a vault placeholder in place of
 * the value (restored later), `mask` an irreversible `⟦EMAIL⟧`, `block` masks it too and reports
 * a blocking finding (the caller turns it into `GuardBlocked`), `off` leaves it.
 *
 * @example
 * ```ts
 * import { piiPolicy, redactText, Vault } from "@am/guard"
 * const vault = Vault.make()
 * redactText("write to bob@example.com", vault, piiPolicy("redact")).text // "write to ⟦EMAIL_1⟧"
 * ```
 * @since 0.1.0
 */
import { analyse } from "./Detect.ts"
import { type Prepared, type Replacement, shiftPrepared } from "./internal/Stems.ts"
import { type Entity, type PiiAction, type PiiPolicy, placeholderLabel } from "./Entity.ts"
import { CLOSE, OPEN, type Vault } from "./Vault.ts"

/** What was done to one value (never the value itself). */
export interface RedactionFinding {
  readonly entity: Entity
  readonly rule: string
  readonly action: Exclude<PiiAction, "off">
}

/** A redacted text and what was found in it. */
export interface Redacted {
  readonly text: string
  readonly findings: ReadonlyArray<RedactionFinding>
}

const MASKS = new Map<Entity, string>()

/** The irreversible placeholder of an entity (`⟦EMAIL⟧`). */
export const maskOf = (entity: Entity): string => {
  let mask = MASKS.get(entity)
  if (mask === undefined) {
    mask = `${OPEN}${placeholderLabel(entity)}${CLOSE}`
    MASKS.set(entity, mask)
  }
  return mask
}

const none: ReadonlyArray<RedactionFinding> = []

/** A redaction with the text the firewall reads (see `scoringPlaceholder`). */
export interface RedactedView extends Redacted {
  readonly view: string
  /** The view lower-cased with its stems, from the detector's pass (ASCII texts only). */
  readonly prepared?: Prepared | undefined
}

/**
 * The firewall reads redacted text with `{EMAIL_1}` where the request has `⟦EMAIL_1⟧`: both are
 * non-word, non-space characters to every rule (the URL-template checks list `{` beside `⟦`), but
 * `⟦` makes a string two-byte in V8, which doubles the cost of lower-casing and of the UTF-8
 * length check the firewall makes. Built from the original's slices, the view stays one-byte.
 */
const scoringPlaceholder = (entity: Entity, placeholder: string): string => {
  const label = placeholderLabel(entity)
  const n = placeholder.length - label.length - 3
  return n <= 0 ? `{${label}}` : `{${label}_${Number(placeholder.slice(label.length + 2, -1))}}`
}

/** A placeholder's scoring form and its lower-cased copy. */
interface Scoring {
  readonly view: string
  readonly lower: string
}

// Built once per placeholder (the vault's are interned strings, so the lookup hashes nothing):
// the scoring form, and its lower-cased copy for the firewall's view, are the same strings on
// every request (one template, one `Number`, one lower-casing less per value).
const scorings = new Map<string, Scoring>()
const scoringOf = (entity: Entity, placeholder: string): Scoring => {
  let known = scorings.get(placeholder)
  if (known === undefined) {
    const view = scoringPlaceholder(entity, placeholder)
    known = { view, lower: view.toLowerCase() }
    if (scorings.size < 4096) scorings.set(placeholder, known)
  }
  return known
}

/**
 * `redactText`, also building the firewall's view of the redacted text, and with `prepare` (the
 * default) the view's stems from the detector's pass, so the firewall need not scan it again.
 */
export const redactWithView = (text: string, vault: Vault, policy: PiiPolicy, prepare = true): RedactedView => {
  const { findings: found, prepared } = analyse(text, prepare)
  if (found.length === 0) return { text, view: text, findings: none, prepared }
  const findings: RedactionFinding[] = []
  const replaced: Replacement[] = []
  let out = ""
  let view = ""
  // The view lower-cased, from the detector's lower-cased text (ASCII: the same positions), so
  // the view itself is never flattened and lower-cased again (a 2 KB copy and pass per text).
  // Joined, not concatenated: `join` writes one flat string, where a concatenation stays a rope
  // that V8 flattens into a second string on the first regex, and whose characters the
  // firewall's character loops then read through the rope (base64 runs took 2.6 µs instead of
  // 0.4 µs per 2 KB in `./am bench guard`).
  const lower: string[] = []
  let at = 0
  for (const f of found) {
    const action = policy[f.entity]
    if (action === "off") continue
    const value = text.slice(f.start, f.end)
    const before = text.slice(at, f.start)
    const placeholder = action === "redact" ? vault.placeholderFor(f.entity, value) : maskOf(f.entity)
    const scoring = scoringOf(f.entity, placeholder)
    out += before + placeholder
    view += before + scoring.view
    if (prepared !== undefined) lower.push(prepared.lower.slice(at, f.start), scoring.lower)
    replaced.push({ start: f.start, end: f.end, text: scoring.view })
    at = f.end
    findings.push({ entity: f.entity, rule: f.rule, action })
  }
  if (findings.length === 0) return { text, view: text, findings: none, prepared }
  const rest = text.slice(at)
  view += rest
  if (prepared !== undefined) lower.push(prepared.lower.slice(at))
  return {
    text: out + rest,
    view,
    findings,
    prepared: prepared === undefined ? undefined : shiftPrepared(prepared, lower.join(""), replaced)
  }
}

/**
 * Redacts `text` into `vault` under `policy`.
 *
 * @example
 * ```ts
 * import { piiPolicy, redactText, Vault } from "@am/guard"
 * const r = redactText("key sk-proj-abc123def456ghi789jkl0", Vault.make(), piiPolicy({ secret: "block" }))
 * r.text // "key ⟦SECRET⟧"
 * r.findings // [{ entity: "secret", rule: "openai_key", action: "block" }]
 * ```
 */
export const redactText = (text: string, vault: Vault, policy: PiiPolicy): Redacted => {
  const r = redactWithView(text, vault, policy, false)
  return { text: r.text, findings: r.findings }
}

/** A JSON string literal (the quotes included). */
const JSON_STRING = /"(?:[^"\\]|\\.)*"/g

/**
 * Redacts inside the string values of a JSON text (tool-call arguments, JSON tool results),
 * keeping its formatting and keys; the result is valid JSON when the input was. A text that is
 * not JSON is redacted as plain text.
 *
 * @example
 * ```ts
 * import { piiPolicy, redactJson, Vault } from "@am/guard"
 * redactJson('{"to": "bob@example.com", "n": 2}', Vault.make(), piiPolicy("redact")).text
 * // '{"to": "⟦EMAIL_1⟧", "n": 2}'
 * ```
 */
export const redactJson = (json: string, vault: Vault, policy: PiiPolicy): Redacted => {
  const r = redactJsonWithView(json, vault, policy, false)
  return { text: r.text, findings: r.findings }
}

/** `redactJson`, also building the firewall's view. */
export const redactJsonWithView = (json: string, vault: Vault, policy: PiiPolicy, prepare = true): RedactedView => {
  if (!looksLikeJson(json)) return redactWithView(json, vault, policy, prepare)
  const findings: RedactionFinding[] = []
  let text = ""
  let view = ""
  let at = 0
  JSON_STRING.lastIndex = 0
  for (let m = JSON_STRING.exec(json); m !== null; m = JSON_STRING.exec(json)) {
    const literal = m[0]
    if (isKey(json, m.index + literal.length)) continue
    let value: string
    try {
      value = JSON.parse(literal) as string
    } catch {
      continue
    }
    const r = redactWithView(value, vault, policy, false)
    if (r.findings.length === 0) continue
    findings.push(...r.findings)
    const before = json.slice(at, m.index)
    text += before + JSON.stringify(r.text)
    view += before + JSON.stringify(r.view)
    at = m.index + literal.length
  }
  if (findings.length === 0) return { text: json, view: json, findings: none }
  const rest = json.slice(at)
  return { text: text + rest, view: view + rest, findings }
}

/** Whether a text is (probably) a JSON object or array. */
export const looksLikeJson = (text: string): boolean => {
  const t = text.trimStart()
  return t.startsWith("{") || t.startsWith("[")
}

const isKey = (json: string, after: number): boolean => {
  for (let i = after; i < json.length; i++) {
    const c = json.charCodeAt(i)
    if (c === 32 || c === 9 || c === 10 || c === 13) continue
    return c === 58
  }
  return false
}
