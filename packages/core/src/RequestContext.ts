/**
 * Request ids and the per-request context every package reads.
 *
 * @example
 * ```ts
 * import { RequestId } from "@am/core"
 * const id = RequestId.make() // "req_…"
 * ```
 * @since 0.1.0
 */
import { randomBytes } from "node:crypto"
import { Context, Schema } from "effect"

/** `req_` + 24 lowercase base32-ish characters; sortable by nothing, unique enough for audit. */
export const RequestIdSchema = Schema.String.check(Schema.isPattern(/^req_[a-z0-9]{8,64}$/)).pipe(
  Schema.brand("RequestId")
)
export type RequestId = typeof RequestIdSchema.Type

// A random 16-hex-digit prefix per process plus a counter: unique across replicas (the prefix)
// and within a process (the counter), without a random draw on every request.
const processPrefix = randomBytes(8).toString("hex")
let counter = 0

export const RequestId = {
  schema: RequestIdSchema,
  make: (): RequestId => `req_${processPrefix}${(counter++).toString(36).padStart(8, "0")}` as RequestId
}

export const RequestContextSchema = Schema.Struct({
  requestId: RequestIdSchema,
  workspaceId: Schema.optionalKey(Schema.String),
  pipelineRunId: Schema.optionalKey(Schema.String),
  stage: Schema.optionalKey(Schema.String),
  route: Schema.String,
  /** Epoch milliseconds (the Clock's). */
  startedAt: Schema.Finite,
  /** Epoch milliseconds by which the whole request must be done. */
  deadlineAt: Schema.Finite
})
export type RequestContextShape = typeof RequestContextSchema.Type

/** The context of the request being served, provided by the engine for the request's fibers. */
export class RequestContext extends Context.Service<RequestContext, RequestContextShape>()("@am/core/RequestContext") {}
