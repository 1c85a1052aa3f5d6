/**
 * Starts real gateways for tests: fake upstreams from @am/testkit (the providers' real wire
 * formats, reached through the official SDK adapters) and `Gateway.layer` on a free loopback
 * port, in this process.
 */
import { type AmConfig, loadConfig } from "@am/runtime"
import { startUpstreams, type Upstream, type UpstreamConfig } from "@am/testkit"
import { Context, Effect, Exit, Layer, Scope } from "effect"
import { HttpServer } from "effect/http"
import { Gateway, type GatewayOptions } from "../../src/Gateway.ts"

export const GATEWAY_KEY = "am-test-gateway-key-0001"
export const OTHER_KEY = "am-test-gateway-key-0002"

export interface RunningGateway {
  readonly url: string
  readonly config: AmConfig
  readonly context: Context.Context<never>
  /** Runs an effect against the gateway's services (Engine, Keyring, LedgerStore…). */
  readonly run: <A, E>(effect: Effect.Effect<A, E, any>) => Promise<A>
  readonly close: () => Promise<void>
}

export const startGateway = async (
  raw: Record<string, unknown>,
  options?: Omit<GatewayOptions, "config">
): Promise<RunningGateway> => {
  const config = await Effect.runPromise(loadConfig(raw, { env: {} }))
  const scope = Effect.runSync(Scope.make())
  const context = (await Effect.runPromise(
    Layer.buildWithScope(Gateway.layer({ logs: false, ...options, config, port: 0 }), scope)
  )) as Context.Context<never>
  const address = Context.get(context as Context.Context<HttpServer.HttpServer>, HttpServer.HttpServer).address
  const port = address._tag === "UnixPathAddress" ? 0 : address.port
  return {
    url: `http://127.0.0.1:${port}`,
    config,
    context,
    run: (effect) => Effect.runPromise(Effect.provideContext(effect, context) as Effect.Effect<any, any>),
    close: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

export const KEYS = {
  p1: "sk-test-primary-0000000001",
  p2: "sk-test-primary-0000000002",
  s1: "sk-ant-test-secondary-00001"
}

/** Two providers (OpenAI and Anthropic wire formats) behind one `default` route. */
export const twoProviders = async (scripts?: {
  readonly primary?: UpstreamConfig["script"]
  readonly secondary?: UpstreamConfig["script"]
  readonly latencyMs?: number
}): Promise<{ readonly upstreams: ReadonlyArray<Upstream>; readonly raw: Record<string, unknown> }> => {
  const upstreams = await startUpstreams([
    {
      kind: "openai",
      keys: [KEYS.p1, KEYS.p2],
      models: ["gpt-4o"],
      ...(scripts?.primary !== undefined ? { script: scripts.primary } : {}),
      ...(scripts?.latencyMs !== undefined ? { latencyMs: scripts.latencyMs } : {})
    },
    {
      kind: "anthropic",
      keys: [KEYS.s1],
      models: ["claude-sonnet-4-6"],
      ...(scripts?.secondary !== undefined ? { script: scripts.secondary } : {}),
      ...(scripts?.latencyMs !== undefined ? { latencyMs: scripts.latencyMs } : {})
    }
  ])
  const raw = {
    providers: {
      primary: {
        kind: "openai",
        baseURL: upstreams[0]!.baseURL,
        keys: [
          { id: "p1", secret: KEYS.p1 },
          { id: "p2", secret: KEYS.p2 }
        ],
        models: [{ name: "gpt-4o", contextWindow: 128000 }],
        timeout: "5 seconds",
        breaker: { consecutiveFailures: 3, openFor: "30 seconds" }
      },
      secondary: {
        kind: "anthropic",
        baseURL: upstreams[1]!.baseURL,
        keys: [{ id: "s1", secret: KEYS.s1 }],
        models: [{ name: "claude-sonnet-4-6", contextWindow: 200000 }],
        timeout: "5 seconds",
        breaker: { consecutiveFailures: 3, openFor: "30 seconds" }
      }
    },
    routes: {
      default: [
        { provider: "primary", models: ["gpt-4o"] },
        { provider: "secondary", models: ["claude-sonnet-4-6"] }
      ]
    },
    retry: { base: "10 millis", max: "50 millis", jitter: true, maxAttempts: 6, deadline: "10 seconds" },
    ledger: { store: "memory" },
    gatewayKeys: [
      { id: "team-a", secret: GATEWAY_KEY, workspace: "team-a" },
      { id: "team-b", secret: OTHER_KEY, workspace: "team-b" }
    ]
  }
  return { upstreams, raw }
}
