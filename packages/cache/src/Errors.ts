/**
 * The package's typed errors: `IdempotencyError` (a `reason` union: in progress, key reused,
 * store unavailable, invalid key) and `CacheConfigError` for a bad layer config.
 *
 * @example
 * ```ts
 * import { IdempotencyError, InProgress } from "@am/cache"
 * import { Effect } from "effect"
 * const busy = Effect.fail(new IdempotencyError({ reason: new InProgress({ retryAfterMs: 1000 }) }))
 * busy.pipe(Effect.catchReason("IdempotencyError", "InProgress", (r) => Effect.succeed(r.retryAfterMs)))
 * ```
 * @since 0.1.0
 */
import { Schema } from "effect"

/** The key is still in flight (on this or another replica); try again after `retryAfterMs`. */
export class InProgress extends Schema.TaggedClass<InProgress>()("InProgress", {
  retryAfterMs: Schema.Finite
}) {
  get message(): string {
    return "a request with this Idempotency-Key is still in progress"
  }
}

/** The key was used before with a different request body (HTTP 422 `idempotency_key_reused`). */
export class KeyReused extends Schema.TaggedClass<KeyReused>()("KeyReused", {}) {
  get message(): string {
    return "this Idempotency-Key was already used with a different request body"
  }
}

/** The lease or result store did not answer; `operation` says which step. Nothing was run. */
export class StoreUnavailable extends Schema.TaggedClass<StoreUnavailable>()("StoreUnavailable", {
  operation: Schema.String,
  detail: Schema.String
}) {
  get message(): string {
    return `idempotency store unavailable during ${this.operation}: ${this.detail}`
  }
}

/** The workspace or key cannot be used; `field` names which. */
export class InvalidKey extends Schema.TaggedClass<InvalidKey>()("InvalidKey", {
  field: Schema.String,
  detail: Schema.String
}) {
  get message(): string {
    return `${this.field}: ${this.detail}`
  }
}

/** Every reason an idempotent call can be refused for. */
export const IdempotencyErrorReason = Schema.Union([InProgress, KeyReused, StoreUnavailable, InvalidKey])
export type IdempotencyErrorReason = typeof IdempotencyErrorReason.Type

/** An idempotent call that was not run (and not replayed); `reason` says why. */
export class IdempotencyError extends Schema.TaggedError<IdempotencyError>()("IdempotencyError", {
  reason: IdempotencyErrorReason
}) {
  override get message(): string {
    return this.reason.message
  }
}

/** A layer config field that cannot be honoured; `field` is its path (e.g. `routes.chat.ttl`). */
export class CacheConfigError extends Schema.TaggedError<CacheConfigError>()("CacheConfigError", {
  field: Schema.String,
  detail: Schema.String
}) {
  override get message(): string {
    return `invalid cache config at ${this.field}: ${this.detail}`
  }
}
