/** The record stage: a finished request leaves the active set and is written by the `RequestRecorder`. */
import { Effect } from "effect"
import type { RequestEnd } from "../RequestRecorder.ts"
import type { EngineDeps } from "./Deps.ts"
import { runRecord } from "./Recording.ts"
import type { RequestState } from "./RequestState.ts"

/** Writes the request's ledger entry and finishes its run; the request leaves `active`. */
export const finishRequest = (deps: EngineDeps, state: RequestState, end: RequestEnd): Effect.Effect<void> =>
  deps.recorder.enabled
    ? Effect.andThen(
        Effect.sync(() => deps.active.delete(state.requestId)),
        Effect.suspend(() =>
          deps.recorder.finish(
            runRecord(deps, state),
            state.audit !== undefined && end.responseText !== undefined
              ? { ...end, responseText: state.audit.mask(end.responseText) }
              : end
          )
        )
      )
    : Effect.void
