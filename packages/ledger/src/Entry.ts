/**
 * How a request becomes a ledger entry: its user text hashed and previewed, every free-text field
 * redacted, the resilience score, and the chain fields from the head it is appended to. Pure (no
 * store is touched), so the single writer and the tests build entries the same way.
 *
 * @since 0.1.0
 */
import {
  type AttemptRecord,
  type ChatMessage,
  contentText,
  type LedgerEntry,
  type LedgerInput,
  promptSha256
} from "@am/core"
import { GENESIS_HASH, hashEntry } from "./Chain.ts"
import type { Head } from "./internal/Rechain.ts"
import { preview, redact } from "./Redact.ts"
import { resilienceScore } from "./ResilienceScore.ts"

/** Preview lengths in characters (seed 004: 512 for prompts, 1024 for the response). */
export interface PreviewLengths {
  readonly initialPrompt: number
  readonly finalPrompt: number
  readonly response: number
}

export const DEFAULT_PREVIEW_LENGTHS: PreviewLengths = { initialPrompt: 512, finalPrompt: 512, response: 1024 }

const userText = (messages: ReadonlyArray<ChatMessage>): string =>
  messages
    .filter((m) => m.role === "user")
    .map((m) => contentText(m.content))
    .join("\n")

const redactAttempt = (a: AttemptRecord, max: number): AttemptRecord =>
  a.message === undefined ? a : { ...a, message: preview(a.message, max) }

/**
 * Builds an entry (without touching any store): everything but the chain fields is a pure
 * function of the input; `head` supplies `seq` and `prevHash`.
 *
 * @example
 * ```ts
 * import { buildEntry } from "@am/ledger"
 * declare const input: import("@am/core").LedgerInput
 * const first = buildEntry(input, undefined) // seq 1, prevHash = GENESIS_HASH
 * ```
 */
export const buildEntry = (
  input: LedgerInput,
  head: Head | undefined,
  options?: { readonly previewLengths?: Partial<PreviewLengths>; readonly attemptMessageLength?: number }
): LedgerEntry => {
  const lengths = { ...DEFAULT_PREVIEW_LENGTHS, ...options?.previewLengths }
  const messageMax = options?.attemptMessageLength ?? 1024
  const initial = userText(input.initialMessages)
  const final = input.finalMessages === undefined ? undefined : userText(input.finalMessages)
  const body: Omit<LedgerEntry, "hash"> = {
    seq: (head?.seq ?? 0) + 1,
    requestId: input.requestId,
    startedAt: input.startedAt,
    finishedAt: input.finishedAt,
    ...(input.workspaceId !== undefined ? { workspaceId: input.workspaceId } : {}),
    ...(input.pipelineRunId !== undefined ? { pipelineRunId: input.pipelineRunId } : {}),
    ...(input.stage !== undefined ? { stage: input.stage } : {}),
    route: input.route,
    promptSha256: promptSha256(input.initialMessages),
    initialPromptPreview: preview(initial, lengths.initialPrompt),
    ...(final !== undefined && final !== initial ? { finalPromptPreview: preview(final, lengths.finalPrompt) } : {}),
    ...(input.responseText !== undefined && input.responseText !== ""
      ? { responsePreview: preview(input.responseText, lengths.response) }
      : {}),
    outcome: input.outcome,
    ...(input.failureCode !== undefined ? { failureCode: redact(input.failureCode) } : {}),
    attempts: input.attempts.map((a) => redactAttempt(a, messageMax)),
    events: input.events.map((e) => ({ topic: e.topic, at: e.at })),
    ...(input.provider !== undefined ? { provider: input.provider } : {}),
    ...(input.model !== undefined ? { model: input.model } : {}),
    ...(input.keyFingerprint !== undefined ? { keyFingerprint: input.keyFingerprint } : {}),
    latencyMs: input.latencyMs,
    apiCalls: input.apiCalls,
    ...(input.usage !== undefined ? { usage: input.usage } : {}),
    ...(input.costUsd !== undefined ? { costUsd: input.costUsd } : {}),
    mitigationAttempted: input.mitigationAttempted,
    mitigationSucceeded: input.mitigationSucceeded,
    ...(input.stream !== undefined ? { stream: { ...input.stream } } : {}),
    ...(input.guard !== undefined ? { guard: { ...input.guard } } : {}),
    ...(input.replayed === true ? { replayed: true } : {}),
    ...(input.cacheHit === true ? { cacheHit: true } : {}),
    ...(input.originalRequestId !== undefined ? { originalRequestId: input.originalRequestId } : {}),
    ...(input.droppedFields !== undefined && input.droppedFields.length > 0
      ? { droppedFields: [...input.droppedFields] }
      : {}),
    resilienceScore: resilienceScore(input),
    prevHash: head?.hash ?? GENESIS_HASH
  }
  return { ...body, hash: hashEntry(body) }
}
