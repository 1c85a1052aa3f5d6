/**
 * The Promise facade for applications that don't use Effect: one `ManagedRuntime` over the
 * engine layer; `complete` validates its input, honours an `AbortSignal`, and rejects with
 * `AmError` subclasses carrying the same stable `code` and attempt trail as `EngineError`.
 *
 * @example
 * ```ts
 * import { createEngine } from "@am/engine"
 * await using engine = createEngine({
 *   providers: { primary: { kind: "openai", keys: [{ id: "k1", secret: "env:OPENAI_API_KEY" }], models: [{ name: "gpt-4o-mini" }] } },
 *   routes: { default: [{ provider: "primary", models: ["gpt-4o-mini"] }] }
 * })
 * const answer = await engine.complete({ messages: [{ role: "user", content: "Hello" }] })
 * console.log(answer.message.content, answer.resilience.attempts.length)
 * ```
 * @since 0.1.0
 */
import type { Provider } from "@am/core"
import { Cause, Effect, Exit, ManagedRuntime } from "effect"
import { ConfigError, type EngineConfig, loadConfig } from "./Config.ts"
import { decodeRequest, Engine, type EngineCompletion, type EngineState } from "./Engine.ts"
import type { AttemptRecord, EngineError, ErrorCode, Mitigation } from "./EngineError.ts"
import { layerConfigMemory } from "./Layers.ts"

/** Base class of every error the facade rejects with. */
export class AmError extends Error {
  readonly code: ErrorCode | "configuration"
  readonly requestId: string | undefined
  readonly attempts: ReadonlyArray<AttemptRecord>
  readonly retryAfterMs: number | undefined
  readonly field: string | undefined
  readonly mitigation: Mitigation | undefined
  constructor(
    code: AmError["code"],
    message: string,
    details?: {
      readonly requestId?: string
      readonly attempts?: ReadonlyArray<AttemptRecord>
      readonly retryAfterMs?: number
      readonly field?: string
      readonly mitigation?: Mitigation
    }
  ) {
    super(message)
    this.name = new.target.name
    this.code = code
    this.requestId = details?.requestId
    this.attempts = details?.attempts ?? []
    this.retryAfterMs = details?.retryAfterMs
    this.field = details?.field
    this.mitigation = details?.mitigation
  }
}
export class AllProvidersFailedError extends AmError {}
export class ContentPolicyError extends AmError {}
export class InvalidRequestError extends AmError {}
export class RequestTooLargeError extends AmError {}
export class DeadlineExceededError extends AmError {}
export class NoRouteError extends AmError {}
export class InterruptedError extends AmError {}
/** The config was invalid; `field` is the dotted path of the bad field. */
export class ConfigurationError extends AmError {}

const classes: Record<ErrorCode, typeof AmError> = {
  all_providers_failed: AllProvidersFailedError,
  content_policy: ContentPolicyError,
  invalid_request: InvalidRequestError,
  request_too_large: RequestTooLargeError,
  deadline_exceeded: DeadlineExceededError,
  no_route: NoRouteError,
  interrupted: InterruptedError
}

/** Maps an `EngineError` to its facade class. */
export const toAmError = (e: EngineError): AmError =>
  new classes[e.code](e.code, e.message, {
    requestId: e.requestId,
    attempts: e.attempts,
    ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
    ...(e.field !== undefined ? { field: e.field } : {}),
    ...(e.mitigation !== undefined ? { mitigation: e.mitigation } : {})
  })

export interface CreateEngineOptions {
  /** Environment for `env:NAME` secrets and `AM__…` overrides (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** Providers to use instead of the SDK adapters (tests, simulations). */
  readonly providers?: ReadonlyArray<Provider>
}

export interface AmEngine extends AsyncDisposable {
  readonly config: EngineConfig
  readonly complete: (request: unknown, options?: { readonly signal?: AbortSignal }) => Promise<EngineCompletion>
  readonly state: () => Promise<EngineState>
  readonly close: () => Promise<void>
}

/**
 * Validates the config (throwing `ConfigurationError` naming the bad field) and returns the
 * engine facade. `close()` (or `await using`) releases the runtime.
 */
export const createEngine = (config: unknown, options?: CreateEngineOptions): AmEngine => {
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
    layerConfigMemory(resolved, options?.providers !== undefined ? { providers: options.providers } : undefined)
  )
  const run = <A>(effect: Effect.Effect<A, EngineError, Engine>, signal?: AbortSignal) =>
    runtime.runPromiseExit(effect, signal !== undefined ? { signal } : undefined).then((exit) => {
      if (Exit.isSuccess(exit)) return exit.value
      const failure = exit.cause.reasons.find((r) => r._tag === "Fail")
      if (failure !== undefined && failure._tag === "Fail") throw toAmError(failure.error)
      if (Cause.hasInterruptsOnly(exit.cause)) {
        throw new InterruptedError("interrupted", "the request was aborted by the caller")
      }
      throw Cause.squash(exit.cause)
    })
  const close = () => runtime.dispose()
  return {
    config: resolved,
    complete: (request, opts) =>
      run(
        Effect.flatMap(decodeRequest(request), (req) =>
          Effect.flatMap(Effect.service(Engine), (engine) => engine.complete(req))
        ),
        opts?.signal
      ),
    state: () => runtime.runPromise(Effect.flatMap(Effect.service(Engine), (engine) => engine.state)),
    close,
    [Symbol.asyncDispose]: close
  }
}
