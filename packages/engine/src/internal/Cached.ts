/**
 * The response-cache stage of `complete`: after the input guard redacted the request and before
 * the router plans its candidates, `@am/cache`'s `ResponseCache` answers a repeated request from
 * its entry (no plan, no provider call) or runs the plan and stores the answer. The key is built
 * from the redacted request and the entry is the answer before the vault restores it, so neither
 * holds raw PII; the route (`cache.routes`) opts in, the request's `cache` field picks the mode.
 *
 * A hit is answered with the original call's provider and model, no attempts, and
 * `resilience.cache: "hit"` with `originalRequestId`; its record says `cacheHit` (cost 0).
 * Without a `ResponseCache` (the library's default) the stage is the plan itself.
 *
 * The engine depends on `@am/cache` directly (it depends on `effect` and `@am/core` only, no
 * Redis or SQL client: the host provides those to the cache's layers).
 *
 * @internal
 */
import type { ResponseCacheShape } from "@am/cache"
import { Completion } from "@am/core"
import { Clock, Effect, Schema } from "effect"
import type { EngineError, Resilience } from "../EngineError.ts"
import type { EngineDeps } from "./Deps.ts"
import type { RequestState } from "./RequestState.ts"

/** What an entry keeps: the answer and which candidate produced it. */
const Entry = Schema.Struct({ completion: Completion, provider: Schema.String, model: Schema.String })

/** The route the cache policy is looked up by: the request's route, or the model it names. */
const cacheRouteOf = (state: RequestState): string => state.request.route ?? state.request.model ?? state.route

/**
 * Runs `compute` (the plan and its drive) through the response cache when one is provided and
 * the request does not stream.
 */
export const cachedCompletion = (
  deps: EngineDeps & { readonly cache?: ResponseCacheShape },
  state: RequestState,
  compute: Effect.Effect<readonly [Completion, Resilience], EngineError>
): Effect.Effect<readonly [Completion, Resilience], EngineError> => {
  const cache = deps.cache
  if (cache === undefined) return compute
  const request = state.request
  let ran: Resilience | undefined
  return cache
    .getOrCompute(
      Entry,
      {
        workspace: request.metadata?.workspaceId ?? "",
        route: cacheRouteOf(state),
        request,
        ...(request.reasoning !== undefined ? { extra: { reasoning: request.reasoning } } : {}),
        mode: request.cache ?? "use"
      },
      Effect.map(compute, ([completion, resilience]) => {
        ran = resilience
        return {
          requestId: resilience.requestId,
          value: { completion, provider: resilience.provider, model: resilience.model }
        }
      })
    )
    .pipe(
      Effect.flatMap((answer) =>
        // A miss or a bypass ran the plan here: its own resilience, marked with the cache status.
        ran !== undefined && answer.requestId === state.requestId
          ? Effect.succeed([answer.value.completion, { ...ran, cache: answer.status }] as const)
          : Effect.map(Clock.currentTimeMillis, (now) => {
              state.cacheHitOf = answer.requestId
              const resilience: Resilience = {
                requestId: state.requestId,
                outcome: "SUCCESS",
                attempts: [],
                provider: answer.value.provider,
                model: answer.value.model,
                latencyMs: now - state.startedAt,
                cache: "hit",
                originalRequestId: answer.requestId
              }
              return [answer.value.completion, resilience] as const
            })
      )
    )
}
