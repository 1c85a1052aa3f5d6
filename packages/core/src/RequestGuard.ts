/**
 * The guards as the engine sees them: an interface, so `@am/engine` runs input guards (PII and
 * secrets redacted into a per-request vault, the injection firewall, request size), output
 * contracts with their repair, sanitisation, answer size limits and restoration without depending
 * on the package that implements them (`@am/guard`, wired by `@am/runtime`). The default is the
 * no-op guard: an engine composed without one sends requests as they are.
 *
 * Everything here runs on the request path and is synchronous except the contract check (a
 * Standard Schema may validate asynchronously).
 *
 * @example
 * ```ts
 * import { RequestGuard } from "@am/core"
 * import { Effect } from "effect"
 * const enabled = Effect.gen(function* () {
 *   return (yield* RequestGuard).enabled // false unless a layer provides a guard
 * })
 * ```
 * @since 0.2.0
 */
import { Context, type Effect, Schema, type StandardSchema } from "effect"
import type { AssistantMessage, ChatMessage } from "./ChatMessage.ts"
import type { CompletionRequest, ResponseFormat } from "./CompletionRequest.ts"
import type { EventInput } from "./ResilienceEvent.ts"

/**
 * What the guards decided about one request, as its ledger entry and its answer carry it:
 * counts and scores only, never a value.
 */
export const GuardVerdict = Schema.Struct({
  /** Sensitive values found in the request (redacted, masked or blocked). */
  pii: Schema.optionalKey(Schema.Int),
  /** The entities among them (`email`, `card`, …), each once. */
  piiEntities: Schema.optionalKey(Schema.Array(Schema.String)),
  injectionScore: Schema.optionalKey(Schema.Finite),
  injectionVerdict: Schema.optionalKey(Schema.Literals(["pass", "flag", "block"])),
  injectionRule: Schema.optionalKey(Schema.String),
  /** The answer against its output contract: valid at once, valid after the repair, or not. */
  output: Schema.optionalKey(Schema.Literals(["valid", "repaired", "failed"])),
  outputIssues: Schema.optionalKey(Schema.Int),
  /** The answer was sanitised / cut to its size limit. */
  sanitized: Schema.optionalKey(Schema.Boolean),
  truncated: Schema.optionalKey(Schema.Boolean),
  /**
   * Self-verification of the answer returned: `pass` (at or above the threshold), `fail` (below
   * it, returned flagged: the one retry on the next candidate did not do better, or could not run),
   * `unavailable` (the verifier gave no verdict: down, refused, or an unparsable reply).
   */
  verify: Schema.optionalKey(Schema.Literals(["pass", "fail", "unavailable"])),
  /** The verifier's score (0..1) of the answer returned, when it judged it. */
  verifyScore: Schema.optionalKey(Schema.Finite),
  /** The first answer was rejected by the verifier and the answer returned is the retry's. */
  verifyRetried: Schema.optionalKey(Schema.Boolean)
})
export type GuardVerdict = typeof GuardVerdict.Type

/** A `guard.*` event before the engine stamps `requestId` (and the bus `at`). */
export type GuardEventInput =
  EventInput<
    | "guard.pii.redacted"
    | "guard.injection.scored"
    | "guard.blocked"
    | "guard.output.checked"
    | "guard.output.limited"
    | "guard.verify.judged"
  > extends infer E
    ? E extends unknown
      ? Omit<E, "requestId">
      : never
    : never

/** Why the input guard refused a request (no provider call is made). Never carries a value. */
export interface GuardRefusal {
  readonly reason: "injection" | "pii" | "request_too_large"
  readonly rule: string
  readonly score: number
  readonly entity?: string | undefined
  /** A caller-facing sentence (rule and score, never content). */
  readonly message: string
}

/** Restores a streamed text: feed chunks in order, then `end()`. */
export interface TextRestorer {
  readonly push: (chunk: string) => string
  readonly end: () => string
}

/** One request's guard state: its vault lives in here and never leaves. */
export interface GuardSession {
  /** The originals back in a complete answer text. */
  readonly restore: (text: string) => string
  /** The originals back in an answer message (content, refusal, tool-call arguments as JSON). */
  readonly restoreMessage: (message: AssistantMessage) => AssistantMessage
  /** A restorer for a streamed text (a placeholder split across chunks is held back until whole). */
  readonly streamRestorer: () => TextRestorer
  /**
   * A restorer for streamed JSON (tool-call arguments): originals escaped for a JSON string, so
   * the arguments stay valid JSON. Absent: `streamRestorer` is used.
   */
  readonly streamJsonRestorer?: () => TextRestorer
  /**
   * A text made safe for the ledger, logs, events and errors: placeholders become their type
   * (`⟦EMAIL⟧`), held values and any detected PII or key are masked, the length capped.
   */
  readonly mask: (text: string, maxLength?: number) => string
}

/** The input guard's answer for a request. */
export interface GuardedInput {
  /** The messages to send (values replaced by placeholders). */
  readonly messages: ReadonlyArray<ChatMessage>
  /** The messages as the audit trail may keep them (values masked, no placeholder). */
  readonly audit: ReadonlyArray<ChatMessage>
  readonly verdict: GuardVerdict
  readonly events: ReadonlyArray<GuardEventInput>
  /** Set when the request is refused. */
  readonly refusal: GuardRefusal | undefined
  readonly session: GuardSession
}

/** An answer's output contract: a Standard Schema (the library) or a `response_format` (the gateway). */
export type OutputSpec =
  | { readonly _tag: "StandardSchema"; readonly schema: StandardSchema.StandardSchemaV1 }
  | { readonly _tag: "ResponseFormat"; readonly format: ResponseFormat }

/** One validation problem: a dotted path (`""` for the whole answer) and what is wrong. */
export interface OutputIssue {
  readonly path: string
  readonly message: string
}

export type OutputCheck =
  | { readonly _tag: "Valid"; readonly value: unknown }
  | { readonly _tag: "Invalid"; readonly issues: ReadonlyArray<OutputIssue> }

/** A checked output contract: `check` parses and validates an answer, `kind` names it for events. */
export interface OutputContractCheck {
  readonly kind: "standard_schema" | "json_schema" | "json_object"
  readonly check: (text: string) => Effect.Effect<OutputCheck>
  /** The JSON Schema to restate in the repair instruction, if any. */
  readonly jsonSchema?: unknown
}

/** The answer after sanitisation and its size limit. */
export interface OutputLimit {
  readonly text: string
  /** Characters removed by sanitisation. */
  readonly removed: number
  readonly truncated: boolean
  /** Set when the answer is above the limit and the policy is to fail. */
  readonly tooLarge?: { readonly limit: number; readonly size: number } | undefined
}

/** A streamed answer's sanitiser and limiter: `push` gives what may be emitted. */
export interface StreamOutput {
  readonly push: (chunk: string) => OutputLimit
  readonly end: () => OutputLimit
}

/** A verifier's judgement of one answer: `score` in 0..1 (1: correct, complete and grounded). */
export interface VerifierJudgement {
  readonly verdict: "pass" | "fail"
  readonly score: number
}

/**
 * Self-verification of one route's answers: the verifier candidate the engine calls (through the
 * same keyring, breakers and ledger as any call), the score below which it retries once on the
 * next candidate, the verifier's prompt and the parser of its reply.
 */
export interface AnswerVerifier {
  readonly provider: string
  readonly model: string
  readonly threshold: number
  /** The verifier's messages for the request as sent (redacted) and the answer as received (placeholders). */
  readonly messages: (request: ReadonlyArray<ChatMessage>, answer: string) => ReadonlyArray<ChatMessage>
  /** The verdict in the verifier's reply; `undefined` when it gave none (no retry then). */
  readonly judge: (reply: string) => VerifierJudgement | undefined
}

export interface RequestGuardShape {
  /** Whether the input guard does anything (false: requests are sent as they are). */
  readonly enabled: boolean
  /** Whether answers are sanitised or size-limited. */
  readonly limitsOutput: boolean
  /** Redacts, scores and size-checks a request. */
  readonly protect: (request: CompletionRequest) => GuardedInput
  /** The output contract of a request (`undefined`: none, or no checker wired). */
  readonly contract: (spec: OutputSpec) => OutputContractCheck | undefined
  /** The messages of the repair attempt: the request's, the failed answer, the instruction naming the issues. */
  readonly repair: (
    messages: ReadonlyArray<ChatMessage>,
    answer: string,
    issues: ReadonlyArray<OutputIssue>,
    contract: OutputContractCheck
  ) => ReadonlyArray<ChatMessage>
  /** A complete answer sanitised and limited. */
  readonly limit: (text: string) => OutputLimit
  /** A streamed answer's sanitiser and limiter. */
  readonly streamOutput: () => StreamOutput
  /** Masks keys and PII in a text leaving the process (errors, logs), capped in length. */
  readonly scrub: (text: string) => string
  /**
   * The verifier of a route's answers (`undefined`: that route is not verified). Absent when no
   * route is: the engine then adds nothing to any request.
   */
  readonly verifierFor?: (route: string) => AnswerVerifier | undefined
}

const identity: GuardSession = {
  restore: (text) => text,
  restoreMessage: (message) => message,
  streamRestorer: () => ({ push: (chunk) => chunk, end: () => "" }),
  mask: (text) => text
}

/** The guard of an engine composed without one: nothing is redacted, checked or limited. */
export const noopRequestGuard: RequestGuardShape = {
  enabled: false,
  limitsOutput: false,
  protect: (request) => ({
    messages: request.messages,
    audit: request.messages,
    verdict: {},
    events: [],
    refusal: undefined,
    session: identity
  }),
  contract: () => undefined,
  repair: (messages) => messages,
  limit: (text) => ({ text, removed: 0, truncated: false }),
  streamOutput: () => ({
    push: (text) => ({ text, removed: 0, truncated: false }),
    end: () => ({ text: "", removed: 0, truncated: false })
  }),
  scrub: (text) => text
}

/**
 * The request guard the engine runs (`"@am/core/RequestGuard"`); the no-op guard unless a layer
 * provides one (`@am/runtime` builds it from the config's `guards`).
 */
export const RequestGuard = Context.Reference<RequestGuardShape>("@am/core/RequestGuard", {
  defaultValue: () => noopRequestGuard
})

/** The no-op guard's session, for callers that need one without a guard. */
export const unguardedSession: GuardSession = identity
