/**
 * The one error every gateway route fails with. Its `reason` says what went wrong as a tagged
 * union (each member with the fields that belong to it, and a human message); the engine's
 * failures travel inside as `EngineFailed { error }`. Routes never build HTTP responses for failures:
 * `ErrorResponse.errorResponse` renders a `GatewayError` to OpenAI's error body, its status and
 * its headers, in one place.
 *
 * @example
 * ```ts
 * import { GatewayError, Unauthorized } from "@am/gateway"
 * import { Effect } from "effect"
 * const refuse = Effect.fail(new GatewayError({ reason: new Unauthorized({ detail: "missing bearer token" }) }))
 * refuse.pipe(Effect.catchReason("GatewayError", "Unauthorized", (r) => Effect.succeed(r.detail)))
 * ```
 * @since 0.1.0
 */
import { EngineError } from "@am/engine"
import { Schema } from "effect"

/** No, malformed or unknown gateway key. `detail` says which (never the key). */
export class Unauthorized extends Schema.TaggedClass<Unauthorized>()("Unauthorized", {
  detail: Schema.String
}) {
  get message(): string {
    return this.detail
  }
}

/** A request the gateway cannot read or accept as sent; `field` names the bad field or header. */
export class InvalidRequest extends Schema.TaggedClass<InvalidRequest>()("InvalidRequest", {
  detail: Schema.String,
  field: Schema.optionalKey(Schema.String)
}) {
  get message(): string {
    return this.detail
  }
}

/** A body larger than the gateway accepts. */
export class RequestTooLarge extends Schema.TaggedClass<RequestTooLarge>()("RequestTooLarge", {
  maxBytes: Schema.Int
}) {
  get message(): string {
    return `the request body exceeds ${this.maxBytes} bytes`
  }
}

/** A body that is not declared `application/json`; `contentType` is what was sent, if anything. */
export class UnsupportedMediaType extends Schema.TaggedClass<UnsupportedMediaType>()("UnsupportedMediaType", {
  contentType: Schema.optionalKey(Schema.String)
}) {
  get message(): string {
    const got = this.contentType === undefined ? "none" : JSON.stringify(this.contentType.slice(0, 100))
    return `Content-Type must be application/json (got ${got})`
  }
}

/** No such route, or no such thing behind an operator route; `what` names it. */
export class NotFound extends Schema.TaggedClass<NotFound>()("NotFound", {
  what: Schema.String
}) {
  get message(): string {
    return `no ${this.what}`
  }
}

/** `GET /v1/models/{id}` for a model the gateway does not serve (OpenAI's 404 `model_not_found`). */
export class ModelNotFound extends Schema.TaggedClass<ModelNotFound>()("ModelNotFound", {
  model: Schema.String
}) {
  get message(): string {
    return `The model '${this.model.slice(0, 200)}' does not exist or you do not have access to it.`
  }
}

/** A known path called with the wrong method; `allowed` is the one to use. */
export class MethodNotAllowed extends Schema.TaggedClass<MethodNotAllowed>()("MethodNotAllowed", {
  allowed: Schema.String
}) {
  get message(): string {
    return `use ${this.allowed}`
  }
}

/** The same `Idempotency-Key` is still in flight in this workspace; try again after `retryAfterMs`. */
export class IdempotencyInProgress extends Schema.TaggedClass<IdempotencyInProgress>()("IdempotencyInProgress", {
  retryAfterMs: Schema.Finite
}) {
  get message(): string {
    return "a request with this Idempotency-Key is still in progress"
  }
}

/** The `Idempotency-Key` was used before in this workspace with a different request body (422). */
export class IdempotencyKeyReused extends Schema.TaggedClass<IdempotencyKeyReused>()("IdempotencyKeyReused", {}) {
  get message(): string {
    return "this Idempotency-Key was already used with a different request body"
  }
}

/** The idempotency store did not answer, so the request was not run (rather than risk running it twice). */
export class IdempotencyUnavailable extends Schema.TaggedClass<IdempotencyUnavailable>()("IdempotencyUnavailable", {
  detail: Schema.String
}) {
  get message(): string {
    return `the idempotency store is unavailable (${this.detail}); retry the request`
  }
}

/** The gateway is draining: another replica should take the request. */
export class ShuttingDown extends Schema.TaggedClass<ShuttingDown>()("ShuttingDown", {}) {
  get message(): string {
    return "the gateway is shutting down"
  }
}

/** The engine could not serve the request: its `EngineError.reason` decides the answer. */
export class EngineFailed extends Schema.TaggedClass<EngineFailed>()("EngineFailed", {
  error: EngineError
}) {
  get message(): string {
    return this.error.message
  }
}

/** A bug of ours (a defect in a handler, logged with its cause where it was caught). */
export class Internal extends Schema.TaggedClass<Internal>()("Internal", {}) {
  get message(): string {
    return "internal error (logged)"
  }
}

/** Every reason a gateway request can fail for. */
export const GatewayErrorReason = Schema.Union([
  Unauthorized,
  InvalidRequest,
  RequestTooLarge,
  UnsupportedMediaType,
  NotFound,
  ModelNotFound,
  MethodNotAllowed,
  IdempotencyInProgress,
  IdempotencyKeyReused,
  IdempotencyUnavailable,
  ShuttingDown,
  EngineFailed,
  Internal
])
export type GatewayErrorReason = typeof GatewayErrorReason.Type

/** A request the gateway answers with an error; `reason` is what happened. */
export class GatewayError extends Schema.TaggedError<GatewayError>()("GatewayError", {
  reason: GatewayErrorReason
}) {
  override get message(): string {
    return this.reason.message
  }

  /** A `GatewayError` for an engine failure. */
  static engine(error: EngineError): GatewayError {
    return new GatewayError({ reason: new EngineFailed({ error }) })
  }

  /** A `GatewayError` for a request the gateway cannot accept as sent. */
  static invalid(detail: string, field?: string): GatewayError {
    return new GatewayError({
      reason: new InvalidRequest(field === undefined ? { detail } : { detail, field })
    })
  }
}
