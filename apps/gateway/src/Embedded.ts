/**
 * The embedded default: what `./am start` runs with no config. Three simulated providers
 * (`@am/simulator`'s OpenAI, Anthropic and Gemini upstreams, reached through the real SDK
 * adapters, with a light mix of the failures real providers have), a SQLite ledger under
 * `./data`, memory state, and no gateway keys — so it binds loopback only.
 *
 * @example
 * ```ts
 * import { embeddedUpstreams, embeddedConfig } from "@am/gateway"
 * import { Upstream } from "@am/simulator"
 * ```
 * @since 0.1.0
 */
import type { UpstreamConfig } from "@am/simulator"

/** Fake keys of the simulated providers (the fake upstreams accept only these). */
export const SIMULATED_KEYS = {
  openai: "sim-openai-key-0001",
  openai2: "sim-openai-key-0002",
  anthropic: "sim-anthropic-key-0001",
  gemini: "sim-gemini-key-0001"
} as const

/** The simulated upstreams: mostly healthy, with occasional overloads and rate limits. */
export const embeddedUpstreams = (): ReadonlyArray<UpstreamConfig> => [
  {
    kind: "openai",
    keys: [SIMULATED_KEYS.openai, SIMULATED_KEYS.openai2],
    models: ["gpt-4o", "gpt-4o-mini"],
    latencyMs: 20,
    script: [{ random: { rate: 0.05, faults: ["overloaded"] } }]
  },
  {
    kind: "anthropic",
    keys: [SIMULATED_KEYS.anthropic],
    models: ["claude-sonnet-4-6"],
    latencyMs: 30,
    script: [{ random: { rate: 0.03, faults: ["overloaded"] } }]
  },
  {
    kind: "gemini",
    keys: [SIMULATED_KEYS.gemini],
    models: ["gemini-2.5-flash"],
    latencyMs: 20,
    script: [{ random: { rate: 0.03, faults: [{ fault: "rate_limit", retryAfterMs: 1000 }] } }]
  }
]

/** The config file the embedded default runs on, given the simulated upstreams' base URLs. */
export const embeddedConfig = (
  baseURLs: ReadonlyArray<string>,
  options?: { readonly port?: number; readonly ledger?: string }
) => ({
  server: { host: "127.0.0.1", port: options?.port ?? 4000 },
  providers: {
    openai: {
      kind: "openai",
      baseURL: baseURLs[0],
      keys: [
        { id: "sim-o1", secret: SIMULATED_KEYS.openai },
        { id: "sim-o2", secret: SIMULATED_KEYS.openai2 }
      ],
      models: [
        { name: "gpt-4o", contextWindow: 128000 },
        { name: "gpt-4o-mini", contextWindow: 128000 }
      ],
      timeout: "10 seconds",
      breaker: { consecutiveFailures: 5, openFor: "5 seconds", maxOpenFor: "30 seconds" }
    },
    anthropic: {
      kind: "anthropic",
      baseURL: baseURLs[1],
      keys: [{ id: "sim-a1", secret: SIMULATED_KEYS.anthropic }],
      models: [{ name: "claude-sonnet-4-6", contextWindow: 200000 }],
      timeout: "10 seconds",
      breaker: { consecutiveFailures: 5, openFor: "5 seconds" }
    },
    gemini: {
      kind: "gemini",
      baseURL: baseURLs[2],
      keys: [{ id: "sim-g1", secret: SIMULATED_KEYS.gemini }],
      models: [{ name: "gemini-2.5-flash", contextWindow: 1048576 }],
      timeout: "10 seconds",
      breaker: { consecutiveFailures: 5, openFor: "5 seconds" }
    }
  },
  routes: {
    default: [
      { provider: "openai", models: ["gpt-4o", "gpt-4o-mini"] },
      { provider: "anthropic", models: ["claude-sonnet-4-6"] },
      { provider: "gemini", models: ["gemini-2.5-flash"] }
    ]
  },
  retry: { base: "100 millis", max: "2 seconds", jitter: true, maxAttempts: 8, deadline: "30 seconds" },
  mitigation: { contentPolicy: "rewrite" },
  ledger: { store: options?.ledger ?? "sqlite:./data/am.db" },
  state: { store: "memory" }
})
