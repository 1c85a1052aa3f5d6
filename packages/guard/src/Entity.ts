/**
 * The kinds of sensitive value the detector finds, and the per-entity policy.
 *
 * | entity   | what                                                                                   | placeholder   |
 * |----------|----------------------------------------------------------------------------------------|---------------|
 * | `email`  | `local@domain.tld`                                                                     | `⟦EMAIL_n⟧`   |
 * | `phone`  | E.164 (`+44 20 7946 0958`), `00`-prefixed, NANP `(415) 555-0100`, national `020 7946 0958` | `⟦PHONE_n⟧` |
 * | `card`   | 13–19 digit payment cards, Luhn-checked, IIN 2–6                                       | `⟦CARD_n⟧`    |
 * | `iban`   | IBANs of the registry's length, mod-97 checked                                         | `⟦IBAN_n⟧`    |
 * | `ssn`    | US SSNs `123-45-6789` (SSA invalid-area rules)                                         | `⟦SSN_n⟧`     |
 * | `ip`     | IPv4 and IPv6 addresses                                                                | `⟦IP_n⟧`      |
 * | `secret` | provider keys, tokens, JWTs, private keys, URL credentials (gitleaks' rule set)        | `⟦SECRET_n⟧`  |
 *
 * @example
 * ```ts
 * import { ENTITIES, placeholderLabel } from "@am/guard"
 * ENTITIES.length // 7
 * placeholderLabel("email") // "EMAIL"
 * ```
 * @since 0.1.0
 */
import { Schema } from "effect"

export const ENTITIES = ["email", "phone", "card", "iban", "ssn", "ip", "secret"] as const

/** One kind of sensitive value. */
export const Entity = Schema.Literals(ENTITIES)
export type Entity = typeof Entity.Type

/** What happens to a value of one entity: replaced reversibly, masked for good, refused, or left. */
export const PiiAction = Schema.Literals(["redact", "mask", "block", "off"])
export type PiiAction = typeof PiiAction.Type

/** The action for every entity. */
export type PiiPolicy = Readonly<Record<Entity, PiiAction>>

const LABELS = Object.fromEntries(ENTITIES.map((e) => [e, e.toUpperCase()])) as Readonly<Record<Entity, string>>

/** The placeholder label of an entity (`email` → `EMAIL`). */
export const placeholderLabel = (entity: Entity): string => LABELS[entity]

/**
 * A policy with one action for every entity, or a partial per-entity record over a default.
 *
 * @example
 * ```ts
 * import { piiPolicy } from "@am/guard"
 * piiPolicy({ secret: "block" }).secret // "block"
 * piiPolicy({ secret: "block" }).email // "redact"
 * ```
 */
export const piiPolicy = (
  spec: PiiAction | Partial<Record<Entity, PiiAction>> = "redact",
  fallback: PiiAction = "redact"
): PiiPolicy => {
  const out = {} as Record<Entity, PiiAction>
  for (const e of ENTITIES) out[e] = typeof spec === "string" ? spec : (spec[e] ?? fallback)
  return out
}
