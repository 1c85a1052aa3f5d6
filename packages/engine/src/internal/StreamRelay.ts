/**
 * The committed stream: from the first content token to the stream's one end. `Engine.stream`
 * runs the plan until a candidate commits (see `Engine.ts`); `relay` turns that commit into the
 * `chunks` the caller reads, and settles the call and the request when they end.
 */
import { addUsage, type CompletionChunk, type ProviderFailure } from "@am/core"
import { Cause, Clock, Deferred, Duration, Effect, Option, Pull, Scope, Stream } from "effect"
import { EngineError } from "../EngineError.ts"
import type { EngineStream } from "../EngineTypes.ts"
import { type EngineDeps, publish } from "./Deps.ts"
import { streamFailure } from "./Settle.ts"
import { StreamOutput } from "./StreamOutput.ts"
import { cutCall, settleStream } from "./StreamSettle.ts"
import {
  continuationCandidates,
  continues,
  continueStream,
  estimatedCutUsage,
  prefillOf
} from "./StreamContinuation.ts"

export { isContent, type Committed, type NonEmptyChunks, type Opened, type RelayInput } from "./StreamTypes.ts"

import { isContent, type NonEmptyChunks, type RelayInput, type RelayState, type StreamEnd } from "./StreamTypes.ts"

/**
 * The committed stream: `chunks` relays the provider's stream (stall- and deadline-bounded)
 * and ends it exactly once — completed, cut, past the deadline, or interrupted — settling the
 * call (attempt record, keyring, budget, breakers), publishing and recording the request.
 */
export const relay: (deps: EngineDeps, input: RelayInput) => Effect.Effect<EngineStream> = Effect.fnUntraced(function* (
  deps: EngineDeps,
  input: RelayInput
) {
  const { state, outer, scope, limits, resilience } = input
  // Committed: the deadline bounded getting here; the stream now runs to its own bound.
  state.deadlineAt = Math.max(state.deadlineAt, state.startedAt + limits.maxDurationMs)
  const boundMs = state.deadlineAt - state.startedAt
  const { requestId } = state
  // The stream's bookkeeping (see `RelayState`), shared with its settlement (`StreamSettle`).
  const r: RelayState = {
    committed: input.committed,
    h: input.committed.handle,
    firstTokenMs: input.committed.firstTokenAt - state.startedAt,
    boundMs,
    text: "",
    outputChars: 0,
    original: undefined,
    settledCut: false,
    segments: [],
    segmentChars: 0,
    cutUsage: undefined,
    lead: "",
    toolCalls: false,
    ownUsage: undefined,
    finish: undefined,
    pending: input.committed.first,
    ending: false,
    flushed: false,
    shaper: new StreamOutput(deps, input.session)
  }
  const ended = yield* Deferred.make<EngineError | undefined>()

  /**
   * After a cut (`failure`, after content): settle the cut call, release its upstream and ask
   * the continuation candidates for the rest. `true` when one committed: the stream goes on
   * from its first token; `false` ends the stream with the first cut.
   */
  const resume = (failure: ProviderFailure): Effect.Effect<boolean> =>
    Effect.gen(function* () {
      if (
        !continues(deps, state) ||
        r.text.length === 0 ||
        r.toolCalls ||
        r.shaper.stopped ||
        r.finish !== undefined ||
        continuationCandidates(state, r.h.c).length === 0
      ) {
        return false
      }
      const cause = yield* cutCall(deps, state, r, failure)
      yield* r.committed.release
      r.original ??= cause
      r.settledCut = true
      // The cut attempt reported no usage: what it billed is estimated, so the answer's usage
      // sums every billed attempt.
      const record = state.attempts[r.committed.index]!
      const estimated = record.usage ?? estimatedCutUsage(state.request, r.segmentChars)
      if (record.usage === undefined) state.attempts[r.committed.index] = { ...record, usage: estimated }
      r.cutUsage = r.cutUsage === undefined ? estimated : addUsage(r.cutUsage, estimated)
      r.segments.push({
        provider: r.h.c.provider.id,
        model: r.h.c.model.name,
        outputChars: r.segmentChars,
        cut: cause.classification.class,
        ...(record.usage === undefined ? { usageEstimated: true } : {})
      })
      const from = r.h.c
      const next = yield* continueStream(deps, state, scope, limits, from, r.text)
      if (Option.isNone(next)) return false
      r.committed = next.value
      r.h = r.committed.handle
      r.settledCut = false
      r.segmentChars = 0
      r.lead = prefillOf(r.text).trimmed
      r.pending = r.committed.first
      yield* publish(deps, {
        topic: "stream.continued",
        requestId,
        fromProvider: from.provider.id,
        fromModel: from.model.name,
        provider: r.h.c.provider.id,
        model: r.h.c.model.name,
        afterChars: r.outputChars,
        reason: cause.classification.class
      })
      return true
    })

  /** Ends the stream once; later callers get the first end's error. */
  const end = (how: StreamEnd): Effect.Effect<EngineError | undefined> =>
    Effect.suspend(() => {
      if (r.ending) return Deferred.await(ended)
      r.ending = true
      return settleStream(deps, input, r, how).pipe(
        Effect.onExit((exit) => Deferred.done(ended, exit)),
        Effect.uninterruptible
      )
    })
  const stopped = Effect.suspend(() => end(r.finish !== undefined ? { _tag: "Completed" } : { _tag: "Interrupted" }))
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
          r.pending = batch.slice(i)
          break
        }
        if (r.shaper.holdsBack && !r.flushed) {
          r.flushed = true
          const held = r.shaper.flush()
          if (held.length > 0) {
            r.pending = batch.slice(i)
            return Effect.succeed(held as unknown as NonEmptyChunks)
          }
        }
        r.finish = r.shaper.truncated ? { ...chunk, finishReason: "length" } : chunk
        // A continued answer's usage sums every billed attempt (the cut ones estimated).
        r.ownUsage = r.finish.usage
        if (r.cutUsage !== undefined) r.finish = { ...r.finish, usage: addUsage(r.cutUsage, r.finish.usage) }
        // Too large (policy fail): no finish for the client; the stream ends with the error.
        if (r.shaper.tooLarge !== undefined) return next
        out.push(r.finish)
        break
      }
      if (chunk._tag === "TextDelta") {
        let delta = chunk.text
        if (r.lead !== "") {
          // The continuation repeats the whitespace the prefill left off: sent once already.
          let n = 0
          while (n < r.lead.length && n < delta.length && delta[n] === r.lead[n]) n++
          delta = delta.slice(n)
          r.lead = delta === "" && n < r.lead.length ? r.lead.slice(n) : ""
          if (delta === "") continue
          if (delta !== chunk.text) {
            // Trimmed text: its provider logprobs no longer match it.
            const { logprobs: _trimmed, ...rest } = chunk
            chunk = { ...rest, text: delta }
          }
        }
        r.text += delta
        r.outputChars += delta.length
        r.segmentChars += delta.length
        if (r.shaper.shapesText) {
          const visible = r.shaper.text(chunk.text)
          if (visible !== "") out.push(r.shaper.withLogprobs(chunk, visible))
          else r.shaper.carryLogprobs(chunk.logprobs, "")
          continue
        }
      } else if (chunk._tag === "ToolCallDelta") {
        r.toolCalls = true
        r.outputChars += chunk.argumentsDelta?.length ?? 0
        r.segmentChars += chunk.argumentsDelta?.length ?? 0
        if (r.shaper.restoresTools && chunk.argumentsDelta !== undefined) {
          const restored = r.shaper.tool(chunk.index, chunk.argumentsDelta)
          out.push({ ...chunk, argumentsDelta: restored })
          continue
        }
      } else {
        r.outputChars += chunk.text?.length ?? 0
      }
      out.push(chunk)
    }
    return out.length > 0 ? Effect.succeed(out as unknown as NonEmptyChunks) : next
  }

  const next: Pull.Pull<NonEmptyChunks, EngineError> = Effect.suspend(() => {
    if (r.pending !== undefined) {
      const batch = r.pending
      r.pending = undefined
      return emit(batch)
    }
    if (r.finish !== undefined) {
      return Effect.flatMap(
        end({ _tag: "Completed" }),
        (e): Pull.Pull<never, EngineError> => (e === undefined ? Cause.done() : Effect.fail(e))
      )
    }
    return Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const untilDeadline = state.deadlineAt - now
      const deadline = untilDeadline <= limits.stallTimeoutMs
      return r.committed.pull.pipe(
        Effect.timeoutOrElse({
          duration: Duration.millis(Math.max(0, deadline ? untilDeadline : limits.stallTimeoutMs)),
          orElse: () =>
            Effect.fail(
              deadline
                ? ("deadline" as const)
                : streamFailure(
                    r.h,
                    "stream",
                    `stream stalled for ${limits.stallTimeoutMs} ms after ${r.outputChars} characters`,
                    true
                  )
            )
        }),
        Pull.catchDone(() =>
          Effect.fail(
            streamFailure(r.h, "stream", `stream ended without a r.finish after ${r.outputChars} characters`, true)
          )
        ),
        Effect.matchEffect({
          onSuccess: emit,
          onFailure: (f) =>
            f === "deadline"
              ? Effect.flatMap(end({ _tag: "Deadline" }), (e) => Effect.fail(e ?? interrupted()))
              : Effect.flatMap(r.ending ? Effect.succeed(false) : resume(f), (resumed) =>
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
    provider: r.h.c.provider.id,
    model: r.h.c.model.name,
    attempts: state.calls,
    resilience,
    chunks
  } satisfies EngineStream
})
