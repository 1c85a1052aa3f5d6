/**
 * A committed stream's one end — completed, cut, past its time bound, or interrupted: the call
 * settled (attempt record, keyring, budget, breakers), the events published and the request
 * recorded, with the error the client's stream ends with (if any). `StreamRelay` calls it once.
 */
import { Clock, Deferred, Effect, Exit, Fiber, Scope } from "effect"
import type { ProviderFailure } from "@am/core"
import { EngineError } from "../EngineError.ts"
import { publishSucceeded } from "./Answer.ts"
import { type EngineDeps, publish } from "./Deps.ts"
import { finishRequest } from "./Record.ts"
import type { CallFailed, RequestState } from "./RequestState.ts"
import { refusalOf, settleFailure, settleSuccess } from "./Settle.ts"
import type { RelayInput, RelayState, StreamEnd } from "./StreamTypes.ts"

/** Settles the committed call as cut: its attempt record, keyring, budget, breakers. */
export const cutCall: (
  deps: EngineDeps,
  state: RequestState,
  r: RelayState,
  failure: ProviderFailure
) => Effect.Effect<CallFailed> = Effect.fnUntraced(function* (
  deps: EngineDeps,
  state: RequestState,
  r: RelayState,
  failure: ProviderFailure
) {
  const cause = yield* settleFailure(deps, state, r.h, failure, r.committed.index)
  yield* Deferred.fail(r.committed.ended, cause)
  yield* Fiber.await(r.committed.fiber)
  return cause
})

export const settleStream = (
  deps: EngineDeps,
  input: RelayInput,
  r: RelayState,
  how: StreamEnd
): Effect.Effect<EngineError | undefined> =>
  settled(deps, input, r, how).pipe(Effect.ensuring(Scope.close(input.scope, Exit.void)))

// A module-level generator, not `Effect.gen` per stream (docs/performance.md, "Generators per request").
const settled = Effect.fnUntraced(function* (deps: EngineDeps, input: RelayInput, r: RelayState, how: StreamEnd) {
  const { state, resilience } = input
  const { requestId } = state
  const now = yield* Clock.currentTimeMillis
  const continued = r.segments.length > 0
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
    provider: r.h.c.provider.id,
    model: r.h.c.model.name,
    responseText: r.text,
    stream: {
      outputChars: r.outputChars,
      firstTokenMs: r.firstTokenMs,
      cut: how._tag !== "Completed",
      ...(malformedEvents > 0 ? { malformedEvents } : {}),
      ...(continued
        ? {
            segments: r.settledCut
              ? r.segments
              : [
                  ...r.segments,
                  {
                    provider: r.h.c.provider.id,
                    model: r.h.c.model.name,
                    outputChars: r.segmentChars,
                    ...(how._tag !== "Completed" ? { cut: how._tag === "Cut" ? "stream" : how._tag.toLowerCase() } : {})
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
      const done = r.finish!
      const refused = refusalOf(r.h, {
        message: { role: "assistant", content: r.text },
        finishReason: done.finishReason,
        usage: done.usage,
        provider: r.h.kind,
        model: done.model,
        ...(done.rawFinishReason !== undefined ? { rawFinishReason: done.rawFinishReason } : {}),
        ...(done.blockReason !== undefined ? { blockReason: done.blockReason } : {})
      })
      if (refused !== undefined) {
        // Filtered after content: the client saw the finish reason; the audit records a refusal.
        yield* Deferred.fail(r.committed.ended, yield* settleFailure(deps, state, r.h, refused, r.committed.index))
        yield* Fiber.await(r.committed.fiber)
        yield* failed("content_policy")
        yield* finishRequest(deps, state, {
          outcome: "FAILURE",
          failureCode: "content_policy",
          ...common
        })
        return undefined
      }
      yield* settleSuccess(deps, state, r.h, r.ownUsage ?? done.usage, r.committed.index)
      yield* Deferred.succeed(r.committed.ended, undefined)
      yield* Fiber.await(r.committed.fiber)
      if (r.shaper.removed > 0 || r.shaper.stopped) {
        yield* publish(deps, {
          topic: "guard.output.limited",
          requestId,
          sanitized: r.shaper.removed > 0,
          removed: r.shaper.removed,
          truncated: r.shaper.stopped,
          ...(r.shaper.tooLarge !== undefined ? { limit: r.shaper.tooLarge.limit } : {})
        })
        if (state.audit !== undefined)
          state.audit.guard = { ...state.audit.guard, sanitized: r.shaper.removed > 0, truncated: r.shaper.truncated }
      }
      const tooLarge = r.shaper.tooLarge
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
        continued ? { ...resilience, provider: r.h.c.provider.id, model: r.h.c.model.name } : resilience
      )
      yield* finishRequest(deps, state, { outcome: resilience.outcome, ...common })
      return undefined
    }
    case "Cut": {
      // A cut that was already settled for a continuation that found no candidate is not
      // settled twice; the stream ends with the first cut's cause, never a fallback's.
      const last = r.settledCut ? r.original! : yield* cutCall(deps, state, r, how.failure)
      const cause = r.original ?? last
      const where = `${cause.candidate.provider.id}/${cause.candidate.model.name}`
      yield* publish(deps, {
        topic: "stream.interrupted",
        requestId,
        provider: r.h.c.provider.id,
        model: r.h.c.model.name,
        outputChars: r.outputChars,
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
        `${where} failed after the first token (${cause.classification.class}): the answer was cut after ${r.outputChars} characters${
          continued ? ` (continued ${r.segments.length} time(s), no candidate could continue further)` : ""
        }`
      )
    }
    case "Deadline":
    case "Interrupted": {
      // Not the provider's doing: its breakers ignore an interrupted call, as in `complete`.
      yield* Fiber.interrupt(r.committed.fiber)
      if (r.settledCut) {
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
              `the stream ran past its time bound of ${r.boundMs} ms (the later of retry.deadline and stream.maxDuration): the answer was cut after ${r.outputChars} characters`
            )
          : undefined
      }
      const deadline = how._tag === "Deadline"
      const attempt = state.attempts[r.committed.index]!
      state.attempts[r.committed.index] = {
        ...attempt,
        latencyMs: now - r.h.started,
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
            `the stream ran past its time bound of ${r.boundMs} ms (the later of retry.deadline and stream.maxDuration): the answer was cut after ${r.outputChars} characters`
          )
        : undefined
    }
  }
})
