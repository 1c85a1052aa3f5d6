/**
 * What a rewriter takes and returns, and the service shape every rewriter implements.
 *
 * @example
 * ```ts
 * import type { RewriteInput } from "@am/rewriter"
 * const input: RewriteInput = { messages: [{ role: "user", content: "How do I kill a stuck process?" }], reason: "content_filter" }
 * ```
 * @since 0.1.0
 */
import type { ChatMessage } from "@am/core"
import type { Effect } from "effect"
import type { RewriteFailed, RewriterKind } from "./RewriteFailed.ts"

export interface RewriteInput {
  /** The conversation as it was blocked; only the last user message is rephrased. */
  readonly messages: ReadonlyArray<ChatMessage>
  /** Why it was blocked, e.g. the classification's `errorType` (`content_filter`, `refusal`, `SAFETY`). */
  readonly reason: string
  /** The engine's request id, for tracing. */
  readonly requestId?: string
}

export interface RewriteResult {
  /** The same conversation with the last user message rephrased; every other message is kept as it was. */
  readonly messages: ReadonlyArray<ChatMessage>
  readonly rewriter: RewriterKind
  /** Time spent on the rewrite, from the Clock. */
  readonly latencyMs: number
}

/** The service shape: rephrase once, or fail with a typed `RewriteFailed`. */
export interface PromptRewriterShape {
  readonly rewrite: (input: RewriteInput) => Effect.Effect<RewriteResult, RewriteFailed>
}
