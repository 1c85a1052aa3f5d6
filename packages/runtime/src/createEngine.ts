/**
 * The Promise facade for applications that don't use Effect: one `ManagedRuntime` over the
 * engine layer; `complete` validates its input, honours an `AbortSignal`, and rejects with
 * `AmError` subclasses carrying the same stable `code` and attempt trail as `EngineError`.
 *
 * @example
 * ```ts
 * import { createEngine } from "@am/runtime"
 * await using engine = createEngine({
 *   providers: { primary: { kind: "openai", keys: [{ id: "k1", secret: "env:OPENAI_API_KEY" }], models: [{ name: "gpt-4o-mini" }] } },
 *   routes: { default: [{ provider: "primary", models: ["gpt-4o-mini"] }] }
 * })
 * const answer = await engine.complete({ messages: [{ role: "user", content: "Hello" }] })
 * console.log(answer.message.content, answer.resilience.attempts.length)
 * // Streaming: failover until the first token; a cut stream throws StreamInterruptedError.
 * const chunks = engine.stream({ messages: [{ role: "user", content: "Hello" }] })
 * for await (const chunk of chunks) if (chunk._tag === "TextDelta") process.stdout.write(chunk.text)
 * console.log(chunks.commit?.provider)
 * ```
 * @since 0.1.0
 */
import { Idempotency, IdempotencyError, idempotencyHash, recordReplay } from "@am/cache"
import { Completion, type CompletionChunk, type CompletionRequest, contentText, type Provider } from "@am/core"
import { Cause, Effect, Exit, ManagedRuntime, Schema, type StandardSchema, Stream } from "effect"
import {
  decodeRequest,
  Engine,
  type EngineCompletion,
  EngineError,
  type EngineState,
  Resilience,
  type StreamOptions
} from "@am/engine"
import {
  type AmError,
  ConfigurationError,
  IdempotencyInProgressError,
  IdempotencyKeyReusedError,
  IdempotencyUnavailableError,
  InterruptedError,
  InvalidRequestError,
  StoreUnavailableError,
  toAmError
} from "./AmError.ts"
import { replayRecorders } from "./Cache.ts"
import { type AmConfig, ConfigError, loadConfig } from "./Config.ts"
import { layerEngine } from "./Layers.ts"
import type { ObservabilityOptions } from "./Observability.ts"

/** Maps an `IdempotencyError` (the request was not run) to its facade class. */
const toIdempotencyAmError = (e: IdempotencyError): AmError => {
  const r = e.reason
  switch (r._tag) {
    case "InProgress":
      return new IdempotencyInProgressError("idempotency_in_progress", e.message, { retryAfterMs: r.retryAfterMs })
    case "KeyReused":
      return new IdempotencyKeyReusedError("idempotency_key_reused", e.message, { field: "idempotencyKey" })
    case "StoreUnavailable":
      return new IdempotencyUnavailableError("idempotency_unavailable", e.message)
    case "InvalidKey":
      return new InvalidRequestError("invalid_request", e.message, {
        field: r.field === "workspace" ? "metadata.workspaceId" : "idempotencyKey"
      })
  }
}

/** What the facade keeps under an `idempotencyKey`: the answer as `complete` resolved it. */
const StoredAnswer = Schema.Struct({
  completion: Completion,
  resilience: Resilience,
  output: Schema.optionalKey(Schema.Json)
})

export interface CreateEngineOptions {
  /** Environment for `env:NAME` secrets and `AM__…` overrides (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** Providers to use instead of the SDK adapters (tests, simulations). */
  readonly providers?: ReadonlyArray<Provider>
  /**
   * The workspace a request is recorded under when it names none in `metadata.workspaceId`
   * (default `"default"`); `llm_runs` rows always belong to a workspace.
   */
  readonly workspace?: string
  /** OTLP export tuning (intervals, shutdown bound) when the config sets `telemetry.otlp`; `close()` flushes. */
  readonly observability?: ObservabilityOptions
}

/** Which candidate a stream committed to (its first content token). */
export interface StreamCommit {
  readonly requestId: string
  readonly provider: string
  readonly model: string
  /** Calls made up to and including the committed one. */
  readonly attempts: number
  readonly resilience: Resilience
}

/**
 * A streamed answer: `for await` its chunks (from the first content token on, ending with one
 * `Finish`). Nothing runs until iteration starts; the request is validated then. Errors are thrown
 * as `AmError` subclasses: before the first chunk the same ones `complete` rejects with, after it
 * `StreamInterruptedError` (the answer is cut). Breaking out of the loop, or aborting the signal,
 * stops the upstream call and ends the request (recorded as `interrupted` where a ledger is wired).
 */
export interface AmStream extends AsyncIterable<CompletionChunk> {
  /** Set once the stream committed (before its first chunk is yielded); `undefined` until then. */
  readonly commit: StreamCommit | undefined
}

export interface AmEngine extends AsyncDisposable {
  readonly config: AmConfig
  readonly complete: (request: unknown, options?: { readonly signal?: AbortSignal }) => Promise<EngineCompletion>
  /**
   * A completion whose answer is parsed and validated against `schema` (any Standard Schema:
   * zod, Effect Schema, Valibot, …) and returned typed by it. An answer that fails the schema
   * gets one repair attempt naming the issues; a second failure rejects with
   * `OutputInvalidError` carrying them.
   *
   * @example
   * ```ts
   * import { z } from "zod"
   * const city = await engine.completeObject({
   *   schema: z.object({ city: z.string(), population: z.number() }),
   *   messages: [{ role: "user", content: "The largest city of France, as JSON {city, population}" }]
   * })
   * city.population // number
   * ```
   */
  readonly completeObject: <S extends StandardSchema.StandardSchemaV1>(
    request: { readonly schema: S; readonly messages: ReadonlyArray<unknown> } & Readonly<Record<string, unknown>>,
    options?: { readonly signal?: AbortSignal }
  ) => Promise<StandardSchema.StandardSchemaV1.InferOutput<S>>
  /** Streams the answer with failover until its first token; see `AmStream`. */
  readonly stream: (request: unknown, options?: StreamOptions & { readonly signal?: AbortSignal }) => AmStream
  readonly state: () => Promise<EngineState>
  readonly close: () => Promise<void>
}

/** Config sections only the gateway reads. */
const GATEWAY_ONLY = ["server", "gatewayKeys"] as const

/**
 * Validates the config (throwing `ConfigurationError` naming the bad field) and returns the
 * engine facade. `close()` (or `await using`) releases the runtime.
 */
export const createEngine = (config: unknown, options?: CreateEngineOptions): AmEngine => {
  // The gateway's own sections would be accepted and ignored here: say so instead.
  const hostOnly = GATEWAY_ONLY.find((field) => typeof config === "object" && config !== null && field in config)
  if (hostOnly !== undefined) {
    throw new ConfigurationError(
      "configuration",
      `invalid config at ${hostOnly}: "${hostOnly}" is read by the gateway only (createEngine does not listen or authenticate callers); remove it, or run the config with the gateway`,
      { field: hostOnly }
    )
  }
  const loaded = Effect.runSyncExit(loadConfig(config, options?.env !== undefined ? { env: options.env } : undefined))
  if (Exit.isFailure(loaded)) {
    const e = Cause.squash(loaded.cause)
    if (e instanceof ConfigError) {
      throw new ConfigurationError("configuration", `invalid config at ${e.path}: ${e.message}`, { field: e.path })
    }
    throw e
  }
  const resolved = loaded.value
  const runtime = ManagedRuntime.make(
    layerEngine(resolved, {
      ...(options?.providers !== undefined ? { providers: options.providers } : {}),
      ...(options?.observability !== undefined ? { observability: options.observability } : {})
    })
  )
  const run = <A>(
    effect: Effect.Effect<A, EngineError | IdempotencyError, Engine | Idempotency>,
    signal?: AbortSignal
  ) =>
    runtime.runPromiseExit(effect, signal !== undefined ? { signal } : undefined).then((exit) => {
      if (Exit.isSuccess(exit)) return exit.value
      const failure = exit.cause.reasons.find((r) => r._tag === "Fail")
      if (failure !== undefined && failure._tag === "Fail") {
        const e = failure.error
        if (e instanceof EngineError) throw toAmError(e)
        if (e instanceof IdempotencyError) throw toIdempotencyAmError(e)
        // The layer could not start: a store named in the config is unreachable or unusable.
        throw new StoreUnavailableError("store_unavailable", `cannot open the ${e.store} store: ${e.message}`)
      }
      if (Cause.hasInterruptsOnly(exit.cause)) {
        throw new InterruptedError("interrupted", "the request was aborted by the caller")
      }
      throw Cause.squash(exit.cause)
    })
  const close = () => runtime.dispose()
  const workspace = options?.workspace ?? "default"
  // The facade's callers rarely think in workspaces: a request that names none is the default one's.
  const decode = (request: unknown) =>
    Effect.map(decodeRequest(request), (req) =>
      req.metadata?.workspaceId !== undefined ? req : { ...req, metadata: { ...req.metadata, workspaceId: workspace } }
    )

  const stream = (request: unknown, options?: StreamOptions & { readonly signal?: AbortSignal }): AmStream => {
    let commit: StreamCommit | undefined
    const { signal, ...limits } = options ?? {}
    const source = Stream.unwrap(
      Effect.gen(function* () {
        const req = yield* decode(request)
        const s = yield* (yield* Engine).stream(req, limits)
        commit = {
          requestId: s.requestId,
          provider: s.provider,
          model: s.model,
          attempts: s.attempts,
          resilience: s.resilience
        }
        return s.chunks
      })
    )
    const aborted = () => new InterruptedError("interrupted", "the stream was aborted by the caller")
    const toThrown = (e: unknown) => (e instanceof EngineError ? toAmError(e) : e)
    return {
      get commit() {
        return commit
      },
      [Symbol.asyncIterator]: (): AsyncIterator<CompletionChunk> => {
        let inner: AsyncIterator<CompletionChunk> | undefined
        // Aborting stops the iteration like a `break` does: the upstream call is interrupted.
        const onAbort = () => void inner?.return?.()
        const detach = () => signal?.removeEventListener("abort", onAbort)
        const stop = async (): Promise<IteratorResult<CompletionChunk>> => {
          detach()
          await inner?.return?.()
          return { done: true, value: undefined }
        }
        return {
          next: async () => {
            if (signal?.aborted) {
              await stop()
              throw aborted()
            }
            if (inner === undefined) {
              const context = await runtime.context()
              inner = Stream.toAsyncIterableWith(source, context)[Symbol.asyncIterator]()
              signal?.addEventListener("abort", onAbort, { once: true })
            }
            try {
              const result = await inner.next()
              if (signal?.aborted) throw aborted()
              if (result.done === true) detach()
              return result
            } catch (e) {
              detach()
              throw signal?.aborted ? aborted() : toThrown(e)
            }
          },
          return: stop
        }
      }
    }
  }

  // A request with an `idempotencyKey` runs once per workspace and key (`@am/cache`): a repeat
  // with the same request resolves with the first answer (same request id, `resilience.replayed`),
  // no call, recorded as a replay (its own ledger entry and llm_runs row, cost 0); a repeat while
  // it runs rejects (or waits, with `idempotency.wait`).
  const once = (req: CompletionRequest, answer: Effect.Effect<EngineCompletion, EngineError, Engine>) =>
    req.idempotencyKey === undefined
      ? answer
      : Effect.flatMap(Effect.service(Idempotency), (idempotency) =>
          idempotency
            .run(
              StoredAnswer,
              {
                workspace: req.metadata?.workspaceId ?? workspace,
                key: req.idempotencyKey!,
                requestHash: idempotencyHash(req),
                wait: resolved.idempotency.wait
              },
              Effect.map(answer, ({ resilience, output, ...completion }) => ({
                requestId: resilience.requestId,
                value: { completion, resilience, ...(output !== undefined ? { output: output as Schema.Json } : {}) }
              }))
            )
            .pipe(
              Effect.tap(({ replayed, requestId, value }) =>
                replayed
                  ? Effect.flatMap(replayRecorders, (to) =>
                      recordReplay(
                        {
                          workspaceId: req.metadata?.workspaceId ?? workspace,
                          idempotencyKey: req.idempotencyKey!,
                          pipelineRunId: req.metadata?.pipelineRunId,
                          stage: req.metadata?.stage,
                          route: req.route ?? req.model ?? "default",
                          messages: req.messages,
                          originalRequestId: requestId,
                          outcome: value.resilience.outcome === "MITIGATED_SUCCESS" ? "MITIGATED_SUCCESS" : "SUCCESS",
                          provider: value.resilience.provider,
                          model: value.resilience.model,
                          responseText: contentText(value.completion.message.content)
                        },
                        to
                      )
                    )
                  : Effect.void
              ),
              Effect.map(
                ({ replayed, value }): EngineCompletion => ({
                  ...value.completion,
                  resilience: replayed ? { ...value.resilience, replayed: true } : value.resilience,
                  ...(value.output !== undefined ? { output: value.output } : {})
                })
              )
            )
        )

  return {
    config: resolved,
    complete: (request, opts) =>
      run(
        Effect.flatMap(decode(request), (req) =>
          once(
            req,
            Effect.flatMap(Effect.service(Engine), (engine) => engine.complete(req))
          )
        ),
        opts?.signal
      ),
    completeObject: <S extends StandardSchema.StandardSchemaV1>(
      { schema, ...request }: { readonly schema: S } & Readonly<Record<string, unknown>>,
      opts?: { readonly signal?: AbortSignal }
    ) =>
      run(
        Effect.flatMap(decode(request), (req) =>
          Effect.flatMap(Effect.service(Engine), (engine) => engine.complete(req, { schema }))
        ),
        opts?.signal
      ).then((answer) => answer.output as StandardSchema.StandardSchemaV1.InferOutput<S>),
    stream,
    state: () => runtime.runPromise(Effect.flatMap(Effect.service(Engine), (engine) => engine.state)),
    close,
    [Symbol.asyncDispose]: close
  }
}
