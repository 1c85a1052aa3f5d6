/**
 * The error of a call a circuit rejected: it did not run.
 *
 * @example
 * ```ts
 * import { CircuitOpen } from "@am/breaker"
 * new CircuitOpen({ breaker: "provider:primary", provider: "primary", retryAfterMs: 2000 }).message
 * // "Circuit provider:primary is open for another 2000 ms"
 * ```
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * A call rejected by an open circuit, or by a half-open one whose probe is still running.
 * The call did not run. `retryAfterMs` is the remaining open time (absent while half-open).
 */
export class CircuitOpen extends Schema.TaggedError<CircuitOpen>()("CircuitOpen", {
  breaker: Schema.String,
  provider: Schema.String,
  model: Schema.optionalKey(Schema.String),
  retryAfterMs: Schema.optionalKey(Schema.Number),
  /** Held open by an operator (`override`), not tripped by failures. */
  forced: Schema.optionalKey(Schema.Boolean)
}) {
  override get message(): string {
    if (this.forced === true) return `Circuit ${this.breaker} is held open by an operator`
    return this.retryAfterMs === undefined
      ? `Circuit ${this.breaker} is half-open with a probe in flight`
      : `Circuit ${this.breaker} is open for another ${Math.ceil(this.retryAfterMs)} ms`
  }
}
