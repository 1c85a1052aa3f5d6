/**
 * The audit and persistence contracts: what a request's record looks like (`LedgerEntry`,
 * `LlmRun`), and the store interfaces the ledger, the telemetry writer and the SQL layers
 * implement. Declared here so `@am/ledger`, `@am/telemetry`, `@am/store-sql` and the engine
 * depend on interfaces, not on each other.
 *
 * @example
 * ```ts
 * import { LedgerStore } from "@am/core"
 * import { Effect } from "effect"
 * const lastSeq = Effect.flatMap(Effect.service(LedgerStore), (s) => s.head)
 * ```
 * @since 0.1.0
 */
import { GuardVerdict } from "./RequestGuard.ts"
import { hash } from "node:crypto"
import { Context, type Effect, Schema } from "effect"
import { contentText } from "./ChatMessage.ts"
import { FailureClass, FailureScope } from "./Failure.ts"
import { RequestOutcome, type ResilienceEvent } from "./ResilienceEvent.ts"
import { Usage } from "./Usage.ts"

/** One provider call (or one skipped candidate) in a request's trail. Never carries a secret. */
export const AttemptRecord = Schema.Struct({
  provider: Schema.String,
  model: Schema.String,
  /** The key id (`k1`); the fingerprint sits beside it. */
  keyId: Schema.optionalKey(Schema.String),
  keyFingerprint: Schema.optionalKey(Schema.String),
  class: Schema.optionalKey(FailureClass),
  scope: Schema.optionalKey(FailureScope),
  errorType: Schema.optionalKey(Schema.String),
  status: Schema.optionalKey(Schema.Int),
  outcome: Schema.Literals(["success", "failure", "skipped"]),
  /** Why a candidate was skipped without a call (`circuit_open`, `no_healthy_key`, …). */
  skipped: Schema.optionalKey(Schema.String),
  latencyMs: Schema.Finite,
  retryAfterMs: Schema.optionalKey(Schema.Finite),
  /** Set on attempts made after the prompt was rewritten. */
  mitigated: Schema.optionalKey(Schema.Boolean),
  /** The sanitised provider message, for operators. */
  message: Schema.optionalKey(Schema.String),
  /** Tokens the provider billed for this attempt, when it reported them. */
  usage: Schema.optionalKey(Usage),
  /** Set on a self-verification call: the verifier judging an answer (billed like any call). */
  verifier: Schema.optionalKey(Schema.Boolean)
})
export type AttemptRecord = typeof AttemptRecord.Type

/** A lifecycle event in a ledger entry: its topic and time (the full events go to the event store). */
export const LedgerEvent = Schema.Struct({ topic: Schema.String, at: Schema.Finite })
export type LedgerEvent = typeof LedgerEvent.Type

/**
 * How a streamed answer went: the characters of output that reached the client, the time to the
 * first content token (from the request's start), and whether it was cut (ended without a finish).
 * Absent for non-streamed requests.
 */
export const LedgerStream = Schema.Struct({
  outputChars: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  firstTokenMs: Schema.optionalKey(Schema.Finite),
  cut: Schema.Boolean,
  /**
   * A stream continued after a cut: one segment per attempt that sent part of the answer, in
   * order — its candidate, the characters it sent, and for a cut one, why it was cut.
   */
  segments: Schema.optionalKey(
    Schema.Array(
      Schema.Struct({
        provider: Schema.String,
        model: Schema.String,
        outputChars: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
        cut: Schema.optionalKey(Schema.String),
        /** The cut attempt reported no usage: what it is billed is estimated (~4 characters per token). */
        usageEstimated: Schema.optionalKey(Schema.Boolean)
      })
    )
  ),
  /** Unparsable stream events the adapters skipped (each stream kept) on the request's calls. */
  malformedEvents: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)))
})
export type LedgerStream = typeof LedgerStream.Type

/**
 * One audit entry per request, whatever the outcome. `seq`, `prevHash` and `hash` chain the
 * entries (`@am/ledger` computes them; a store persists them as given).
 */
export const LedgerEntry = Schema.Struct({
  seq: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  requestId: Schema.String,
  /** Epoch milliseconds. */
  startedAt: Schema.Finite,
  finishedAt: Schema.Finite,
  workspaceId: Schema.optionalKey(Schema.String),
  pipelineRunId: Schema.optionalKey(Schema.String),
  stage: Schema.optionalKey(Schema.String),
  route: Schema.String,
  /** SHA-256 (hex) of the NFC-normalised, trimmed UTF-8 user content. */
  promptSha256: Schema.String,
  /** PII-redacted previews (default lengths 512 / 512 / 1024 characters). */
  initialPromptPreview: Schema.String,
  finalPromptPreview: Schema.optionalKey(Schema.String),
  responsePreview: Schema.optionalKey(Schema.String),
  outcome: RequestOutcome,
  failureCode: Schema.optionalKey(Schema.String),
  attempts: Schema.Array(AttemptRecord),
  events: Schema.Array(LedgerEvent),
  provider: Schema.optionalKey(Schema.String),
  model: Schema.optionalKey(Schema.String),
  keyFingerprint: Schema.optionalKey(Schema.String),
  latencyMs: Schema.Finite,
  apiCalls: Schema.Int,
  usage: Schema.optionalKey(Usage),
  costUsd: Schema.optionalKey(Schema.Finite),
  mitigationAttempted: Schema.Boolean,
  mitigationSucceeded: Schema.Boolean,
  /** Set for streamed requests. */
  stream: Schema.optionalKey(LedgerStream),
  /** The guards' verdicts (counts, scores, rules; never a value), when guards ran. */
  guard: Schema.optionalKey(GuardVerdict),
  /** `true` when the answer replayed an earlier request's stored result (same `Idempotency-Key`): no call, cost 0. */
  replayed: Schema.optionalKey(Schema.Boolean),
  /** `true` when the answer came from the response cache: no call, cost 0. */
  cacheHit: Schema.optionalKey(Schema.Boolean),
  /** On a replay or a cache hit, the request id of the call that produced the answer. */
  originalRequestId: Schema.optionalKey(Schema.String),
  /** What the answering provider could not honour (the gateway's `x-am-dropped-fields`), when anything. */
  droppedFields: Schema.optionalKey(Schema.Array(Schema.String)),
  resilienceScore: Schema.Finite,
  prevHash: Schema.String,
  hash: Schema.String
})
export type LedgerEntry = typeof LedgerEntry.Type

/** A storage backend failed (connection, constraint, timeout). */
export class StoreError extends Schema.TaggedError<StoreError>()("StoreError", {
  store: Schema.String,
  operation: Schema.String,
  message: Schema.String,
  /**
   * The write lost a race (a unique key — e.g. a ledger `seq` — already taken by another
   * writer): re-reading and retrying can succeed, unlike an outage.
   */
  conflict: Schema.optionalKey(Schema.Boolean)
}) {}

/** Where ledger entries are persisted, in `seq` order. */
export interface LedgerStoreShape {
  /** Appends entries whose `seq`/`prevHash`/`hash` are already set; fails on a duplicate `seq`. */
  readonly append: (entries: ReadonlyArray<LedgerEntry>) => Effect.Effect<void, StoreError>
  /** The last entry's `seq` and `hash` (`undefined` when empty). */
  readonly head: Effect.Effect<{ readonly seq: number; readonly hash: string } | undefined, StoreError>
  /** Entries with `seq >= fromSeq`, ascending, at most `limit`. */
  readonly range: (fromSeq: number, limit: number) => Effect.Effect<ReadonlyArray<LedgerEntry>, StoreError>
  readonly byRequestId: (requestId: string) => Effect.Effect<LedgerEntry | undefined, StoreError>
}
export class LedgerStore extends Context.Service<LedgerStore, LedgerStoreShape>()("@am/core/LedgerStore") {}

/** A row of `llm_runs` (seed `001_…` §3). */
export const LlmRun = Schema.Struct({
  id: Schema.String,
  workspaceId: Schema.String,
  pipelineRunId: Schema.optionalKey(Schema.String),
  stage: Schema.optionalKey(Schema.String),
  idempotencyKey: Schema.optionalKey(Schema.String),
  promptSha256: Schema.String,
  /** `INTERRUPTED`: the process ended (crash, kill) before the request finished; set on restart. */
  status: Schema.Literals(["STARTED", "SUCCEEDED", "FAILED", "INTERRUPTED"]),
  provider: Schema.optionalKey(Schema.String),
  model: Schema.optionalKey(Schema.String),
  inputTokens: Schema.optionalKey(Schema.Int),
  outputTokens: Schema.optionalKey(Schema.Int),
  totalTokens: Schema.optionalKey(Schema.Int),
  costUsd: Schema.optionalKey(Schema.Finite),
  latencyMs: Schema.optionalKey(Schema.Finite),
  errorCode: Schema.optionalKey(Schema.String),
  /** Epoch milliseconds. */
  createdAt: Schema.Finite,
  finishedAt: Schema.optionalKey(Schema.Finite),
  /** A replay of a finished idempotent request (no call, cost 0): the original's request id. */
  replayOf: Schema.optionalKey(Schema.String)
})
export type LlmRun = typeof LlmRun.Type

/** One row of a usage report: per workspace, provider and model over a date range. */
export interface UsageRow {
  readonly workspaceId: string
  readonly provider: string
  readonly model: string
  readonly requests: number
  readonly inputTokens: number
  readonly outputTokens: number
  readonly costUsd: number
}

/** `llm_runs`: a row per request, started then finished. */
export interface RunStoreShape {
  readonly start: (run: LlmRun) => Effect.Effect<void, StoreError>
  readonly finish: (
    id: string,
    fields: Pick<LlmRun, "status"> & Partial<Omit<LlmRun, "id" | "workspaceId" | "createdAt" | "promptSha256">>
  ) => Effect.Effect<void, StoreError>
  readonly get: (id: string) => Effect.Effect<LlmRun | undefined, StoreError>
  readonly usage: (options: {
    readonly workspaceId?: string
    readonly from: number
    readonly to: number
  }) => Effect.Effect<ReadonlyArray<UsageRow>, StoreError>
}
export class RunStore extends Context.Service<RunStore, RunStoreShape>()("@am/core/RunStore") {}

/** Where telemetry events are persisted, in batches. */
export interface EventStoreShape {
  readonly write: (events: ReadonlyArray<ResilienceEvent>) => Effect.Effect<void, StoreError>
  readonly since: (at: number, limit: number) => Effect.Effect<ReadonlyArray<ResilienceEvent>, StoreError>
}
export class EventStore extends Context.Service<EventStore, EventStoreShape>()("@am/core/EventStore") {}

/** What the engine hands the ledger when a request ends (however it ends). */
export interface LedgerInput {
  readonly requestId: string
  readonly startedAt: number
  readonly finishedAt: number
  readonly workspaceId?: string
  readonly pipelineRunId?: string
  readonly stage?: string
  readonly route: string
  /** The request's messages as received (the ledger hashes and previews the user content). */
  readonly initialMessages: ReadonlyArray<import("./ChatMessage.ts").ChatMessage>
  /** The messages actually sent after a rewrite, when there was one. */
  readonly finalMessages?: ReadonlyArray<import("./ChatMessage.ts").ChatMessage>
  /** The answer's text (for a preview), when there was one. */
  readonly responseText?: string
  readonly outcome: RequestOutcome
  readonly failureCode?: string
  readonly attempts: ReadonlyArray<AttemptRecord>
  readonly events: ReadonlyArray<LedgerEvent>
  readonly provider?: string
  readonly model?: string
  readonly keyFingerprint?: string
  readonly latencyMs: number
  readonly apiCalls: number
  readonly usage?: Usage
  readonly costUsd?: number
  readonly mitigationAttempted: boolean
  readonly mitigationSucceeded: boolean
  /** Set for streamed requests: output length, time to first token, whether the stream was cut. */
  readonly stream?: LedgerStream
  /** The guards' verdicts, when guards ran. */
  readonly guard?: GuardVerdict
  /** An idempotent replay of an earlier request's stored result (no call). */
  readonly replayed?: boolean
  /** Served from the response cache (no call). */
  readonly cacheHit?: boolean
  /** On a replay or a cache hit, the request id of the call that produced the answer. */
  readonly originalRequestId?: string
  /** What the answering provider could not honour (the gateway's `x-am-dropped-fields`). */
  readonly droppedFields?: ReadonlyArray<string>
}

/**
 * The audit ledger: turns a finished request into a chained `LedgerEntry` (prompt hash,
 * redacted previews, resilience score, `seq`/`prevHash`/`hash`) and persists it. `record` never
 * fails: when the store cannot write, the entry is spooled and replayed later.
 */
export interface LedgerShape {
  readonly record: (input: LedgerInput) => Effect.Effect<LedgerEntry>
}
export class Ledger extends Context.Service<Ledger, LedgerShape>()("@am/core/Ledger") {}

/** Prices usage: USD for `usage` on (provider kind, model), `undefined` when the model has no price. */
export interface PricingShape {
  readonly cost: (providerKind: string, model: string, usage: Usage) => number | undefined
}
export class Pricing extends Context.Service<Pricing, PricingShape>()("@am/core/Pricing") {}

/**
 * The prompt hash rule: the text of every user message (text parts joined, images dropped),
 * joined with "\n", Unicode NFC-normalised, trimmed, encoded as UTF-8, SHA-256, lowercase hex.
 * The same prompt hashes the same whatever its composition form or surrounding whitespace.
 */
export const promptSha256 = (messages: ReadonlyArray<import("./ChatMessage.ts").ChatMessage>): string => {
  let text = ""
  let first = true
  for (const m of messages) {
    if (m.role !== "user") continue
    text += first ? contentText(m.content) : `\n${contentText(m.content)}`
    first = false
  }
  // One-shot `crypto.hash` (UTF-8): no Hash object per request.
  return hash("sha256", text.normalize("NFC").trim(), "hex")
}
