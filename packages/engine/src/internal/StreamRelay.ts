/**
 * The committed stream: from the first content token to the stream's one end. `Engine.stream`
 * runs the plan until a candidate commits (see `Engine.ts`); `relay` turns that commit into the
 * `chunks` the caller reads, and settles the call and the request when they end.
 */
import {
  addUsage,
  type CompletionChunk,
  type GuardSession,
  type ProviderFailure,
  type TextRestorer,
  type TokenLogprob,
  type Usage
} from "@am/core"
import {
  type Array as Arr,
  Cause,
  Clock,
  Deferred,
  Duration,
  Effect,
  Exit,
  Fiber,
  Option,
  Pull,
  Scope,
  Stream
} from "effect"
import type { StreamSpec } from "../EngineConfig.ts"
import { EngineError, type Resilience } from "../EngineError.ts"
import type { EngineStream } from "../EngineTypes.ts"
import { publishSucceeded } from "./Answer.ts"
import { type EngineDeps, publish } from "./Deps.ts"
import { finishRequest } from "./Record.ts"
import type { AttemptError, CallFailed, CallHandle, RequestState } from "./RequestState.ts"
import { refusalOf, settleFailure, settleSuccess, streamFailure } from "./Settle.ts"
import {
  continuationCandidates,
  continues,
  continueStream,
  estimatedCutUsage,
  prefillOf
} from "./StreamContinuation.ts"

export type NonEmptyChunks = Arr.NonEmptyReadonlyArray<CompletionChunk>
type Finish = Extract<CompletionChunk, { readonly _tag: "Finish" }>

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

type StreamEnd =
  | { readonly _tag: "Completed" }
  | { readonly _tag: "Cut"; readonly failure: ProviderFailure }
  | { readonly _tag: "Deadline" }
  | { readonly _tag: "Interrupted" }

/**
 * The committed stream: `chunks` relays the provider's stream (stall- and deadline-bounded)
 * and ends it exactly once — completed, cut, past the deadline, or interrupted — settling the
 * call (attempt record, keyring, budget, breakers), publishing and recording the request.
 */
export const relay = (deps: EngineDeps, input: RelayInput): Effect.Effect<EngineStream> =>
  Effect.gen(function* () {
    const { state, outer, scope, limits, resilience } = input
    // Committed: the deadline bounded getting here; the stream now runs to its own bound.
    state.deadlineAt = Math.max(state.deadlineAt, state.startedAt + limits.maxDurationMs)
    const boundMs = state.deadlineAt - state.startedAt
    // The committed call: after a cut that is continued, the continuing one.
    let committed = input.committed
    let h = committed.handle
    const { requestId } = state
    const firstTokenMs = committed.firstTokenAt - state.startedAt
    let text = ""
    let outputChars = 0
    // Continuation: the first cut's cause (what a stream that cannot be continued ends with),
    // whether the committed call is already settled (cut, then continued unsuccessfully), the
    // segments each attempt sent, the estimated usage of cut attempts, and the whitespace the
    // prefill dropped (the continuation's leading copy of it is not relayed twice).
    let original: CallFailed | undefined
    let settledCut = false
    const segments: Array<{
      provider: string
      model: string
      outputChars: number
      cut?: string
      usageEstimated?: boolean
    }> = []
    let segmentChars = 0
    let cutUsage: Usage | undefined
    let lead = ""
    let toolCalls = false
    /** The finishing attempt's own usage (the client's finish carries the sum). */
    let ownUsage: Usage | undefined
    let finish: Finish | undefined
    let pending: ReadonlyArray<CompletionChunk> | undefined = committed.first
    let ending = false
    let flushed = false
    const ended = yield* Deferred.make<EngineError | undefined>()
    // Restoration: the text and each tool call's arguments have their own restorer, so a
    // placeholder split across chunks is held back until whole (the ledger keeps what was sent).
    const session = input.session
    const textRestorer = session?.streamRestorer()
    const toolRestorers = new Map<number, TextRestorer>()
    const toolRestorer = (index: number) => {
      let r = toolRestorers.get(index)
      if (r === undefined) {
        // JSON-escaped: a restored value with a quote or a backslash keeps the arguments valid JSON.
        r = session!.streamJsonRestorer?.() ?? session!.streamRestorer()
        toolRestorers.set(index, r)
      }
      return r
    }
    // Sanitisation and the answer's size limit, on the restored text as the client sees it. Past
    // the limit the rest of the answer is dropped (truncate: the finish says `length`; fail: the
    // stream ends with `output_invalid`); the upstream is still read to its finish, so the call
    // settles with its usage.
    const guard = deps.guard
    const output = guard?.limitsOutput ? guard.streamOutput() : undefined
    let removed = 0
    let truncated = false
    let tooLarge: { readonly limit: number; readonly size: number } | undefined
    const limited = (visible: string, last = false): string => {
      if (output === undefined) return visible
      if (truncated || tooLarge !== undefined) return ""
      const l = visible === "" && !last ? undefined : output.push(visible)
      const e = last ? output.end() : undefined
      let out = ""
      for (const r of [l, e]) {
        if (r === undefined || truncated || tooLarge !== undefined) continue
        removed += r.removed
        if (r.tooLarge !== undefined) tooLarge = r.tooLarge
        else {
          out += r.text
          if (r.truncated) truncated = true
        }
      }
      return out
    }
    // Log probabilities through the restorers and the guard, which re-cut (hold back) the text: a
    // provider token goes out with the delta that completes it, as long as the text sent still
    // spells the tokens sent. Once it does not (restored, redacted, cut) no more go out.
    let lpAny = false
    let lpOff = false
    const lpQueue: Array<TokenLogprob> = []
    let lpShown = ""
    let lpSent = 0
    const carryLogprobs = (
      incoming: ReadonlyArray<TokenLogprob> | undefined,
      visible: string
    ): ReadonlyArray<TokenLogprob> | undefined => {
      if (incoming !== undefined) {
        lpAny = true
        lpQueue.push(...incoming)
      } else if (lpAny) lpOff = true
      if (!lpAny || lpOff) return undefined
      lpShown += visible
      const out: Array<TokenLogprob> = []
      while (lpQueue.length > 0) {
        const t = lpQueue[0]!
        const end = lpSent + t.token.length
        if (end > lpShown.length) break
        if (lpShown.slice(lpSent, end) !== t.token) {
          lpOff = true
          return undefined
        }
        out.push(t)
        lpQueue.shift()
        lpSent = end
      }
      if (lpSent > 4096) {
        lpShown = lpShown.slice(lpSent)
        lpSent = 0
      }
      return out
    }
    const withLogprobs = (
      chunk: Extract<CompletionChunk, { readonly _tag: "TextDelta" }>,
      visible: string
    ): CompletionChunk => {
      const { logprobs, ...rest } = chunk
      const carried = carryLogprobs(logprobs, visible)
      return { ...rest, text: visible, ...(carried !== undefined ? { logprobs: carried } : {}) }
    }

    /** What was held back by the restorers and the sanitiser, before the finish. */
    const flush = (): Array<CompletionChunk> => {
      const out: Array<CompletionChunk> = []
      const rest = limited(textRestorer?.end() ?? "", true)
      if (rest !== "") {
        const carried = carryLogprobs([], rest)
        out.push({ _tag: "TextDelta", text: rest, ...(carried !== undefined ? { logprobs: carried } : {}) })
      }
      for (const [index, r] of toolRestorers) {
        const args = r.end()
        if (args !== "") out.push({ _tag: "ToolCallDelta", index, argumentsDelta: args })
      }
      return out
    }

    /** Settles the committed call as cut: its attempt record, keyring, budget, breakers. */
    const cutCall = (failure: ProviderFailure): Effect.Effect<CallFailed> =>
      Effect.gen(function* () {
        const cause = yield* settleFailure(deps, state, h, failure, committed.index)
        yield* Deferred.fail(committed.ended, cause)
        yield* Fiber.await(committed.fiber)
        return cause
      })

    /**
     * After a cut (`failure`, after content): settle the cut call, release its upstream and ask
     * the continuation candidates for the rest. `true` when one committed: the stream goes on
     * from its first token; `false` ends the stream with the first cut.
     */
    const resume = (failure: ProviderFailure): Effect.Effect<boolean> =>
      Effect.gen(function* () {
        if (
          !continues(deps, state) ||
          text.length === 0 ||
          toolCalls ||
          truncated ||
          tooLarge !== undefined ||
          finish !== undefined ||
          continuationCandidates(state, h.c).length === 0
        ) {
          return false
        }
        const cause = yield* cutCall(failure)
        yield* committed.release
        original ??= cause
        settledCut = true
        // The cut attempt reported no usage: what it billed is estimated, so the answer's usage
        // sums every billed attempt.
        const record = state.attempts[committed.index]!
        const estimated = record.usage ?? estimatedCutUsage(state.request, segmentChars)
        if (record.usage === undefined) state.attempts[committed.index] = { ...record, usage: estimated }
        cutUsage = cutUsage === undefined ? estimated : addUsage(cutUsage, estimated)
        segments.push({
          provider: h.c.provider.id,
          model: h.c.model.name,
          outputChars: segmentChars,
          cut: cause.classification.class,
          ...(record.usage === undefined ? { usageEstimated: true } : {})
        })
        const from = h.c
        const next = yield* continueStream(deps, state, scope, limits, from, text)
        if (Option.isNone(next)) return false
        committed = next.value
        h = committed.handle
        settledCut = false
        segmentChars = 0
        lead = prefillOf(text).trimmed
        pending = committed.first
        yield* publish(deps, {
          topic: "stream.continued",
          requestId,
          fromProvider: from.provider.id,
          fromModel: from.model.name,
          provider: h.c.provider.id,
          model: h.c.model.name,
          afterChars: outputChars,
          reason: cause.classification.class
        })
        return true
      })

    const settle = (how: StreamEnd): Effect.Effect<EngineError | undefined> =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const continued = segments.length > 0
        let malformedEvents = 0
        for (const [c, count] of state.malformed) {
          malformedEvents += count
          yield* publish(deps, {
            topic: "stream.malformed",
            requestId,
            provider: c.provider.id,
            model: c.model.name,
            count
          })
        }
        const common = {
          provider: h.c.provider.id,
          model: h.c.model.name,
          responseText: text,
          stream: {
            outputChars,
            firstTokenMs,
            cut: how._tag !== "Completed",
            ...(malformedEvents > 0 ? { malformedEvents } : {}),
            ...(continued
              ? {
                  segments: settledCut
                    ? segments
                    : [
                        ...segments,
                        {
                          provider: h.c.provider.id,
                          model: h.c.model.name,
                          outputChars: segmentChars,
                          ...(how._tag !== "Completed"
                            ? { cut: how._tag === "Cut" ? "stream" : how._tag.toLowerCase() }
                            : {})
                        }
                      ]
                }
              : {})
          }
        }
        const failed = (code: EngineError["code"]) =>
          publish(deps, {
            topic: "request.failed",
            requestId,
            code,
            attempts: state.calls,
            latencyMs: now - state.startedAt
          })
        const error = (code: EngineError["code"], message: string) =>
          new EngineError({
            code,
            message,
            requestId,
            attempts: state.attempts.slice(),
            ...(state.mitigation !== undefined ? { mitigation: state.mitigation } : {})
          })
        switch (how._tag) {
          case "Completed": {
            const done = finish!
            const refused = refusalOf(h, {
              message: { role: "assistant", content: text },
              finishReason: done.finishReason,
              usage: done.usage,
              provider: h.kind,
              model: done.model,
              ...(done.rawFinishReason !== undefined ? { rawFinishReason: done.rawFinishReason } : {}),
              ...(done.blockReason !== undefined ? { blockReason: done.blockReason } : {})
            })
            if (refused !== undefined) {
              // Filtered after content: the client saw the finish reason; the audit records a refusal.
              yield* Deferred.fail(committed.ended, yield* settleFailure(deps, state, h, refused, committed.index))
              yield* Fiber.await(committed.fiber)
              yield* failed("content_policy")
              yield* finishRequest(deps, state, {
                outcome: "FAILURE",
                failureCode: "content_policy",
                ...common
              })
              return undefined
            }
            yield* settleSuccess(deps, state, h, ownUsage ?? done.usage, committed.index)
            yield* Deferred.succeed(committed.ended, undefined)
            yield* Fiber.await(committed.fiber)
            if (removed > 0 || truncated || tooLarge !== undefined) {
              yield* publish(deps, {
                topic: "guard.output.limited",
                requestId,
                sanitized: removed > 0,
                removed,
                truncated: truncated || tooLarge !== undefined,
                ...(tooLarge !== undefined ? { limit: tooLarge.limit } : {})
              })
              if (state.audit !== undefined)
                state.audit.guard = { ...state.audit.guard, sanitized: removed > 0, truncated }
            }
            if (tooLarge !== undefined) {
              yield* failed("output_invalid")
              yield* finishRequest(deps, state, { outcome: "FAILURE", failureCode: "output_invalid", ...common })
              return new EngineError({
                code: "output_invalid",
                message: `the answer does not satisfy the output contract: it is above the limit of ${tooLarge.limit} characters`,
                requestId,
                attempts: state.attempts.slice(),
                issues: [{ path: "", message: `the answer is above the limit of ${tooLarge.limit} characters` }]
              })
            }
            // A continued answer was given by the continuing candidate.
            yield* publishSucceeded(
              deps,
              state,
              continued ? { ...resilience, provider: h.c.provider.id, model: h.c.model.name } : resilience
            )
            yield* finishRequest(deps, state, { outcome: resilience.outcome, ...common })
            return undefined
          }
          case "Cut": {
            // A cut that was already settled for a continuation that found no candidate is not
            // settled twice; the stream ends with the first cut's cause, never a fallback's.
            const last = settledCut ? original! : yield* cutCall(how.failure)
            const cause = original ?? last
            const where = `${cause.candidate.provider.id}/${cause.candidate.model.name}`
            yield* publish(deps, {
              topic: "stream.interrupted",
              requestId,
              provider: h.c.provider.id,
              model: h.c.model.name,
              outputChars,
              class: cause.classification.class,
              reason: cause.classification.errorType
            })
            yield* failed("stream_interrupted")
            yield* finishRequest(deps, state, {
              outcome: "FAILURE",
              failureCode: "stream_interrupted",
              ...common
            })
            return error(
              "stream_interrupted",
              `${where} failed after the first token (${cause.classification.class}): the answer was cut after ${outputChars} characters${
                continued ? ` (continued ${segments.length} time(s), no candidate could continue further)` : ""
              }`
            )
          }
          case "Deadline":
          case "Interrupted": {
            // Not the provider's doing: its breakers ignore an interrupted call, as in `complete`.
            yield* Fiber.interrupt(committed.fiber)
            if (settledCut) {
              // Stopped while a continuation was sought: the cut call is settled already.
              if (how._tag === "Deadline") {
                yield* publish(deps, { topic: "deadline.exceeded", requestId, elapsedMs: now - state.startedAt })
                yield* failed("deadline_exceeded")
              }
              yield* finishRequest(deps, state, {
                outcome: "FAILURE",
                failureCode: how._tag === "Deadline" ? "deadline_exceeded" : "interrupted",
                ...common
              })
              return how._tag === "Deadline"
                ? error(
                    "deadline_exceeded",
                    `the stream ran past its time bound of ${boundMs} ms (the later of retry.deadline and stream.maxDuration): the answer was cut after ${outputChars} characters`
                  )
                : undefined
            }
            const deadline = how._tag === "Deadline"
            const attempt = state.attempts[committed.index]!
            state.attempts[committed.index] = {
              ...attempt,
              latencyMs: now - h.started,
              ...(deadline ? { outcome: "failure", errorType: "deadline_exceeded" } : {})
            }
            if (deadline) {
              yield* publish(deps, { topic: "deadline.exceeded", requestId, elapsedMs: now - state.startedAt })
              yield* failed("deadline_exceeded")
            }
            yield* finishRequest(deps, state, {
              outcome: "FAILURE",
              failureCode: deadline ? "deadline_exceeded" : "interrupted",
              ...common
            })
            return deadline
              ? error(
                  "deadline_exceeded",
                  `the stream ran past its time bound of ${boundMs} ms (the later of retry.deadline and stream.maxDuration): the answer was cut after ${outputChars} characters`
                )
              : undefined
          }
        }
      }).pipe(Effect.ensuring(Scope.close(scope, Exit.void)))

    /** Ends the stream once; later callers get the first end's error. */
    const end = (how: StreamEnd): Effect.Effect<EngineError | undefined> =>
      Effect.suspend(() => {
        if (ending) return Deferred.await(ended)
        ending = true
        return settle(how).pipe(
          Effect.onExit((exit) => Deferred.done(ended, exit)),
          Effect.uninterruptible
        )
      })
    const stopped = Effect.suspend(() => end(finish !== undefined ? { _tag: "Completed" } : { _tag: "Interrupted" }))
    // Runs before the stream's scope closes (finalizers run in reverse order): a consumer that
    // never read `chunks`, or went away, still gets its request recorded.
    yield* Scope.addFinalizer(outer, stopped)

    const interrupted = () =>
      new EngineError({
        code: "interrupted",
        message: "the stream was stopped",
        requestId,
        attempts: state.attempts.slice()
      })

    /**
     * Counts what goes out and stops at the finish, which goes out alone: a consumer that stops
     * before pulling it has not seen it, so the stream counts as interrupted, not complete.
     */
    const emit = (batch: ReadonlyArray<CompletionChunk>): Pull.Pull<NonEmptyChunks, EngineError> => {
      const out: Array<CompletionChunk> = []
      for (const [i, raw] of batch.entries()) {
        let chunk = raw
        if (!isContent(chunk)) continue
        if (chunk._tag === "Finish") {
          if (out.length > 0) {
            pending = batch.slice(i)
            break
          }
          if ((session !== undefined || output !== undefined) && !flushed) {
            flushed = true
            const held = flush()
            if (held.length > 0) {
              pending = batch.slice(i)
              return Effect.succeed(held as unknown as NonEmptyChunks)
            }
          }
          finish = truncated ? { ...chunk, finishReason: "length" } : chunk
          // A continued answer's usage sums every billed attempt (the cut ones estimated).
          ownUsage = finish.usage
          if (cutUsage !== undefined) finish = { ...finish, usage: addUsage(cutUsage, finish.usage) }
          // Too large (policy fail): no finish for the client; the stream ends with the error.
          if (tooLarge !== undefined) return next
          out.push(finish)
          break
        }
        if (chunk._tag === "TextDelta") {
          let delta = chunk.text
          if (lead !== "") {
            // The continuation repeats the whitespace the prefill left off: sent once already.
            let n = 0
            while (n < lead.length && n < delta.length && delta[n] === lead[n]) n++
            delta = delta.slice(n)
            lead = delta === "" && n < lead.length ? lead.slice(n) : ""
            if (delta === "") continue
            if (delta !== chunk.text) {
              // Trimmed text: its provider logprobs no longer match it.
              const { logprobs: _trimmed, ...rest } = chunk
              chunk = { ...rest, text: delta }
            }
          }
          text += delta
          outputChars += delta.length
          segmentChars += delta.length
          if (textRestorer !== undefined || output !== undefined) {
            const visible = limited(textRestorer === undefined ? chunk.text : textRestorer.push(chunk.text))
            if (visible !== "") out.push(withLogprobs(chunk, visible))
            else carryLogprobs(chunk.logprobs, "")
            continue
          }
        } else if (chunk._tag === "ToolCallDelta") {
          toolCalls = true
          outputChars += chunk.argumentsDelta?.length ?? 0
          segmentChars += chunk.argumentsDelta?.length ?? 0
          if (session !== undefined && chunk.argumentsDelta !== undefined) {
            const restored = toolRestorer(chunk.index).push(chunk.argumentsDelta)
            out.push({ ...chunk, argumentsDelta: restored })
            continue
          }
        } else {
          outputChars += chunk.text?.length ?? 0
        }
        out.push(chunk)
      }
      return out.length > 0 ? Effect.succeed(out as unknown as NonEmptyChunks) : next
    }

    const next: Pull.Pull<NonEmptyChunks, EngineError> = Effect.suspend(() => {
      if (pending !== undefined) {
        const batch = pending
        pending = undefined
        return emit(batch)
      }
      if (finish !== undefined) {
        return Effect.flatMap(
          end({ _tag: "Completed" }),
          (e): Pull.Pull<never, EngineError> => (e === undefined ? Cause.done() : Effect.fail(e))
        )
      }
      return Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const untilDeadline = state.deadlineAt - now
        const deadline = untilDeadline <= limits.stallTimeoutMs
        return committed.pull.pipe(
          Effect.timeoutOrElse({
            duration: Duration.millis(Math.max(0, deadline ? untilDeadline : limits.stallTimeoutMs)),
            orElse: () =>
              Effect.fail(
                deadline
                  ? ("deadline" as const)
                  : streamFailure(
                      h,
                      "stream",
                      `stream stalled for ${limits.stallTimeoutMs} ms after ${outputChars} characters`,
                      true
                    )
              )
          }),
          Pull.catchDone(() =>
            Effect.fail(
              streamFailure(h, "stream", `stream ended without a finish after ${outputChars} characters`, true)
            )
          ),
          Effect.matchEffect({
            onSuccess: emit,
            onFailure: (f) =>
              f === "deadline"
                ? Effect.flatMap(end({ _tag: "Deadline" }), (e) => Effect.fail(e ?? interrupted()))
                : Effect.flatMap(ending ? Effect.succeed(false) : resume(f), (resumed) =>
                    resumed
                      ? next
                      : Effect.flatMap(end({ _tag: "Cut", failure: f }), (e) => Effect.fail(e ?? interrupted()))
                  )
          })
        )
      })
    })

    const chunks = Stream.fromPull(Effect.succeed(next)).pipe(Stream.onExit(() => stopped))
    return {
      requestId,
      provider: h.c.provider.id,
      model: h.c.model.name,
      attempts: state.calls,
      resilience,
      chunks
    } satisfies EngineStream
  })
