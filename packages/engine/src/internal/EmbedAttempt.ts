/**
 * One attempt of `Engine.embed`: the chat attempt's key lease, breakers, classification and
 * settling (`Attempt.call`, `Attempt.guarded`, `Settle`), with an `Exchange` that calls the
 * adapter's `embed` and checks its answer before it counts as a success: one vector per input,
 * each of the size the route promises. A wrong-sized answer is a `decode` failure (provider
 * scope), so it fails over instead of reaching a vector index that expects another size.
 */
import { type EmbeddingRequest, type Embeddings, ProviderFailure } from "@am/core"
import { Effect } from "effect"
import { annotateSuccess, type Attempt, call, type Exchange, guarded } from "./Attempt.ts"
import { type CallHandle, Target } from "./RequestState.ts"
import { settleSuccess } from "./Settle.ts"

const decodeFailure = (h: CallHandle, message: string) =>
  new ProviderFailure({
    provider: h.kind,
    providerId: h.c.provider.id,
    model: h.c.model.name,
    keyId: h.key.id,
    keyFingerprint: h.key.fingerprint,
    kind: "decode",
    message,
    responseBytesReceived: true
  })

/** What is wrong with an answer to `request` from the candidate of `h`, or `undefined`. */
export const shapeProblem = (request: EmbeddingRequest, expected: number | undefined, e: Embeddings) => {
  if (e.vectors.length !== request.input.length) {
    return `answered ${e.vectors.length} vector(s) for ${request.input.length} input(s)`
  }
  if (expected === undefined) return undefined
  const wrong = e.vectors.findIndex((v) => v.length !== expected)
  return wrong === -1 ? undefined : `vector ${wrong} has ${e.vectors[wrong]!.length} dimensions, expected ${expected}`
}

const embedding = (request: EmbeddingRequest): Exchange<Embeddings, Embeddings> => ({
  operation: "embeddings",
  invoke: (provider, c, h) => {
    // The plan only admits providers with `embed`; one without is a bug, not a provider failure.
    if (provider.embed === undefined) return Effect.die(new Error(`provider "${provider.id}" has no embed`))
    const expected = request.dimensions ?? h.c.model.dimensions
    return Effect.flatMap(
      provider.embed({
        request,
        model: c.model,
        key: c.key,
        ...(c.timeoutMs !== undefined ? { timeoutMs: c.timeoutMs } : {})
      }),
      (answer) => {
        const problem = shapeProblem(request, expected, answer)
        return problem === undefined ? Effect.succeed(answer) : Effect.fail(decodeFailure(h, problem))
      }
    )
  },
  onSuccess: (deps, state, h, answer) =>
    Effect.andThen(
      settleSuccess(deps, state, h, answer.usage),
      Effect.as(
        Effect.andThen(
          annotateSuccess(answer.model, answer.usage),
          Effect.annotateCurrentSpan("gen_ai.embeddings.dimension.count", answer.vectors[0]?.length ?? 0)
        ),
        answer
      )
    )
})

/** One execution-plan attempt of `embed` (the chat-shaped `request` only carries the trail's messages). */
export const attemptEmbed =
  (request: EmbeddingRequest): Attempt<Embeddings> =>
  (deps, state, shaped) =>
    Effect.flatMap(Effect.service(Target), (c) =>
      guarded(deps, state, c, call(deps, state, shaped, c, embedding(request)))
    )
