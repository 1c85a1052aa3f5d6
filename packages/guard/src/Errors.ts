/**
 * The guard's typed errors.
 *
 * @example
 * ```ts
 * import { GuardBlocked } from "@am/guard"
 * new GuardBlocked({ reason: "injection", rule: "override.ignore_previous", score: 0.9 }).message
 * // "guard blocked the request: injection (override.ignore_previous, score 0.9)"
 * ```
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * The request was refused before any provider call: an injection at or above the block threshold
 * (`reason: "injection"`), or a value of an entity whose PII policy is `block` (`reason: "pii"`,
 * `rule` names the detector, `entity` the kind; never the value). The gateway renders it as HTTP
 * 400 with code `guard_blocked`.
 */
export class GuardBlocked extends Schema.TaggedError<GuardBlocked>()("GuardBlocked", {
  reason: Schema.Literals(["injection", "pii"]),
  rule: Schema.String,
  score: Schema.Number,
  entity: Schema.optionalKey(Schema.String),
  where: Schema.optionalKey(Schema.Struct({ message: Schema.Number, part: Schema.String }))
}) {
  override get message(): string {
    return `guard blocked the request: ${this.reason} (${this.rule}, score ${this.score})`
  }
}
