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
import { detect } from "./Detect.ts"
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

/** The irreversible placeholder of an entity (`⟦EMAIL⟧`). */
export const maskOf = (entity: Entity): string => `${OPEN}${placeholderLabel(entity)}${CLOSE}`

const none: ReadonlyArray<RedactionFinding> = []

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
  const found = detect(text)
  if (found.length === 0) return { text, findings: none }
  const findings: RedactionFinding[] = []
  let out = ""
  let at = 0
  for (const f of found) {
    const action = policy[f.entity]
    if (action === "off") continue
    const value = text.slice(f.start, f.end)
    out += text.slice(at, f.start) + (action === "redact" ? vault.placeholderFor(f.entity, value) : maskOf(f.entity))
    at = f.end
    findings.push({ entity: f.entity, rule: f.rule, action })
  }
  return findings.length === 0 ? { text, findings: none } : { text: out + text.slice(at), findings }
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
  if (!looksLikeJson(json)) return redactText(json, vault, policy)
  const findings: RedactionFinding[] = []
  let changed = false
  const text = json.replace(JSON_STRING, (literal: string, offset: number) => {
    if (isKey(json, offset + literal.length)) return literal
    let value: string
    try {
      value = JSON.parse(literal) as string
    } catch {
      return literal
    }
    const r = redactText(value, vault, policy)
    if (r.findings.length === 0) return literal
    changed = true
    findings.push(...r.findings)
    return JSON.stringify(r.text)
  })
  return changed ? { text, findings } : { text: json, findings: none }
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
