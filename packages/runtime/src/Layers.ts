/**
 * The all-in-one layer: from a resolved `EngineConfig` to a running `Engine` with the
 * official-SDK adapters, the keyring, the breakers, the retry budget and model health (in the
 * process, or shared between replicas through Redis when `state.store` is a `redis://` URL),
 * the router (`@am/router`, or the one `options.router` gives), the classifier and the
 * configured rewriter, over a memory event bus.
 *
 * @example
 * ```ts
 * import { Engine, layerConfig, loadConfig } from "@am/runtime"
 * import { Effect, Layer } from "effect"
 * const EngineLive = Layer.unwrap(Effect.map(loadConfig(rawJson), (config) => layerConfig(config)))
 * ```
 * @since 0.1.0
 */
import { Breakers } from "@am/breaker"
import { Classifier } from "@am/classifier"
import { EventBus, type Provider, ProviderRegistry, RequestGuard } from "@am/core"
import { Keyring } from "@am/keyring"
import { make as makeAnthropic } from "@am/provider-anthropic"
import { make as makeGemini, ThoughtSignatureStore } from "@am/provider-gemini"
import { make as makeOpenAI } from "@am/provider-openai"
import { PromptRewriter } from "@am/rewriter"
import { Router } from "@am/router"
import { layerAudit } from "./Audit.ts"
import { makeRequestGuard } from "./internal/GuardAdapter.ts"
import { layerCache } from "./Cache.ts"
import { droppedFieldsOf } from "./FieldSupport.ts"
import type { AmConfig } from "./Config.ts"
import { layerObservability, type ObservabilityOptions } from "./Observability.ts"
import { layerStateRedis } from "./StateRedis.ts"
import { StoreHealth } from "./StoreHealth.ts"
import { Effect, Layer, Redacted } from "effect"
import { Redis } from "effect/persistence"
import {
  DroppedFields,
  type DroppedFieldsOf,
  Engine,
  type EngineConfig,
  ModelHealth,
  type ProviderSpec,
  RequestRecorder,
  RetryBudget,
  stepsOf
} from "@am/engine"

export { RouteHints, type RouteHintsShape, Router } from "@am/router"

/** What the adapters may share between replicas (today: Gemini's thought signatures). */
export interface SharedProviderState {
  readonly thoughtSignatures?: ThoughtSignatureStore
}

/** Builds the official-SDK adapter for a configured provider. */
export const makeProvider = (spec: ProviderSpec, shared?: SharedProviderState): Provider => {
  const common = {
    id: spec.id,
    timeoutMs: spec.timeoutMs,
    ...(spec.connectTimeoutMs !== undefined ? { connectTimeoutMs: spec.connectTimeoutMs } : {}),
    ...(spec.baseURL !== undefined ? { baseURL: spec.baseURL } : {}),
    ...(spec.headers !== undefined ? { headers: spec.headers } : {})
  }
  switch (spec.kind) {
    case "openai":
    case "openai-compatible":
      return makeOpenAI({ ...common, kind: spec.kind })
    case "anthropic":
      return makeAnthropic(common)
    case "gemini":
      return makeGemini({
        ...common,
        ...(shared?.thoughtSignatures !== undefined ? { thoughtSignatures: shared.thoughtSignatures } : {})
      })
  }
}

export interface LayerConfigOptions {
  /** Use these providers instead of building the SDK adapters (tests, simulations). */
  readonly providers?: ReadonlyArray<Provider>
  /** Plan with this router instead of the route-table one (`layerRouter(config)`); any `Layer` of `Router`. */
  readonly router?: Layer.Layer<Router>
  /** What an answer could not honour, instead of the adapters' tables (`droppedFieldsOf(config)`); hosts with wire paths. */
  readonly droppedFields?: DroppedFieldsOf
}

/**
 * The route-table router over the config's providers and routes, with the built-in model
 * catalogue filling what a model entry leaves out (`@am/router`'s `Router.layer`).
 */
export const layerRouter = (config: EngineConfig): Layer.Layer<Router> =>
  Router.layer({ providers: config.providers, routes: config.routes })

/** Every model each provider may be called with: its listed models, the routes', the rewriter's and the verifiers'. */
const knownModels = (
  config: EngineConfig & Partial<Pick<AmConfig, "guards">>
): Record<string, ReadonlyArray<string>> => {
  const models = new Map([...config.providers.values()].map((p) => [p.id, new Set(p.models.keys())] as const))
  for (const route of config.routes.values()) {
    for (const step of stepsOf(route)) for (const model of step.models) models.get(step.provider)?.add(model)
  }
  const rw = config.mitigation.rewriter
  if (rw.kind === "llm") models.get(rw.provider)?.add(rw.model)
  const verify = config.guards?.verify
  if (verify?.enabled === true) {
    for (const v of [verify.verifier, ...Object.values(verify.routes ?? {}).map((r) => r.verifier)]) {
      if (v !== undefined) models.get(v.provider)?.add(v.model)
    }
  }
  return Object.fromEntries([...models].map(([id, set]) => [id, [...set]] as const))
}

/**
 * The state replicas may share: keyring, breakers, retry budget and model health. With
 * `state.store` = `memory` each lives in the process; with a `redis://` URL all four live in
 * Redis under `state.prefix` over one connection (`layerStateRedis`): each command is bounded by
 * `state.commandTimeout` behind a breaker, an unreachable Redis at start only means starting on
 * local state, and each service runs on this process's own state until Redis answers.
 */
export const layerState = (
  config: EngineConfig & { readonly state: AmConfig["state"] } & Partial<Pick<AmConfig, "guards">>
) => {
  const keyringConfig = {
    pools: Object.fromEntries(
      [...config.providers.values()].map((p) => [p.id, { keys: p.keys, strategy: p.keySelection }] as const)
    )
  }
  const breakersConfig = {
    providers: Object.fromEntries([...config.providers.values()].map((p) => [p.id, p.breaker] as const)),
    models: knownModels(config)
  }
  const health = { quarantineMs: config.retry.modelQuarantineMs }
  if (config.state.store === "memory") {
    return Layer.mergeAll(
      Keyring.layerMemory(keyringConfig),
      Breakers.layerMemory(breakersConfig),
      RetryBudget.layerMemory(config.retry.budget),
      ModelHealth.layerMemory(health)
    )
  }
  const shared = { prefix: config.state.prefix }
  return Layer.mergeAll(
    Keyring.layerRedis(keyringConfig, shared),
    Breakers.layerRedis(breakersConfig, shared),
    RetryBudget.layerRedis(config.retry.budget, shared),
    ModelHealth.layerRedis(health, shared)
  ).pipe(Layer.provide(redisOf(config.state)))
}

/** The state store's Redis (bounded commands, behind a breaker), with `StoreHealth` reporting it. */
const redisOf = (state: AmConfig["state"]) =>
  layerStateRedis(
    state.store,
    state.commandTimeoutMs !== undefined ? { commandTimeoutMs: state.commandTimeoutMs } : undefined
  ).pipe(Layer.provide(StoreHealth.layer)) // the same layer value as the audit's: one registry (memoised)

/**
 * The request guard of the config's `guards` section (`@am/guard` behind core's `RequestGuard`):
 * PII and secrets redacted and restored, the injection firewall, output contracts, sanitisation
 * and size limits. With no `guards` section only output contracts are checked.
 */
export const layerGuard = (config: Pick<AmConfig, "guards"> & Partial<Pick<AmConfig, "providers" | "gatewayKeys">>) =>
  Layer.succeed(RequestGuard, makeRequestGuard(config.guards, configuredSecrets(config)))

/** The provider keys and gateway keys (not their `sha256:` digests): masked in answers and errors. */
const configuredSecrets = (config: Partial<Pick<AmConfig, "providers" | "gatewayKeys">>): ReadonlyArray<string> => [
  ...[...(config.providers?.values() ?? [])].flatMap((p) => p.keys.map((k) => Redacted.value(k.secret))),
  ...(config.gatewayKeys ?? []).map((k) => Redacted.value(k.secret)).filter((s) => !s.startsWith("sha256:"))
]

/** The services the engine runs on, built from config; `EventBus` comes from outside. */
export const layerServices = (config: AmConfig, options?: LayerConfigOptions) => {
  const specs = [...config.providers.values()]
  // With a Redis state store, Gemini's thought signatures are shared, so a follow-up tool turn
  // may land on any replica (keys under `state.prefix`, bounded by count and TTL).
  const registry =
    options?.providers !== undefined || config.state.store === "memory" || !specs.some((s) => s.kind === "gemini")
      ? ProviderRegistry.layerFromProviders(options?.providers ?? specs.map((spec) => makeProvider(spec)))
      : Layer.unwrap(
          Effect.map(Effect.service(Redis.Redis), (redis) => {
            const thoughtSignatures = ThoughtSignatureStore.redis(redis, { prefix: config.state.prefix })
            return ProviderRegistry.layerFromProviders(specs.map((spec) => makeProvider(spec, { thoughtSignatures })))
          })
        ).pipe(Layer.provide(redisOf(config.state)))
  const rw = config.mitigation.rewriter
  const rewriter =
    rw.kind === "rule"
      ? PromptRewriter.layerRule()
      : Layer.unwrap(
          Effect.gen(function* () {
            const provider = yield* (yield* ProviderRegistry).get(rw.provider)
            const keys = yield* Keyring
            return PromptRewriter.layerLLM({
              provider,
              model: rw.model,
              key: keys.lease(rw.provider, rw.model),
              timeout: rw.timeoutMs
            })
          }).pipe(Effect.orDie)
        )
  const base = Layer.mergeAll(
    registry,
    // What the answering provider could not honour, from the adapters' tables (resilience and ledger).
    Layer.succeed(DroppedFields, options?.droppedFields ?? droppedFieldsOf(config)),
    layerState(config),
    Classifier.layer,
    options?.router ?? layerRouter(config),
    layerGuard(config)
  )
  return Layer.provideMerge(rewriter, base)
}

/**
 * Engine + its services (keyring, breakers, registry, budget) over the given `EventBus`. Requests
 * are recorded through `options.recorder` (e.g. `RequestRecorder.layerWithRuns` over stores you
 * provide), or not at all.
 */
export const layerConfig = <R = never>(
  config: AmConfig,
  options?: LayerConfigOptions & { readonly recorder?: Layer.Layer<RequestRecorder, never, R> }
) =>
  Layer.provideMerge(
    Engine.layer(config),
    Layer.merge(
      layerServices(config, options),
      options?.recorder ?? (RequestRecorder.layerNoop as Layer.Layer<RequestRecorder, never, R>)
    )
  )

/** `layerConfig` over a memory event bus (also exposing `EventLog`); nothing recorded. */
export const layerConfigMemory = (config: AmConfig, options?: LayerConfigOptions) =>
  Layer.provideMerge(layerConfig(config, options), EventBus.layerMemory)

export interface LayerEngineOptions extends LayerConfigOptions {
  /** JSON attempt logs on stdout (default: the config's `telemetry.logs`). */
  readonly logs?: boolean | undefined
  /** OTLP export tuning (intervals, shutdown bound) when the config sets `telemetry.otlp`. */
  readonly observability?: ObservabilityOptions | undefined
}

/**
 * What every host (the gateway, the demo, `createEngine`) runs on for a config: the engine and
 * its services over the audit trail the config asks for — `ledger.store` (memory, `sqlite:PATH`,
 * `postgres://…`) with `llm_runs`, the telemetry bus (`telemetry.logs`, `telemetry.events`) and
 * pricing — and, with `telemetry.otlp`, OTLP export of traces, metrics and logs. One wiring, so a
 * config field means the same in every host.
 *
 * The exporters are built first and released last: closing the layer drains the telemetry bus
 * (whose metrics subscriber updates the GenAI metrics) before the final OTLP flush.
 */
export const layerEngine = (config: AmConfig, options?: LayerEngineOptions) =>
  // The audit trail below provides the `RequestRecorder` its ledger.store asks for.
  Layer.provideMerge(
    Engine.layer(config),
    layerServices(config, {
      ...(options?.providers !== undefined ? { providers: options.providers } : {}),
      ...(options?.router !== undefined ? { router: options.router } : {}),
      ...(options?.droppedFields !== undefined ? { droppedFields: options.droppedFields } : {})
    })
  ).pipe(
    Layer.provideMerge(layerAudit(config, options?.logs !== undefined ? { logs: options.logs } : undefined)),
    Layer.provideMerge(layerObservability(config, options?.observability)),
    // Idempotency keys and the response cache (`idempotency`, `cache`), below the engine and the host's routes.
    // The schema has checked every field, so a refusal here is a defect.
    Layer.provideMerge(Layer.orDie(layerCache(config)))
  )
