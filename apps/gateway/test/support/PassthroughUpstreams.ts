/**
 * A gateway over a simulated OpenAI upstream (behind a proxy that records the exact bytes it was
 * sent) and a simulated Anthropic upstream, for the same-wire passthrough and dropped-field
 * tests. Routes: `openai-only` (same wire only) and `openai-then-anthropic` (a cross-wire fallback).
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { Readable } from "node:stream"
import { startUpstreams, type Upstream } from "@am/testkit"
import OpenAI from "openai"
import { GATEWAY_KEY, type RunningGateway, startGateway } from "./Harness.ts"

/** One request as the upstream received it: path and body text, byte for byte. */
export interface RawRequest {
  readonly path: string
  readonly authorization: string | undefined
  readonly text: string
}

const rawRecordingProxy = async (target: string) => {
  const requests: Array<RawRequest> = []
  const server = createServer(async (req, res) => {
    const chunks: Array<Buffer> = []
    for await (const c of req) chunks.push(c as Buffer)
    const raw = Buffer.concat(chunks)
    requests.push({ path: req.url ?? "", authorization: req.headers.authorization, text: raw.toString("utf8") })
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
      else Readable.fromWeb(upstream.body as never).pipe(res)
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

export const OPENAI_KEY = "sk-test-openai-passthrough-01"
export const ANTHROPIC_KEY = "sk-ant-test-passthrough-0001"

export interface PassthroughEnv {
  readonly gateway: RunningGateway
  readonly openai: Upstream
  readonly anthropic: Upstream
  /** What the OpenAI upstream received at `/chat/completions`, in order. */
  readonly sentToOpenAI: () => ReadonlyArray<RawRequest>
  /** The official client on the gateway; `bodies` holds the exact text it sent, in order. */
  readonly client: OpenAI
  readonly bodies: Array<string>
  /** Clears the scripts, the logs and the recorded bytes. */
  readonly reset: () => void
  readonly close: () => Promise<void>
}

export const startPassthroughEnv = async (
  unsupportedFields?: "reject" | "drop-and-report"
): Promise<PassthroughEnv> => {
  const [openai, anthropic] = await startUpstreams([
    { kind: "openai", keys: [OPENAI_KEY], models: ["gpt-4o"] },
    { kind: "anthropic", keys: [ANTHROPIC_KEY], models: ["claude-sonnet-4-6"], logBodies: true }
  ])
  const proxy = await rawRecordingProxy(openai!.origin)
  const gateway = await startGateway({
    ...(unsupportedFields !== undefined ? { server: { unsupportedFields } } : {}),
    providers: {
      openai: {
        kind: "openai",
        baseURL: `${proxy.origin}/v1`,
        keys: [{ id: "o1", secret: OPENAI_KEY }],
        models: [{ name: "gpt-4o" }],
        timeout: "5 seconds",
        breaker: { consecutiveFailures: 50, openFor: "30 seconds" }
      },
      anthropic: {
        kind: "anthropic",
        baseURL: anthropic!.origin,
        keys: [{ id: "a1", secret: ANTHROPIC_KEY }],
        models: [{ name: "claude-sonnet-4-6" }],
        timeout: "5 seconds"
      }
    },
    routes: {
      "openai-only": [{ provider: "openai", models: ["gpt-4o"] }],
      "openai-then-anthropic": [
        { provider: "openai", models: ["gpt-4o"] },
        { provider: "anthropic", models: ["claude-sonnet-4-6"] }
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
  return {
    gateway,
    openai: openai!,
    anthropic: anthropic!,
    sentToOpenAI: () => proxy.requests.filter((r) => r.path.endsWith("/chat/completions")),
    client,
    bodies,
    reset: () => {
      openai!.setScript([])
      openai!.reset()
      anthropic!.reset()
      proxy.requests.length = 0
      bodies.length = 0
    },
    close: async () => {
      await gateway.close()
      await proxy.close()
      await Promise.all([openai!.close(), anthropic!.close()])
    }
  }
}
