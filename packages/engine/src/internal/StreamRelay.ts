/**
 * The committed stream: from the first content token to the stream's one end. `Engine.stream`
 * runs the plan until a candidate commits (see `Engine.ts`); `relay` turns that commit into the
 * `chunks` the caller reads, and settles the call and the request when they end.
 */
import type { CompletionChunk, GuardSession, ProviderFailure, TextRestorer } from "@am/core"
import { type Array as Arr, Cause, Clock, Deferred, Duration, Effect, Exit, Fiber, Pull, Scope, Stream } from "effect"
import type { StreamSpec } from "../EngineConfig.ts"
import { EngineError, type Resilience } from "../EngineError.ts"
import type { EngineStream } from "../EngineTypes.ts"
import { publishSucceeded } from "./Answer.ts"
import { type EngineDeps, publish } from "./Deps.ts"
import { finishRequest } from "./Record.ts"
import type { AttemptError, CallFailed, CallHandle, RequestState } from "./RequestState.ts"
import { refusalOf, settleFailure, settleSuccess, streamFailure } from "./Settle.ts"

export type NonEmptyChunks = Arr.NonEmptyReadonlyArray<CompletionChunk>
type Finish = Extract<CompletionChunk, { readonly _tag: "Finish" }>

/** Content a client can see: not an empty (role-only) delta. */
export const isContent = (c: CompletionChunk) => c._tag !== "TextDelta" || c.text.length > 0

/** A stream at its first content token: that token (and what came with it), and the rest to pull. */
export interface Opened {
  readonly first: NonEmptyChunks
  readonly pull: Pull.Pull<NonEmptyChunks, ProviderFailure>
  readonly firstTokenAt: number
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
    const { state, outer, scope, limits, committed, resilience } = input
    const h = committed.handle
    const { requestId } = state
    const where = `${h.c.provider.id}/${h.c.model.name}`
    const firstTokenMs = committed.firstTokenAt - state.startedAt
    let text = ""
    let outputChars = 0
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
    /** What was held back by the restorers and the sanitiser, before the finish. */
    const flush = (): Array<CompletionChunk> => {
      const out: Array<CompletionChunk> = []
      const rest = limited(textRestorer?.end() ?? "", true)
      if (rest !== "") out.push({ _tag: "TextDelta", text: rest })
      for (const [index, r] of toolRestorers) {
        const args = r.end()
        if (args !== "") out.push({ _tag: "ToolCallDelta", index, argumentsDelta: args })
      }
      return out
    }

    const settle = (how: StreamEnd): Effect.Effect<EngineError | undefined> =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const common = {
          provider: h.c.provider.id,
          model: h.c.model.name,
          responseText: text,
          stream: { outputChars, firstTokenMs, cut: how._tag !== "Completed" }
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
            yield* settleSuccess(deps, state, h, done.usage, committed.index)
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
            yield* publishSucceeded(deps, state, resilience)
            yield* finishRequest(deps, state, { outcome: resilience.outcome, ...common })
            return undefined
          }
          case "Cut": {
            const cause = yield* settleFailure(deps, state, h, how.failure, committed.index)
            yield* Deferred.fail(committed.ended, cause)
            yield* Fiber.await(committed.fiber)
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
              `${where} failed after the first token (${cause.classification.class}): the answer was cut after ${outputChars} characters`
            )
          }
          case "Deadline":
          case "Interrupted": {
            // Not the provider's doing: its breakers ignore an interrupted call, as in `complete`.
            yield* Fiber.interrupt(committed.fiber)
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
                  `the request's deadline passed mid-stream: the answer was cut after ${outputChars} characters`
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
      for (const [i, chunk] of batch.entries()) {
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
          // Too large (policy fail): no finish for the client; the stream ends with the error.
          if (tooLarge !== undefined) return next
          out.push(finish)
          break
        }
        if (chunk._tag === "TextDelta") {
          text += chunk.text
          outputChars += chunk.text.length
          if (textRestorer !== undefined || output !== undefined) {
            const visible = limited(textRestorer === undefined ? chunk.text : textRestorer.push(chunk.text))
            if (visible !== "") out.push({ _tag: "TextDelta", text: visible })
            continue
          }
        } else if (chunk._tag === "ToolCallDelta") {
          outputChars += chunk.argumentsDelta?.length ?? 0
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
              Effect.flatMap(end(f === "deadline" ? { _tag: "Deadline" } : { _tag: "Cut", failure: f }), (e) =>
                Effect.fail(e ?? interrupted())
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
