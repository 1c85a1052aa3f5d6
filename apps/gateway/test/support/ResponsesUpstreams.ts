/**
 * A gateway over all three provider kinds (simulated OpenAI, Anthropic and Gemini upstreams),
 * with the route `default` trying them in a given order — so a test can make the first one fail
 * and see the answer come from the next, whatever its wire format. Each upstream sits behind a
 * recording HTTP relay, so a test can read the JSON bodies the gateway's adapters really sent.
 */
import * as http from "node:http"
import { startUpstreams, type Upstream, type UpstreamConfig, type UpstreamKind } from "@am/testkit"
import { GATEWAY_KEY, OTHER_KEY, type RunningGateway, startGateway } from "./Harness.ts"

export const MODELS: Record<UpstreamKind, string> = {
  openai: "gpt-4o",
  anthropic: "claude-sonnet-4-6",
  gemini: "gemini-2.5-flash"
}

const SECRETS: Record<UpstreamKind, string> = {
  openai: "sk-test-openai-responses-0001",
  anthropic: "sk-ant-test-responses-00001",
  gemini: "AIza-test-responses-000000001"
}

/** A relay that forwards to `target` and keeps every request body it saw (parsed JSON). */
export interface Recorder {
  readonly url: string
  readonly bodies: Array<any>
  readonly close: () => Promise<void>
}

const record = (target: string): Promise<Recorder> => {
  const bodies: Array<any> = []
  const server = http.createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      const raw = Buffer.concat(chunks)
      if (raw.length > 0) {
        try {
          bodies.push(JSON.parse(raw.toString("utf8")))
        } catch {
          bodies.push(raw.toString("utf8"))
        }
      }
      const upstream = http.request(
        `${target}${req.url ?? "/"}`,
        { method: req.method, headers: { ...req.headers, host: new URL(target).host } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(res)
        }
      )
      upstream.on("error", () => res.destroy())
      upstream.end(raw)
    })
  })
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port
      resolve({
        url: `http://127.0.0.1:${port}`,
        bodies,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            server.closeAllConnections()
          })
      })
    })
  )
}

export interface ThreeKinds {
  readonly gateway: RunningGateway
  readonly upstreams: Record<UpstreamKind, Upstream>
  readonly recorded: Record<UpstreamKind, Recorder>
  readonly close: () => Promise<void>
}

/**
 * Starts the three upstreams and a gateway whose `default` route tries `order` (provider ids are
 * the kinds). `scripts` and `reply` go to the upstream of that kind.
 */
export const threeKinds = async (options: {
  readonly order: ReadonlyArray<UpstreamKind>
  readonly scripts?: Partial<Record<UpstreamKind, UpstreamConfig["script"]>>
  readonly reply?: Partial<Record<UpstreamKind, string>>
}): Promise<ThreeKinds> => {
  const kinds: ReadonlyArray<UpstreamKind> = ["openai", "anthropic", "gemini"]
  const started = await startUpstreams(
    kinds.map((kind) => ({
      kind,
      keys: [SECRETS[kind]],
      models: [MODELS[kind]],
      ...(options.scripts?.[kind] !== undefined ? { script: options.scripts[kind] } : {}),
      ...(options.reply?.[kind] !== undefined ? { reply: options.reply[kind] } : {})
    }))
  )
  const upstreams = Object.fromEntries(kinds.map((k, i) => [k, started[i]!])) as Record<UpstreamKind, Upstream>
  const recorders = await Promise.all(kinds.map((k) => record(upstreams[k].origin)))
  const recorded = Object.fromEntries(kinds.map((k, i) => [k, recorders[i]!])) as Record<UpstreamKind, Recorder>
  const provider = (kind: UpstreamKind) => ({
    kind,
    baseURL: kind === "openai" ? `${recorded[kind].url}/v1` : recorded[kind].url,
    keys: [{ id: `${kind}-1`, secret: SECRETS[kind] }],
    models: [{ name: MODELS[kind], contextWindow: 128000 }],
    timeout: "5 seconds",
    breaker: { consecutiveFailures: 3, openFor: "30 seconds" }
  })
  const gateway = await startGateway({
    providers: Object.fromEntries(options.order.map((k) => [k, provider(k)])),
    routes: { default: options.order.map((k) => ({ provider: k, models: [MODELS[k]] })) },
    retry: { base: "10 millis", max: "50 millis", jitter: true, maxAttempts: 6, deadline: "10 seconds" },
    ledger: { store: "memory" },
    gatewayKeys: [
      { id: "team-a", secret: GATEWAY_KEY, workspace: "team-a" },
      { id: "team-b", secret: OTHER_KEY, workspace: "team-b" }
    ]
  })
  return {
    gateway,
    upstreams,
    recorded,
    close: async () => {
      await gateway.close()
      await Promise.all(recorders.map((r) => r.close()))
      await Promise.all(started.map((u) => u.close()))
    }
  }
}

/** Each kind answers once, after the kind before it failed: the three failover pairs. */
export const FAILOVERS: ReadonlyArray<{ readonly failing: UpstreamKind; readonly answering: UpstreamKind }> = [
  { failing: "openai", answering: "anthropic" },
  { failing: "anthropic", answering: "gemini" },
  { failing: "gemini", answering: "openai" }
]

/** The primary answers 503 to every request. */
export const down = [{ sequence: [503], repeat: true }] as const

export { GATEWAY_KEY, OTHER_KEY }
