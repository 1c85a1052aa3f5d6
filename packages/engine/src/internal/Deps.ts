/**
 * What every stage of a request runs on: the engine's services, read once when the engine is
 * built, and the event publisher that also keeps each recorded request's lifecycle trail.
 * Stages are plain functions of `(deps, state, …)` instead of closures inside `Engine.make`.
 */
import type { Breakers } from "@am/breaker"
import type { ResponseCacheShape } from "@am/cache"
import type { Classifier } from "@am/classifier"
import type { EventBus, EventInput, Provider, RequestGuardShape } from "@am/core"
import type { Keyring } from "@am/keyring"
import type { PromptRewriter } from "@am/rewriter"
import type { Router } from "@am/router"
import { Effect } from "effect"
import type { EngineConfig } from "../EngineConfig.ts"
import type { ModelHealth } from "../ModelHealth.ts"
import type { RequestRecorder } from "../RequestRecorder.ts"
import type { RetryBudget } from "../RetryBudget.ts"
import type { RequestState } from "./RequestState.ts"

export interface EngineDeps {
  readonly config: EngineConfig
  readonly providers: ReadonlyMap<string, Provider>
  readonly keyring: Keyring["Service"]
  readonly breakers: Breakers["Service"]
  readonly budget: RetryBudget["Service"]
  readonly rewriter: PromptRewriter["Service"]
  readonly classifier: Classifier["Service"]
  readonly modelHealth: ModelHealth["Service"]
  /** Plans each request's candidates (`@am/router`; any `Layer` of `Router`). */
  readonly router: Router["Service"]
  readonly recorder: RequestRecorder["Service"]
  readonly bus: EventBus["Service"]
  /** The request guard (the no-op guard unless one is provided). */
  readonly guard?: RequestGuardShape
  /** The response cache (`@am/cache`), when the host provides one. */
  readonly cache?: ResponseCacheShape
  /** Requests being recorded, so each event lands in its request's trail for the ledger entry. */
  readonly active: Map<string, RequestState>
}

/** Publishes an event; when its request is being recorded, the topic and time join its trail. */
export const publish = (deps: EngineDeps, event: EventInput): Effect.Effect<void> => {
  const owner = event.requestId !== undefined ? deps.active.get(event.requestId) : undefined
  return owner === undefined
    ? deps.bus.publish(event)
    : Effect.clockWith((clock) => {
        owner.events.push({ topic: event.topic, at: clock.currentTimeMillisUnsafe() })
        return deps.bus.publish(event)
      })
}
