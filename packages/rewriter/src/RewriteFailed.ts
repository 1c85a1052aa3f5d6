/**
 * The one typed failure of a rewrite. A failed rewrite is an outcome the engine records
 * (`prompt.humanization.failure`) and answers with a `content_policy` error — never a defect.
 *
 * @example
 * ```ts
 * import { RewriteFailed } from "@am/rewriter"
 * const e = new RewriteFailed({ rewriter: "rule", reason: "unchanged", message: "no rule applied", latencyMs: 0 })
 * e.reason // "unchanged"
 * ```
 * @since 0.1.0
 */
import { Schema } from "effect"

/** Which rewriter produced a result or a failure. */
export const RewriterKind = Schema.Literals(["llm", "rule"])
export type RewriterKind = typeof RewriterKind.Type

/**
 * Why a rewrite failed:
 *
 * | reason             | meaning                                                                                  |
 * | ------------------ | ---------------------------------------------------------------------------------------- |
 * | `timeout`          | the rewriter's own timeout passed (or its provider reported a timeout)                    |
 * | `provider_failure` | the rewriter's provider failed, crashed, or no key could be obtained                     |
 * | `empty`            | no usable rewrite: blank output, an echo of the meta-prompt, output cut off at `maxTokens`, or (rule) nothing left after stripping |
 * | `refused`          | the rewriter model refused, or its content filter blocked the rewrite                    |
 * | `unchanged`        | the rewrite equals the original text (rule: no rule of the table applied)                |
 * | `no_user_text`     | there is no user message, or the last one has no text                                    |
 */
export const RewriteFailureReason = Schema.Literals([
  "timeout",
  "provider_failure",
  "empty",
  "refused",
  "unchanged",
  "no_user_text"
])
export type RewriteFailureReason = typeof RewriteFailureReason.Type

/** A rewrite that did not produce a usable prompt. `message` is sanitised: it never carries key material. */
export class RewriteFailed extends Schema.TaggedError<RewriteFailed>()("RewriteFailed", {
  rewriter: RewriterKind,
  reason: RewriteFailureReason,
  message: Schema.String,
  /** Time spent on the rewrite, from the Clock. */
  latencyMs: Schema.Number
}) {}
