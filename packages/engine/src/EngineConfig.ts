/**
 * What the engine runs on: providers (as the engine sees them), routes, retry bounds, content
 * mitigation and streaming timeouts — already resolved (durations in milliseconds, defaults
 * applied). `@am/runtime` decodes the config file into this shape; a custom engine may build it
 * by hand with `makeEngineConfig`.
 *
 * @example
 * ```ts
 * import { makeEngineConfig } from "@am/engine"
 * const config = makeEngineConfig({
 *   providers: [{ id: "primary", kind: "openai", models: [{ name: "gpt-4o-mini" }] }],
 *   routes: { default: [{ provider: "primary", models: ["gpt-4o-mini"] }] }
 * })
 * ```
 * @since 0.1.0
 */
import type { ApiKey, ProviderKind } from "@am/core"
import type { Capability as RouterCapability, RouteConfig, RouteEntry, RouteStep } from "@am/router"

export { stepsOf } from "@am/router"
export type { RouteConfig, RouteEntry, RouteStep } from "@am/router"

/**
 * What a model can do (the router's capability matrix): the plan skips a candidate that lacks
 * what a request needs — `tools`, `json`, `vision`, `audio`, `files`, `streaming`, `reasoning`,
 * `embeddings`, `prefill`.
 */
export type Capability = RouterCapability

/**
 * A model as configured. Every field but `name` is optional: what the config leaves out comes
 * from `@am/router`'s model catalogue (a known model's real window, capabilities, limits and
 * prices), then from the unknown-model defaults (`DEFAULT_CONTEXT_WINDOW`, `DEFAULT_CAPABILITIES`).
 */
export interface ModelSpec {
  readonly name: string
  readonly contextWindow?: number
  readonly capabilities?: ReadonlySet<Capability>
  /** The most output tokens the model gives; a request asking for more skips it. */
  readonly maxOutput?: number
  /** An embeddings model's vector size (what `Engine.embed` answers without `dimensions`). */
  readonly dimensions?: number
  /** USD per million tokens (what the `cheapest` profile orders by). */
  readonly price?: { readonly input: number; readonly output: number }
}

export interface ProviderSpec {
  readonly id: string
  readonly kind: ProviderKind
  readonly baseURL?: string
  readonly keys: ReadonlyArray<ApiKey & { readonly weight?: number }>
  readonly models: ReadonlyMap<string, ModelSpec>
  /** Per-attempt timeout of non-streamed calls (a stream is bounded by `stream` and the deadline). */
  readonly timeoutMs: number
  /** TCP + TLS handshake limit for the provider's connections; the transport's default when absent. */
  readonly connectTimeoutMs?: number
  readonly breaker: {
    readonly consecutiveFailures?: number
    readonly failureRate?: { readonly threshold: number; readonly minimumCalls?: number; readonly window?: number }
    readonly openFor?: number
    readonly maxOpenFor?: number
  }
  readonly keySelection: "round-robin" | "weighted" | "least-penalized"
  readonly headers?: Readonly<Record<string, string>>
}

export interface RetrySpec {
  readonly baseMs: number
  readonly maxMs: number
  readonly factor: number
  readonly jitter: boolean
  readonly maxAttempts: number
  readonly providerRetries: number
  readonly deadlineMs: number
  readonly budget: { readonly maxTokens: number; readonly tokenRatio: number }
  readonly waitForKeys: boolean
  readonly modelQuarantineMs: number
}

/**
 * How a route's streams behave past the timeouts. `continuation` (default on): a stream cut,
 * stalled or failed after content reached the client goes on from the next candidate whose
 * model has `prefill` (the original request plus the text already sent as an assistant
 * prefill; only the continuation is relayed). `hedgeAfterMs` (default off): after that long
 * without a first token the next candidate starts in parallel, and the first to send content
 * is kept (the other is cancelled upstream).
 */
export interface StreamRouteSpec {
  readonly continuation: boolean
  readonly hedgeAfterMs?: number
}

/** What a route not listed in `StreamSpec.routes` does: continue a cut stream, never hedge. */
export const DEFAULT_STREAM_ROUTE: StreamRouteSpec = { continuation: true }

/** Streaming timeouts (`Engine.stream`), and per-route stream conduct. */
export interface StreamSpec {
  readonly firstTokenTimeoutMs: number
  readonly stallTimeoutMs: number
  /**
   * How long a committed stream may run, from the request's start (default 10 minutes). The
   * request's deadline bounds everything up to the commit (attempts, waits, failover); after
   * it a stream that keeps sending within `stallTimeoutMs` runs to the later of the deadline
   * and this bound, continuations included.
   */
  readonly maxDurationMs: number
  /** By route name (as `routes`, or a concrete model's name); a route not listed gets `DEFAULT_STREAM_ROUTE`. */
  readonly routes?: ReadonlyMap<string, StreamRouteSpec>
}

/** The stream conduct of `route` under `spec`. */
export const streamRouteOf = (spec: StreamSpec, route: string): StreamRouteSpec =>
  spec.routes?.get(route) ?? DEFAULT_STREAM_ROUTE

export interface MitigationSpec {
  readonly contentPolicy: "rewrite" | "fallback" | "fail"
  readonly rewriter:
    | { readonly kind: "llm"; readonly provider: string; readonly model: string; readonly timeoutMs: number }
    | { readonly kind: "rule" }
}

/** A route's steps (a `priority` route); a route with a profile or weights is a `RouteConfig` (see `RouteEntry`). */
export type RouteSpec = ReadonlyArray<RouteStep>

/** The resolved configuration the engine runs on. */
export interface EngineConfig {
  readonly providers: ReadonlyMap<string, ProviderSpec>
  /** Each route: its steps, or `{ steps, profile, overrides }` (`stepsOf` reads the steps of either). */
  readonly routes: ReadonlyMap<string, RouteEntry>
  readonly retry: RetrySpec
  readonly mitigation: MitigationSpec
  readonly stream: StreamSpec
}

/** The context window of a model neither its entry nor the catalogue describes. */
export const DEFAULT_CONTEXT_WINDOW = 128_000

/** The capabilities of a model neither its entry nor the catalogue describes. */
export const DEFAULT_CAPABILITIES: ReadonlyArray<Capability> = ["tools", "json", "streaming"]

export const defaults = {
  retry: {
    baseMs: 200,
    maxMs: 8_000,
    factor: 2,
    jitter: true,
    maxAttempts: 10,
    providerRetries: 2,
    deadlineMs: 60_000,
    budget: { maxTokens: 10, tokenRatio: 0.1 },
    waitForKeys: true,
    modelQuarantineMs: 300_000
  } satisfies RetrySpec,
  providerTimeoutMs: 30_000,
  stream: { firstTokenTimeoutMs: 15_000, stallTimeoutMs: 30_000, maxDurationMs: 600_000 } satisfies StreamSpec,
  mitigation: { contentPolicy: "rewrite", rewriter: { kind: "rule" } } satisfies MitigationSpec
}

/** The input of `makeEngineConfig`: everything but providers and routes is optional. */
export interface EngineConfigInput {
  readonly providers: ReadonlyArray<{
    readonly id: string
    readonly kind: ProviderKind
    readonly models?: ReadonlyArray<{
      readonly name: string
      readonly contextWindow?: number
      readonly capabilities?: ReadonlyArray<Capability>
      readonly maxOutput?: number
      readonly dimensions?: number
      readonly price?: { readonly input: number; readonly output: number }
    }>
    readonly timeoutMs?: number
  }>
  readonly routes: Readonly<Record<string, RouteSpec | RouteConfig>>
  readonly retry?: Partial<RetrySpec>
  readonly mitigation?: Partial<MitigationSpec>
  readonly stream?: Partial<Omit<StreamSpec, "routes">> & {
    readonly routes?: Readonly<Record<string, Partial<StreamRouteSpec>>>
  }
}

/**
 * Builds an `EngineConfig` in code, with the defaults filled in — for engines composed from
 * layers without the config file (the file is `@am/runtime`'s job). Keys live in the keyring,
 * not here. A model's unset fields stay unset: the router fills them from its catalogue.
 */
export const makeEngineConfig = (input: EngineConfigInput): EngineConfig => ({
  providers: new Map(
    input.providers.map((p) => [
      p.id,
      {
        id: p.id,
        kind: p.kind,
        keys: [],
        models: new Map(
          (p.models ?? []).map((m) => [
            m.name,
            {
              name: m.name,
              ...(m.contextWindow !== undefined ? { contextWindow: m.contextWindow } : {}),
              ...(m.capabilities !== undefined ? { capabilities: new Set(m.capabilities) } : {}),
              ...(m.maxOutput !== undefined ? { maxOutput: m.maxOutput } : {}),
              ...(m.dimensions !== undefined ? { dimensions: m.dimensions } : {}),
              ...(m.price !== undefined ? { price: m.price } : {})
            } satisfies ModelSpec
          ])
        ),
        timeoutMs: p.timeoutMs ?? defaults.providerTimeoutMs,
        breaker: {},
        keySelection: "round-robin"
      } satisfies ProviderSpec
    ])
  ),
  routes: new Map(Object.entries(input.routes)),
  retry: { ...defaults.retry, ...input.retry },
  mitigation: { ...defaults.mitigation, ...input.mitigation },
  stream: {
    firstTokenTimeoutMs: input.stream?.firstTokenTimeoutMs ?? defaults.stream.firstTokenTimeoutMs,
    stallTimeoutMs: input.stream?.stallTimeoutMs ?? defaults.stream.stallTimeoutMs,
    maxDurationMs: input.stream?.maxDurationMs ?? defaults.stream.maxDurationMs,
    ...(input.stream?.routes !== undefined
      ? {
          routes: new Map(
            Object.entries(input.stream.routes).map(([name, r]) => [name, { ...DEFAULT_STREAM_ROUTE, ...r }])
          )
        }
      : {})
  }
})
