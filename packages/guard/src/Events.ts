/**
 * The `guard.*` events the engine publishes (core's event union adds these members): verdicts
 * only — counts per entity, scores, rule names, issue paths — never a value, a placeholder's
 * original, or prompt text. Shaped like core's `ResilienceEvent` members (`topic`, `at`,
 * `requestId`); the builders below leave `at` and `requestId` to the engine.
 *
 * | topic                    | when                                                        |
 * |--------------------------|-------------------------------------------------------------|
 * | `guard.pii.redacted`     | the input guard found values (counts per entity and action) |
 * | `guard.injection.scored` | the firewall scored a request (score, verdict, rule, action) |
 * | `guard.blocked`          | a request was refused before any provider call              |
 * | `guard.output.checked`   | an answer was checked against its output contract           |
 * | `guard.output.limited`   | an answer was sanitised or cut to its size limit            |
 * | `guard.verify.judged`    | a verifier judged an answer                                 |
 *
 * @example
 * ```ts
 * import { guardInputEvents, guardRequest, resolveGuardConfig } from "@am/guard"
 * const out = guardRequest([{ role: "user", content: "mail bob@example.com" }], resolveGuardConfig({ pii: "redact" }))
 * guardInputEvents(out) // [{ topic: "guard.pii.redacted", counts: [{ entity: "email", action: "redact", count: 1 }], total: 1 }]
 * ```
 * @since 0.2.0
 */
import { Schema } from "effect"
import { Entity, PiiAction } from "./Entity.ts"
import { contractKind, type OutputContract } from "./Contract.ts"
import type { GuardOutcome } from "./Guard.ts"
import type { OutputResult } from "./OutputContract.ts"
import { scrub } from "./Scrub.ts"

const base = { at: Schema.Finite, requestId: Schema.optionalKey(Schema.String) }
const t = <T extends string, F extends Schema.Struct.Fields>(topic: T, fields: F) =>
  Schema.Struct({ topic: Schema.Literal(topic), ...base, ...fields })

const Where = Schema.Struct({
  message: Schema.Number,
  part: Schema.String,
  source: Schema.Literals(["user", "indirect"])
})

const EntityCount = Schema.Struct({ entity: Entity, action: PiiAction, count: Schema.Number })

export const GuardPiiRedacted = t("guard.pii.redacted", {
  /** Per entity and action (`redact`, `mask`, `block`), how many values. */
  counts: Schema.Array(EntityCount),
  total: Schema.Number
})
export const GuardInjectionScored = t("guard.injection.scored", {
  score: Schema.Number,
  verdict: Schema.Literals(["pass", "flag", "block"]),
  /** What the policy did: `block` refuses, `flag` proceeds with the verdict recorded. */
  action: Schema.Literals(["pass", "flag", "block"]),
  rule: Schema.optionalKey(Schema.String),
  rules: Schema.Array(Schema.String),
  where: Schema.optionalKey(Where)
})
export const GuardBlockedEvent = t("guard.blocked", {
  reason: Schema.Literals(["injection", "pii", "request_too_large"]),
  rule: Schema.String,
  score: Schema.optionalKey(Schema.Number),
  entity: Schema.optionalKey(Entity)
})
export const GuardOutputChecked = t("guard.output.checked", {
  contract: Schema.Literals(["standard_schema", "json_schema", "json_object"]),
  /** `valid`, `invalid` (a repair follows), `repaired` (valid after the repair), `failed` (invalid twice). */
  result: Schema.Literals(["valid", "invalid", "repaired", "failed"]),
  attempt: Schema.Number,
  issues: Schema.Number,
  /** Issue paths (scrubbed; keys of the answer, never values), at most 10. */
  paths: Schema.Array(Schema.String)
})
export const GuardOutputLimited = t("guard.output.limited", {
  sanitized: Schema.Boolean,
  /** Characters removed by sanitisation. */
  removed: Schema.Number,
  truncated: Schema.Boolean,
  limit: Schema.optionalKey(Schema.Number)
})
export const GuardVerifyJudged = t("guard.verify.judged", {
  verdict: Schema.Literals(["pass", "fail", "none"]),
  score: Schema.optionalKey(Schema.Number),
  threshold: Schema.Number,
  action: Schema.Literals(["accept", "retry"])
})

/** Every `guard.*` event. */
export const GuardEvent = Schema.Union([
  GuardPiiRedacted,
  GuardInjectionScored,
  GuardBlockedEvent,
  GuardOutputChecked,
  GuardOutputLimited,
  GuardVerifyJudged
])
export type GuardEvent = typeof GuardEvent.Type

/** A `guard.*` event before the engine stamps `at` and `requestId`. */
export type GuardEventPayload = GuardEvent extends infer E
  ? E extends unknown
    ? Omit<E, "at" | "requestId">
    : never
  : never

/**
 * The events of an input guard's outcome: `guard.pii.redacted` when values were found,
 * `guard.injection.scored` when the firewall ran, `guard.blocked` when the request is refused.
 */
export const guardInputEvents = (outcome: GuardOutcome): ReadonlyArray<GuardEventPayload> => {
  const events: GuardEventPayload[] = []
  const { pii, injection } = outcome.request
  if (pii.length > 0) {
    // In order of first occurrence; a linear search over the few (entity, action) pairs, not a
    // map keyed by a string built per finding (~1 µs for a dozen values in `./am bench guards`).
    const counts: Array<{ entity: Entity; action: PiiAction; count: number }> = []
    for (const f of pii) {
      let c: { entity: Entity; action: PiiAction; count: number } | undefined
      for (const k of counts) {
        if (k.entity === f.entity && k.action === f.action) {
          c = k
          break
        }
      }
      if (c === undefined) counts.push({ entity: f.entity, action: f.action, count: 1 })
      else c.count++
    }
    events.push({ topic: "guard.pii.redacted", counts, total: pii.length })
  }
  if (injection !== undefined) {
    events.push({
      topic: "guard.injection.scored",
      score: injection.score,
      verdict: injection.verdict,
      action: outcome._tag === "Blocked" && outcome.error.reason === "injection" ? "block" : injection.verdict,
      ...(injection.rules[0] === undefined ? {} : { rule: injection.rules[0] }),
      rules: injection.rules,
      ...(injection.where === undefined ? {} : { where: injection.where })
    })
  }
  if (outcome._tag === "Blocked") {
    const e = outcome.error
    events.push({
      topic: "guard.blocked",
      reason: e.reason,
      rule: e.rule,
      score: e.score,
      ...(e.entity === undefined ? {} : { entity: e.entity as Entity })
    })
  }
  return events
}

/**
 * The `guard.output.checked` event of a contract check. `repair` says whether this answer is the
 * repair attempt's: a valid one is `repaired`, an invalid one `failed`; otherwise `valid` or
 * `invalid` (a repair follows).
 */
export const outputCheckedEvent = (
  contract: OutputContract,
  result: OutputResult<unknown>,
  options: { readonly attempt: number; readonly repair: boolean }
): GuardEventPayload => ({
  topic: "guard.output.checked",
  contract: contractKind(contract),
  result: result._tag === "Valid" ? (options.repair ? "repaired" : "valid") : options.repair ? "failed" : "invalid",
  attempt: options.attempt,
  issues: result._tag === "Valid" ? 0 : result.issues.length,
  paths: result._tag === "Valid" ? [] : result.issues.slice(0, 10).map((i) => scrub(i.path, [], { maxLength: 100 }))
})
