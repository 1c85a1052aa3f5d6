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
 * A streamed request is answered from an entry as the chunks of the stored answer
 * (`replayStream`); a live stream that finishes stores its answer. Streams are cached only when
 * no input guard runs (a guarded stream reaches the client restored, so its answer could hold
 * raw PII), and concurrent identical stream misses are not coalesced (each streams live).
 *
 * The engine depends on `@am/cache` directly (it depends on `effect` and `@am/core` only, no
 * Redis or SQL client: the host provides those to the cache's layers).
 *
 * @internal
 */
import { replayStream, type ResponseCacheShape } from "@am/cache"
import { Completion, type CompletionChunk, contentText, type TokenLogprob } from "@am/core"
import { Clock, Data, Effect, Option, Schema, Stream } from "effect"
import type { EngineError, Resilience } from "../EngineError.ts"
import type { EngineStream } from "../EngineTypes.ts"
import { publishSucceeded } from "./Answer.ts"
import type { EngineDeps } from "./Deps.ts"
import { finishRequest } from "./Record.ts"
import type { RequestState } from "./RequestState.ts"

/** What an entry keeps: the answer and which candidate produced it. */
const Entry = Schema.Struct({ completion: Completion, provider: Schema.String, model: Schema.String })

/** The route the cache policy is looked up by: the request's route, or the model it names. */
const cacheRouteOf = (state: RequestState): string => state.request.route ?? state.request.model ?? state.route

type CacheDeps = EngineDeps & { readonly cache?: ResponseCacheShape }

const keyOf = (state: RequestState) => {
  const request = state.request
  return {
    workspace: request.metadata?.workspaceId ?? "",
    route: cacheRouteOf(state),
    request,
    ...(request.reasoning !== undefined ? { extra: { reasoning: request.reasoning } } : {})
  }
}

const hitResilience = (state: RequestState, provider: string, model: string, originalRequestId: string) =>
  Effect.map(
    Clock.currentTimeMillis,
    (now): Resilience => ({
      requestId: state.requestId,
      outcome: "SUCCESS",
      attempts: [],
      provider,
      model,
      latencyMs: now - state.startedAt,
      cache: "hit",
      originalRequestId
    })
  )

/**
 * Runs `compute` (the plan and its drive) through the response cache when one is provided and
 * the request does not stream.
 */
export const cachedCompletion = (
  deps: CacheDeps,
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
      { ...keyOf(state), mode: request.cache ?? "use" },
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
          : Effect.map(
              Effect.tap(hitResilience(state, answer.value.provider, answer.value.model, answer.requestId), () =>
                Effect.sync(() => {
                  state.cacheHitOf = answer.requestId
                })
              ),
              (resilience) => [answer.value.completion, resilience] as const
            )
      )
    )
}

/**
 * The cache a stream of this request is read from and stored to: none without a cache, for a
 * guarded engine (its answers hold restored values), under `cache: "off"`, or for a route the
 * cache does not keep (a lookup would only count a bypass).
 */
const streamCache = (deps: CacheDeps, state: RequestState) => {
  const cache = deps.cache
  return cache === undefined ||
    deps.guard?.enabled === true ||
    state.request.cache === "off" ||
    !cache.caches(cacheRouteOf(state))
    ? undefined
    : cache
}

/** Nothing stored: the stream goes live (never stored as a failure: nothing is shared). */
class NoEntry extends Data.TaggedError("NoEntry")<{}> {}

/**
 * A streamed request's answer from the cache, as a stream of the stored answer (recorded as a
 * hit when it ends), or `None` when it must stream live.
 */
export const cachedStream = (deps: CacheDeps, state: RequestState): Effect.Effect<Option.Option<EngineStream>> => {
  const cache = streamCache(deps, state)
  // `refresh` answers live (and stores); a route the cache does not keep has nothing to look up.
  if (cache === undefined || state.request.cache === "refresh") return Effect.succeedNone
  return cache.getOrCompute(Entry, { ...keyOf(state), mode: "use" }, Effect.fail(new NoEntry())).pipe(
    Effect.flatMap((answer) =>
      Effect.map(hitResilience(state, answer.value.provider, answer.value.model, answer.requestId), (resilience) => {
        state.cacheHitOf = answer.requestId
        const completion = answer.value.completion
        const text = contentText(completion.message.content)
        const finished = Effect.andThen(
          publishSucceeded(deps, state, resilience),
          finishRequest(deps, state, {
            outcome: "SUCCESS",
            provider: resilience.provider,
            model: resilience.model,
            responseText: text,
            stream: { outputChars: text.length, firstTokenMs: 0, cut: false }
          })
        )
        return Option.some<EngineStream>({
          requestId: state.requestId,
          provider: resilience.provider,
          model: resilience.model,
          attempts: 0,
          resilience,
          chunks: replayStream(completion).pipe(Stream.ensuring(finished))
        })
      })
    ),
    Effect.catchTag("NoEntry", () => Effect.succeedNone)
  )
}

/**
 * The cache status of a stream that goes live (`resilience.cache`, the gateway's `x-am-cache`):
 * `miss` when its route is cached (it is stored when it finishes), `off` when it is not or the
 * request bypasses it, none without a cache — as `complete` reports it.
 */
export const liveStreamCacheStatus = (deps: CacheDeps, state: RequestState): "miss" | "off" | undefined =>
  deps.cache === undefined ? undefined : streamCache(deps, state) === undefined ? "off" : "miss"

/** A live stream that stores its answer when it finishes (an unguarded, cached route's). */
export const storingStream = (deps: CacheDeps, state: RequestState, live: EngineStream): EngineStream => {
  const cache = streamCache(deps, state)
  // Not kept: no chunk is folded for an answer nobody stores.
  if (cache === undefined) return live
  let text = ""
  const calls: Array<{ id: string; name: string; arguments: string }> = []
  // What a replay gives back besides the text: the provider's tokens, fingerprint and reasoning.
  const logprobs: Array<TokenLogprob> = []
  let fingerprint: string | undefined
  const reasoning: Array<{ text: string; signature?: string; redactedData?: string; provider?: string }> = []
  let finish: Extract<CompletionChunk, { _tag: "Finish" }> | undefined
  const seen = (chunk: CompletionChunk) => {
    if (chunk._tag === "TextDelta") {
      text += chunk.text
      if (chunk.logprobs !== undefined) logprobs.push(...chunk.logprobs)
      fingerprint ??= chunk.systemFingerprint
    } else if (chunk._tag === "ReasoningDelta") {
      const part = reasoning[chunk.index] ?? { text: "" }
      reasoning[chunk.index] = part
      if (chunk.text !== undefined) part.text += chunk.text
      if (chunk.signature !== undefined) part.signature = chunk.signature
      if (chunk.redactedData !== undefined) part.redactedData = chunk.redactedData
      if (chunk.provider !== undefined) part.provider = chunk.provider
    } else if (chunk._tag === "ToolCallDelta") {
      const call = calls[chunk.index] ?? { id: "", name: "", arguments: "" }
      calls[chunk.index] = call
      if (chunk.id !== undefined) call.id = chunk.id
      if (chunk.name !== undefined) call.name = chunk.name
      if (chunk.argumentsDelta !== undefined) call.arguments += chunk.argumentsDelta
    } else if (chunk._tag === "Finish") finish = chunk
  }
  const store = Effect.suspend(() => {
    if (finish === undefined) return Effect.void
    const toolCalls = calls.filter((c) => c !== undefined)
    const parts = reasoning.filter((p) => p !== undefined).map((p) => ({ type: "reasoning" as const, ...p }))
    const systemFingerprint = finish.systemFingerprint ?? fingerprint
    const completion = {
      message: {
        role: "assistant" as const,
        content: text,
        ...(toolCalls.length > 0 ? { toolCalls } : {}),
        ...(parts.length > 0 ? { reasoning: parts } : {})
      },
      finishReason: finish.finishReason,
      usage: finish.usage,
      provider: live.provider,
      model: finish.model,
      ...(finish.rawFinishReason !== undefined ? { rawFinishReason: finish.rawFinishReason } : {}),
      ...(systemFingerprint !== undefined ? { systemFingerprint } : {}),
      ...(logprobs.length > 0 ? { logprobs } : {}),
      ...(finish.wireItems !== undefined ? { wireItems: finish.wireItems } : {})
    }
    return Effect.asVoid(
      cache.getOrCompute(
        Entry,
        { ...keyOf(state), mode: "refresh" },
        Effect.succeed({ requestId: live.requestId, value: { completion, provider: live.provider, model: live.model } })
      )
    )
  })
  return {
    ...live,
    chunks: live.chunks.pipe(
      Stream.tap((chunk) => Effect.sync(() => seen(chunk))),
      Stream.concat(Stream.fromEffect(store).pipe(Stream.drain))
    )
  }
}
