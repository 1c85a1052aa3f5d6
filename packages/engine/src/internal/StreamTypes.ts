/**
 * The types a committed stream is made of: what the plan hands over at the first content token
 * (`Opened`, `Committed`), what the relay is given (`RelayInput`), how a stream ends, and the
 * relay's own bookkeeping (`RelayState`), which the relay and its settlement share.
 */
import type { CompletionChunk, GuardSession, ProviderFailure, Usage } from "@am/core"
import type { Array as Arr, Deferred, Effect, Fiber, Pull, Scope } from "effect"
import type { StreamSpec } from "../EngineConfig.ts"
import type { Resilience } from "../EngineError.ts"
import type { AttemptError, CallFailed, CallHandle, RequestState } from "./RequestState.ts"
import type { StreamOutput } from "./StreamOutput.ts"

export type NonEmptyChunks = Arr.NonEmptyReadonlyArray<CompletionChunk>
export type Finish = Extract<CompletionChunk, { readonly _tag: "Finish" }>

/** Content a client can see: not an empty (role-only) delta. */
export const isContent = (c: CompletionChunk) => c._tag !== "TextDelta" || c.text.length > 0

/** A stream at its first content token: that token (and what came with it), and the rest to pull. */
export interface Opened {
  readonly first: NonEmptyChunks
  readonly pull: Pull.Pull<NonEmptyChunks, ProviderFailure>
  readonly firstTokenAt: number
  /** Closes this attempt's upstream now (a cut stream's, before its continuation), not at the stream's end. */
  readonly release: Effect.Effect<void>
}

/** The committed stream's call: settled when the stream ends; `ended` tells its breaker-guarded fiber how. */
export interface Committed extends Opened {
  readonly handle: CallHandle
  /** Its attempt record's position in the trail. */
  readonly index: number
  readonly ended: Deferred.Deferred<void, CallFailed>
  readonly fiber: Fiber.Fiber<void, AttemptError>
}

export interface RelayInput {
  readonly state: RequestState
  /** The scope `Engine.stream` ran in: closing it ends the stream. */
  readonly outer: Scope.Scope
  /** The stream's own scope (its call's fiber and upstream), closed when it ends. */
  readonly scope: Scope.Closeable
  readonly limits: StreamSpec
  readonly committed: Committed
  readonly resilience: Resilience
  /** The guarded request's session: the client gets the originals back, never a placeholder. */
  readonly session?: GuardSession
}

export type StreamEnd =
  | { readonly _tag: "Completed" }
  | { readonly _tag: "Cut"; readonly failure: ProviderFailure }
  | { readonly _tag: "Deadline" }
  | { readonly _tag: "Interrupted" }

/** One attempt's part of a continued answer. */
export interface Segment {
  readonly provider: string
  readonly model: string
  readonly outputChars: number
  readonly cut?: string
  readonly usageEstimated?: boolean
}

/** The relay's bookkeeping over one stream, from its first token to its one end. */
export interface RelayState {
  /** The committed call: after a cut that is continued, the continuing one. */
  committed: Committed
  h: CallHandle
  readonly firstTokenMs: number
  /** The stream's time bound from the request's start (the later of the deadline and `maxDuration`). */
  readonly boundMs: number
  text: string
  outputChars: number
  // Continuation: the first cut's cause (what a stream that cannot be continued ends with),
  // whether the committed call is already settled (cut, then continued unsuccessfully), the
  // segments each attempt sent, the estimated usage of cut attempts, and the whitespace the
  // prefill dropped (the continuation's leading copy of it is not relayed twice).
  original: CallFailed | undefined
  settledCut: boolean
  readonly segments: Array<Segment>
  segmentChars: number
  cutUsage: Usage | undefined
  lead: string
  toolCalls: boolean
  /** The finishing attempt's own usage (the client's finish carries the sum). */
  ownUsage: Usage | undefined
  finish: Finish | undefined
  pending: ReadonlyArray<CompletionChunk> | undefined
  ending: boolean
  flushed: boolean
  readonly shaper: StreamOutput
}
