/**
 * The engine's public shapes: what `complete` and `stream` answer, what operators read, and the
 * service interface. In their own file so the stage modules import them without running back up
 * into `Engine.ts`.
 *
 * @example
 * ```ts
 * import type { EngineCompletion } from "@am/engine"
 * const show = (answer: EngineCompletion) => `${answer.resilience.provider}: ${answer.resilience.attempts.length} call(s)`
 * ```
 * @since 0.1.0
 */
import type { BreakerSnapshot } from "@am/breaker"
import type { Completion, CompletionChunk, CompletionRequest, EmbeddingRequest, Embeddings } from "@am/core"
import type { KeySnapshot } from "@am/keyring"
import type { Effect, Scope, StandardSchema, Stream } from "effect"
import type { EngineConfig } from "./EngineConfig.ts"
import type { EngineError, Resilience } from "./EngineError.ts"

/** A completion with the `resilience` record of how it was obtained. */
export interface EngineCompletion extends Completion {
  readonly resilience: Resilience
  /** The parsed answer, when the request carried an output contract (a schema or `responseFormat`). */
  readonly output?: unknown
}

/**
 * Per-request options of `complete`: an output contract as a Standard Schema (zod, Effect Schema,
 * …). The answer is parsed and validated; a failure gets one repair attempt, a second failure
 * fails with `output_invalid`. Without it, a `responseFormat` of `json_schema` / `json_object` is
 * the contract.
 */
export interface CompleteOptions {
  readonly schema?: StandardSchema.StandardSchemaV1
}

/** Embeddings with the `resilience` record of how they were obtained. */
export interface EngineEmbeddings extends Embeddings {
  readonly resilience: Resilience
}

/** What operators can read about the engine's live state. Never secrets. */
export interface EngineState {
  readonly breakers: ReadonlyArray<BreakerSnapshot>
  readonly keys: ReadonlyArray<KeySnapshot>
  readonly budget: Readonly<Record<string, number>>
}

/**
 * A streamed answer, returned once a candidate produced its first content token (the commit).
 * `chunks` must be consumed once; the request's ledger entry is written when it ends (finished,
 * failed, or stopped by the consumer) or when the `Scope` `stream` ran in closes, whichever is first.
 */
export interface EngineStream {
  readonly requestId: string
  /** The committed candidate's provider id. */
  readonly provider: string
  readonly model: string
  /** Calls made up to and including the committed one. */
  readonly attempts: number
  /** The trail up to the commit (outcome `SUCCESS` or `MITIGATED_SUCCESS` so far). */
  readonly resilience: Resilience
  /**
   * From the first content chunk on (empty deltas dropped), ending with exactly one `Finish`.
   * Fails with code `stream_interrupted` when the provider fails or stalls after the first token,
   * `deadline_exceeded` when the stream's time bound passes mid-stream (the later of the request's
   * deadline and `stream.maxDuration`, both from the request's start: the deadline alone bounds
   * the time to the commit).
   */
  readonly chunks: Stream.Stream<CompletionChunk, EngineError>
}

/** Per-request overrides of the config's `stream` timeouts. */
export interface StreamOptions {
  readonly firstTokenTimeoutMs?: number
  readonly stallTimeoutMs?: number
  /** How long the committed stream may run, from the request's start (`stream.maxDuration`). */
  readonly maxDurationMs?: number
}

export interface EngineShape {
  readonly complete: (
    request: CompletionRequest,
    options?: CompleteOptions
  ) => Effect.Effect<EngineCompletion, EngineError>
  /**
   * Streams the answer with failover until the first content token (see `EngineStream`). Fails,
   * before any chunk, with the same `EngineError` `complete` would give when no candidate commits.
   */
  readonly stream: (
    request: CompletionRequest,
    options?: StreamOptions
  ) => Effect.Effect<EngineStream, EngineError, Scope.Scope>
  /**
   * Embeds texts with failover across the route's embedding models (key rotation, breakers,
   * retry budget and the deadline as for `complete`); candidates that cannot embed are skipped by
   * capability. Every vector has the route's dimension count (or `request.dimensions`).
   */
  readonly embed: (request: EmbeddingRequest) => Effect.Effect<EngineEmbeddings, EngineError>
  readonly state: Effect.Effect<EngineState>
  readonly config: EngineConfig
}
