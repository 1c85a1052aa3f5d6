/**
 * A gateway over simulated OpenAI, Anthropic and Gemini upstreams that keep each request's raw
 * body (`logBodies`), for the same-wire `/v1/responses` tests. Routes: `openai-only`,
 * `openai-then-anthropic` and `openai-then-gemini` (cross-wire fallbacks). The official `openai`
 * client on the gateway records the exact text it sent.
 */
import { startUpstreams, type Upstream } from "@am/testkit"
import OpenAI from "openai"
import { GATEWAY_KEY, type RunningGateway, startGateway } from "./Harness.ts"

export const OPENAI_KEY = "sk-test-openai-responses-samewire-1"

export interface ResponsesSameWireEnv {
  readonly gateway: RunningGateway
  readonly openai: Upstream
  readonly anthropic: Upstream
  readonly gemini: Upstream
  /** The raw bodies (and keys) the OpenAI upstream received at `/v1/responses`, in order. */
  readonly sentToOpenAI: () => ReadonlyArray<{ readonly body: string; readonly key: string | undefined }>
  readonly client: OpenAI
  /** The exact texts the client sent, in order. */
  readonly bodies: Array<string>
  readonly reset: () => void
  readonly close: () => Promise<void>
}

export const startResponsesSameWire = async (
  options: {
    readonly unsupportedFields?: "reject" | "drop-and-report"
    readonly guards?: Record<string, unknown>
    readonly echo?: boolean
  } = {}
): Promise<ResponsesSameWireEnv> => {
  const echo = options.echo === true ? { echo: true } : {}
  const [openai, anthropic, gemini] = await startUpstreams([
    { kind: "openai", keys: [OPENAI_KEY], models: ["gpt-4o"], logBodies: true, ...echo },
    {
      kind: "anthropic",
      keys: ["sk-ant-test-responses-samewire"],
      models: ["claude-sonnet-4-6"],
      logBodies: true,
      ...echo
    },
    {
      kind: "gemini",
      keys: ["AIza-test-responses-samewire-01"],
      models: ["gemini-2.5-flash"],
      logBodies: true,
      ...echo
    }
  ])
  const provider = (kind: string, upstream: Upstream, key: string, model: string) => ({
    kind,
    baseURL: kind === "openai" ? `${upstream.origin}/v1` : upstream.origin,
    keys: [{ id: `${kind}-1`, secret: key }],
    models: [{ name: model }],
    timeout: "5 seconds",
    breaker: { consecutiveFailures: 50, openFor: "30 seconds" }
  })
  const gateway = await startGateway({
    ...(options.unsupportedFields !== undefined ? { server: { unsupportedFields: options.unsupportedFields } } : {}),
    ...(options.guards !== undefined ? { guards: options.guards } : {}),
    providers: {
      openai: provider("openai", openai!, OPENAI_KEY, "gpt-4o"),
      anthropic: provider("anthropic", anthropic!, "sk-ant-test-responses-samewire", "claude-sonnet-4-6"),
      gemini: provider("gemini", gemini!, "AIza-test-responses-samewire-01", "gemini-2.5-flash")
    },
    routes: {
      "openai-only": [{ provider: "openai", models: ["gpt-4o"] }],
      "openai-then-anthropic": [
        { provider: "openai", models: ["gpt-4o"] },
        { provider: "anthropic", models: ["claude-sonnet-4-6"] }
      ],
      "openai-then-gemini": [
        { provider: "openai", models: ["gpt-4o"] },
        { provider: "gemini", models: ["gemini-2.5-flash"] }
      ]
    },
    retry: { base: "5 millis", max: "20 millis", maxAttempts: 6, deadline: "10 seconds" },
    ledger: { store: "memory" },
    gatewayKeys: [{ id: "team-a", secret: GATEWAY_KEY, workspace: "team-a" }]
  })
  const bodies: Array<string> = []
  const client = new OpenAI({
    baseURL: `${gateway.url}/v1`,
    apiKey: GATEWAY_KEY,
    maxRetries: 0,
    fetch: (input, init) => {
      if (typeof init?.body === "string") bodies.push(init.body)
      return fetch(input, init)
    }
  })
  const upstreams = [openai!, anthropic!, gemini!]
  return {
    gateway,
    openai: openai!,
    anthropic: anthropic!,
    gemini: gemini!,
    sentToOpenAI: () =>
      openai!.requests.filter((r) => r.path.endsWith("/responses")).map((r) => ({ body: r.body ?? "", key: r.key })),
    client,
    bodies,
    reset: () => {
      for (const u of upstreams) {
        u.setScript([])
        u.reset()
      }
      bodies.length = 0
    },
    close: async () => {
      await gateway.close()
      await Promise.all(upstreams.map((u) => u.close()))
    }
  }
}

/** The client's text with the route name replaced by the concrete model — nothing else. */
export const withModel = (clientText: string, route: string, model: string): string => {
  const needle = `"model":${JSON.stringify(route)}`
  if (clientText.split(needle).length !== 2) throw new Error(`expected one ${needle} in the client's body`)
  return clientText.replace(needle, `"model":${JSON.stringify(model)}`)
}
