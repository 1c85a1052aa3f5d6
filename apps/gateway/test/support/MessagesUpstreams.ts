/**
 * A gateway over all three provider kinds for the `/v1/messages` tests: simulated OpenAI,
 * Anthropic and Gemini upstreams (their real wire formats, reached through the official SDK
 * adapters), each behind a recording pass-through proxy so a test can read what the upstream was
 * sent (headers and body). Three routes put each kind first and the others after it.
 */
import { createServer, type IncomingHttpHeaders } from "node:http"
import type { AddressInfo } from "node:net"
import { Readable } from "node:stream"
import { startUpstreams, type Upstream } from "@am/testkit"
import Anthropic from "@anthropic-ai/sdk"
import { GATEWAY_KEY, type RunningGateway, startGateway } from "./Harness.ts"

/** One request an upstream got. */
export interface Recorded {
  readonly path: string
  readonly headers: IncomingHttpHeaders
  readonly body: any
}

export interface RecordingProxy {
  readonly origin: string
  readonly requests: Array<Recorded>
  readonly close: () => Promise<void>
}

/** Forwards every request to `target` unchanged, after noting its headers and JSON body. */
export const recordingProxy = async (target: string): Promise<RecordingProxy> => {
  const requests: Array<Recorded> = []
  const server = createServer(async (req, res) => {
    const chunks: Array<Buffer> = []
    for await (const c of req) chunks.push(c as Buffer)
    const raw = Buffer.concat(chunks)
    let body: unknown
    try {
      body = raw.length > 0 ? JSON.parse(raw.toString("utf8")) : undefined
    } catch {
      body = raw.toString("utf8")
    }
    requests.push({ path: req.url ?? "", headers: req.headers, body })
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
        // An upstream that cuts its stream (a scripted fault) cuts the proxied one the same way.
        const body = Readable.fromWeb(upstream.body as never)
        body.on("error", () => res.destroy())
        body.pipe(res)
      }
    } catch {
      res.destroy()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as AddressInfo).port
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

export const KIND_KEYS = {
  openai: "sk-test-openai-000000000001",
  anthropic: "sk-ant-test-anthropic-0001",
  gemini: "g-test-gemini-0000000001"
} as const

export type Kind = keyof typeof KIND_KEYS

export const MODELS: Record<Kind, string> = {
  openai: "gpt-4o",
  anthropic: "claude-sonnet-4-6",
  gemini: "gemini-2.5-flash"
}

/** The route that tries `kind` first, then the other two. */
export const ORDER: Record<Kind, ReadonlyArray<Kind>> = {
  openai: ["openai", "anthropic", "gemini"],
  anthropic: ["anthropic", "gemini", "openai"],
  gemini: ["gemini", "openai", "anthropic"]
}

export interface ThreeKinds {
  readonly gateway: RunningGateway
  readonly upstreams: Record<Kind, Upstream>
  readonly proxies: Record<Kind, RecordingProxy>
  /** The official Anthropic client on the gateway, with the gateway key as its API key and no retries. */
  readonly client: Anthropic
  /** The requests `kind`'s upstream got to its generate endpoint. */
  readonly sent: (kind: Kind) => ReadonlyArray<Recorded>
  readonly close: () => Promise<void>
}

/**
 * Starts the three upstreams, their proxies and a gateway with the routes `openai-first`,
 * `anthropic-first` and `gemini-first`. The OpenAI upstream also serves `o4-mini`, a reasoning model.
 */
export const startThreeKinds = async (): Promise<ThreeKinds> => {
  const [openai, anthropic, gemini] = await startUpstreams([
    { kind: "openai", keys: [KIND_KEYS.openai], models: [MODELS.openai, "o4-mini"] },
    { kind: "anthropic", keys: [KIND_KEYS.anthropic], models: [MODELS.anthropic] },
    { kind: "gemini", keys: [KIND_KEYS.gemini], models: [MODELS.gemini] }
  ])
  const upstreams = { openai: openai!, anthropic: anthropic!, gemini: gemini! }
  const proxies = {
    openai: await recordingProxy(upstreams.openai.origin),
    anthropic: await recordingProxy(upstreams.anthropic.origin),
    gemini: await recordingProxy(upstreams.gemini.origin)
  }
  const provider = (kind: Kind, extraModels: ReadonlyArray<string> = []) => ({
    kind,
    baseURL: kind === "openai" ? `${proxies.openai.origin}/v1` : proxies[kind].origin,
    keys: [{ id: `${kind}-1`, secret: KIND_KEYS[kind] }],
    models: [MODELS[kind], ...extraModels].map((name) => ({ name, contextWindow: 128000 })),
    timeout: "5 seconds",
    breaker: { consecutiveFailures: 50, openFor: "30 seconds" }
  })
  const route = (first: Kind) => ORDER[first].map((kind) => ({ provider: kind, models: [MODELS[kind]] }))
  const gateway = await startGateway({
    providers: {
      openai: provider("openai", ["o4-mini"]),
      anthropic: provider("anthropic"),
      gemini: provider("gemini")
    },
    routes: {
      "openai-first": route("openai"),
      "anthropic-first": route("anthropic"),
      "gemini-first": route("gemini"),
      reasoning: [
        { provider: "anthropic", models: [MODELS.anthropic] },
        { provider: "openai", models: ["o4-mini"] }
      ]
    },
    // A deep budget: these tests fail a provider on purpose for many requests in a row.
    retry: {
      base: "5 millis",
      max: "20 millis",
      jitter: true,
      maxAttempts: 6,
      deadline: "10 seconds",
      budget: { maxTokens: 10000, tokenRatio: 1 }
    },
    ledger: { store: "memory" },
    gatewayKeys: [{ id: "team-a", secret: GATEWAY_KEY, workspace: "team-a" }]
  })
  const client = new Anthropic({ baseURL: gateway.url, apiKey: GATEWAY_KEY, maxRetries: 0 })
  const generate = /\/messages$|\/chat\/completions$|:(generateContent|streamGenerateContent)/
  return {
    gateway,
    upstreams,
    proxies,
    client,
    sent: (kind) => proxies[kind].requests.filter((r) => generate.test(r.path.split("?")[0]!)),
    close: async () => {
      await gateway.close()
      await Promise.all(Object.values(proxies).map((p) => p.close()))
      await Promise.all(Object.values(upstreams).map((u) => u.close()))
    }
  }
}

/** Makes `kind`'s upstream fail every call with a provider-scoped error (the engine moves on). */
export const failing = (env: ThreeKinds, kind: Kind) =>
  env.upstreams[kind].setScript([{ sequence: ["server_error"], repeat: true }])
