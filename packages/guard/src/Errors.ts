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

/**
 * A size limit of the config was exceeded: the request's text is above the model's
 * `maxRequestChars` (refused before any provider call; the gateway answers 400
 * `request_too_large`), or the answer is above `maxAnswerChars` under `answerOverflow: "fail"`.
 * Carries sizes only, never content.
 */
export class GuardLimitExceeded extends Schema.TaggedError<GuardLimitExceeded>()("GuardLimitExceeded", {
  reason: Schema.Literals(["request_too_large", "answer_too_large"]),
  limit: Schema.Number,
  size: Schema.Number,
  model: Schema.optionalKey(Schema.String)
}) {
  override get message(): string {
    const what = this.reason === "request_too_large" ? "request" : "answer"
    return `the ${what} has ${this.size} characters, above the limit of ${this.limit}${this.model === undefined ? "" : ` for ${this.model}`}`
  }
}

/**
 * The answer failed its output contract, also after the repair attempt. `issues` are the last
 * validation issues (path + message, scrubbed of keys and PII by `outputInvalid`); the gateway
 * answers 422 `output_invalid`.
 */
export class OutputInvalid extends Schema.TaggedError<OutputInvalid>()("OutputInvalid", {
  issues: Schema.Array(Schema.Struct({ path: Schema.String, message: Schema.String })),
  attempts: Schema.Number
}) {
  override get message(): string {
    const first = this.issues[0]
    const more = this.issues.length > 1 ? ` (+${this.issues.length - 1} more)` : ""
    return first === undefined
      ? "the answer does not satisfy the output contract"
      : `the answer does not satisfy the output contract: ${first.path === "" ? "" : `${first.path}: `}${first.message}${more}`
  }
}
