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

/** What a model can do; the plan skips a candidate that lacks what a request needs. */
export type Capability = "tools" | "json" | "vision" | "streaming" | "embeddings"

export interface ModelSpec {
  readonly name: string
  readonly contextWindow: number
  readonly capabilities: ReadonlySet<Capability>
  /** An embeddings model's vector size (what `Engine.embed` answers without `dimensions`). */
  readonly dimensions?: number
}

export interface ProviderSpec {
  readonly id: string
  readonly kind: ProviderKind
  readonly baseURL?: string
  readonly keys: ReadonlyArray<ApiKey & { readonly weight?: number }>
  readonly models: ReadonlyMap<string, ModelSpec>
  readonly timeoutMs: number
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

/** Streaming timeouts (`Engine.stream`). */
export interface StreamSpec {
  readonly firstTokenTimeoutMs: number
  readonly stallTimeoutMs: number
}

export interface MitigationSpec {
  readonly contentPolicy: "rewrite" | "fallback" | "fail"
  readonly rewriter:
    | { readonly kind: "llm"; readonly provider: string; readonly model: string; readonly timeoutMs: number }
    | { readonly kind: "rule" }
}

export type RouteSpec = ReadonlyArray<{ readonly provider: string; readonly models: ReadonlyArray<string> }>

/** The resolved configuration the engine runs on. */
export interface EngineConfig {
  readonly providers: ReadonlyMap<string, ProviderSpec>
  readonly routes: ReadonlyMap<string, RouteSpec>
  readonly retry: RetrySpec
  readonly mitigation: MitigationSpec
  readonly stream: StreamSpec
}

/** Context windows used when a model entry gives none (a conservative default otherwise). */
export const DEFAULT_CONTEXT_WINDOW = 128_000

/** The capabilities a model has when its entry lists none. */
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
  stream: { firstTokenTimeoutMs: 15_000, stallTimeoutMs: 30_000 } satisfies StreamSpec,
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
      readonly dimensions?: number
    }>
    readonly timeoutMs?: number
  }>
  readonly routes: Readonly<Record<string, RouteSpec>>
  readonly retry?: Partial<RetrySpec>
  readonly mitigation?: Partial<MitigationSpec>
  readonly stream?: Partial<StreamSpec>
}

/**
 * Builds an `EngineConfig` in code, with the defaults filled in — for engines composed from
 * layers without the config file (the file is `@am/runtime`'s job). Keys live in the keyring,
 * not here.
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
              contextWindow: m.contextWindow ?? DEFAULT_CONTEXT_WINDOW,
              capabilities: new Set(m.capabilities ?? DEFAULT_CAPABILITIES),
              ...(m.dimensions !== undefined ? { dimensions: m.dimensions } : {})
            }
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
  stream: { ...defaults.stream, ...input.stream }
})
