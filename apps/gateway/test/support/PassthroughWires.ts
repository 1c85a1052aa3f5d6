/**
 * A gateway over simulated OpenAI and Anthropic upstreams, each behind a loopback proxy that
 * records the exact bytes it was sent (path, auth headers, body text), for the same-wire tests of
 * `/v1/messages`, `/v1/responses` and `/v1/embeddings`. Routes: `<kind>-only` (same wire only)
 * and `<kind>-then-<other>` (a cross-wire fallback), plus `embeddings` (OpenAI only).
 */
import { createServer, type IncomingHttpHeaders } from "node:http"
import type { AddressInfo } from "node:net"
import { Readable } from "node:stream"
import { startUpstreams, type Upstream } from "@am/testkit"
import Anthropic from "@anthropic-ai/sdk"
import OpenAI from "openai"
import { GATEWAY_KEY, type RunningGateway, startGateway } from "./Harness.ts"

/** One request as the upstream received it, byte for byte. */
export interface RawRequest {
  readonly path: string
  readonly headers: IncomingHttpHeaders
  readonly text: string
}

const recorder = async (target: string) => {
  const requests: Array<RawRequest> = []
  const server = createServer(async (req, res) => {
    const chunks: Array<Buffer> = []
    for await (const c of req) chunks.push(c as Buffer)
    const raw = Buffer.concat(chunks)
    requests.push({ path: req.url ?? "", headers: req.headers, text: raw.toString("utf8") })
    const headers = Object.fromEntries(
      Object.entries(req.headers).flatMap(([k, v]) =>
        k === "host" || k === "content-length" || v === undefined ? [] : [[k, Array.isArray(v) ? v.join(", ") : v]]
      )
    )
    try {
      const upstream = await fetch(`${target}${req.url}`, {
        method: req.method ?? "GET",
        headers,
        ...(raw.length > 0 ? { body: raw } : {})
      })
      const out: Record<string, string> = {}
      upstream.headers.forEach((v, k) => {
        if (k !== "content-length" && k !== "content-encoding" && k !== "transfer-encoding") out[k] = v
      })
      res.writeHead(upstream.status, out)
      if (upstream.body === null) res.end()
      else {
        const body = Readable.fromWeb(upstream.body as never)
        body.on("error", () => res.destroy())
        body.pipe(res)
      }
    } catch {
      res.destroy()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

export const OPENAI_KEY = "sk-test-openai-samewire-001"
export const ANTHROPIC_KEY = "sk-ant-test-samewire-00001"

export interface WiresEnv {
  readonly gateway: RunningGateway
  readonly openai: Upstream
  readonly anthropic: Upstream
  /** What the OpenAI upstream received at a path ending in `suffix`, in order. */
  readonly sentToOpenAI: (suffix: string) => ReadonlyArray<RawRequest>
  /** What the Anthropic upstream received at `/v1/messages`, in order. */
  readonly sentToAnthropic: () => ReadonlyArray<RawRequest>
  /** The official clients on the gateway; `bodies` holds the exact texts they sent, in order. */
  readonly openaiClient: OpenAI
  readonly anthropicClient: Anthropic
  readonly bodies: Array<string>
  /** The headers the clients sent, in order. */
  readonly clientHeaders: Array<Headers>
  readonly reset: () => void
  readonly close: () => Promise<void>
}

export const startWires = async (): Promise<WiresEnv> => {
  const [openai, anthropic] = await startUpstreams([
    { kind: "openai", keys: [OPENAI_KEY], models: ["gpt-4o", "text-embedding-3-small"] },
    { kind: "anthropic", keys: [ANTHROPIC_KEY], models: ["claude-sonnet-4-6"] }
  ])
  const [toOpenAI, toAnthropic] = await Promise.all([recorder(openai!.origin), recorder(anthropic!.origin)])
  const gateway = await startGateway({
    server: { unsupportedFields: "drop-and-report" },
    providers: {
      openai: {
        kind: "openai",
        baseURL: `${toOpenAI.origin}/v1`,
        keys: [{ id: "o1", secret: OPENAI_KEY }],
        models: [
          { name: "gpt-4o" },
          { name: "text-embedding-3-small", capabilities: ["embeddings"], dimensions: 1536 }
        ],
        timeout: "5 seconds",
        breaker: { consecutiveFailures: 50, openFor: "30 seconds" }
      },
      anthropic: {
        kind: "anthropic",
        baseURL: toAnthropic.origin,
        keys: [{ id: "a1", secret: ANTHROPIC_KEY }],
        models: [{ name: "claude-sonnet-4-6" }],
        timeout: "5 seconds",
        breaker: { consecutiveFailures: 50, openFor: "30 seconds" }
      }
    },
    routes: {
      "anthropic-only": [{ provider: "anthropic", models: ["claude-sonnet-4-6"] }],
      "anthropic-then-openai": [
        { provider: "anthropic", models: ["claude-sonnet-4-6"] },
        { provider: "openai", models: ["gpt-4o"] }
      ],
      "openai-only": [{ provider: "openai", models: ["gpt-4o"] }],
      "openai-then-anthropic": [
        { provider: "openai", models: ["gpt-4o"] },
        { provider: "anthropic", models: ["claude-sonnet-4-6"] }
      ],
      embeddings: [{ provider: "openai", models: ["text-embedding-3-small"] }]
    },
    retry: { base: "5 millis", max: "20 millis", maxAttempts: 6, deadline: "10 seconds" },
    ledger: { store: "memory" },
    gatewayKeys: [{ id: "team-a", secret: GATEWAY_KEY, workspace: "team-a" }]
  })
  const bodies: Array<string> = []
  const clientHeaders: Array<Headers> = []
  const recordingFetch: typeof fetch = (input, init) => {
    if (typeof init?.body === "string") bodies.push(init.body)
    clientHeaders.push(new Headers(init?.headers))
    return fetch(input, init)
  }
  return {
    gateway,
    openai: openai!,
    anthropic: anthropic!,
    sentToOpenAI: (suffix) => toOpenAI.requests.filter((r) => r.path.endsWith(suffix)),
    sentToAnthropic: () => toAnthropic.requests.filter((r) => r.path.startsWith("/v1/messages")),
    openaiClient: new OpenAI({
      baseURL: `${gateway.url}/v1`,
      apiKey: GATEWAY_KEY,
      maxRetries: 0,
      fetch: recordingFetch
    }),
    anthropicClient: new Anthropic({ baseURL: gateway.url, apiKey: GATEWAY_KEY, maxRetries: 0, fetch: recordingFetch }),
    bodies,
    clientHeaders,
    reset: () => {
      openai!.setScript([])
      anthropic!.setScript([])
      openai!.reset()
      anthropic!.reset()
      toOpenAI.requests.length = 0
      toAnthropic.requests.length = 0
      bodies.length = 0
      clientHeaders.length = 0
    },
    close: async () => {
      await gateway.close()
      await Promise.all([toOpenAI.close(), toAnthropic.close()])
      await Promise.all([openai!.close(), anthropic!.close()])
    }
  }
}

/** The client's text with the route name replaced by the concrete model — nothing else. */
export const withModel = (clientText: string, route: string, model: string): string => {
  const needle = `"model":${JSON.stringify(route)}`
  if (clientText.split(needle).length !== 2) throw new Error(`expected one ${needle} in the client's body`)
  return clientText.replace(needle, `"model":${JSON.stringify(model)}`)
}
