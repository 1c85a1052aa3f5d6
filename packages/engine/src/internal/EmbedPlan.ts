/**
 * The plan stage of `Engine.embed`: the router plans the request as an embeddings request
 * (`kind: "embedding"`), so a model without the `embeddings` capability, an Anthropic provider
 * (no embeddings API) or a model smaller than the `dimensions` asked for is excluded with the
 * capability and the config field that would enable it. What the router cannot see — a
 * provider adapter built without `embed` — is dropped here.
 */
import type { EmbeddingRequest } from "@am/core"
import { Effect } from "effect"
import { EngineError } from "../EngineError.ts"
import { type EngineDeps, publish } from "./Deps.ts"
import { type Candidate, candidatesFor } from "./Plan.ts"
import type { RequestState } from "./RequestState.ts"

/** Appended to an embeddings `no_route`: how to declare a model the catalogue does not know. */
export const EMBEDDINGS_HINT =
  'an embeddings model needs "embeddings" in providers.<id>.models[].capabilities and its dimensions (the catalogue knows the OpenAI and Gemini embedding models), on a provider of kind openai, openai-compatible or gemini'

/** The embedding candidates of `request`, in plan order. */
export const embeddingCandidates = (
  deps: EngineDeps,
  state: RequestState,
  request: EmbeddingRequest
): Effect.Effect<ReadonlyArray<Candidate>, EngineError> =>
  Effect.flatMap(
    candidatesFor(deps, state, request, { kind: "embedding", noRouteHint: EMBEDDINGS_HINT }),
    (planned) => {
      if (planned.every((c) => deps.providers.get(c.provider.id)?.embed !== undefined)) return Effect.succeed(planned)
      const kept = planned
        .filter((c) => deps.providers.get(c.provider.id)?.embed !== undefined)
        .map((c, index) => ({ ...c, index }))
      if (kept.length > 0) return Effect.succeed(kept)
      const message = `no candidate of route "${state.route}" can serve embeddings (${planned
        .map((c) => `${c.provider.id}/${c.model.name}: provider adapter without embeddings`)
        .join("; ")}); ${EMBEDDINGS_HINT}`
      return Effect.andThen(
        publish(deps, {
          topic: "request.failed",
          requestId: state.requestId,
          code: "no_route",
          attempts: 0,
          latencyMs: 0
        }),
        Effect.fail(
          new EngineError({ code: "no_route", message, requestId: state.requestId, attempts: state.attempts.slice() })
        )
      )
    }
  )
