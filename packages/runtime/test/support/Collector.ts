/**
 * A fake OpenTelemetry collector: a loopback `node:http` server taking OTLP/HTTP JSON posts on
 * `/v1/traces`, `/v1/metrics` and `/v1/logs` (protobuf bodies are answered 200 and counted, not
 * decoded), keeping what arrived for the test to read.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"

/** An OTLP `AnyValue` as JSON. */
export interface AnyValue {
  readonly stringValue?: string
  readonly boolValue?: boolean
  readonly intValue?: number | string
  readonly doubleValue?: number
  readonly arrayValue?: { readonly values: ReadonlyArray<AnyValue> }
}
export interface KeyValue {
  readonly key: string
  readonly value: AnyValue
}

export interface CollectedSpan {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly name: string
  readonly kind: number
  readonly attributes: ReadonlyArray<KeyValue>
  readonly status?: { readonly code: number; readonly message?: string }
  /** The `service.name` of the resource the span came with. */
  readonly serviceName: string | undefined
}

export interface CollectedMetric {
  readonly name: string
  readonly serviceName: string | undefined
  /** The raw OTLP metric (sum, gauge or histogram with its data points). */
  readonly data: Record<string, any>
}

/** An attribute's value as plain JS (`intValue` as a number). */
export const value = (v: AnyValue | undefined): unknown => {
  if (v === undefined) return undefined
  if (v.stringValue !== undefined) return v.stringValue
  if (v.boolValue !== undefined) return v.boolValue
  if (v.intValue !== undefined) return Number(v.intValue)
  if (v.doubleValue !== undefined) return v.doubleValue
  if (v.arrayValue !== undefined) return v.arrayValue.values.map(value)
  return undefined
}

export const attr = (attributes: ReadonlyArray<KeyValue>, key: string): unknown =>
  value(attributes.find((a) => a.key === key)?.value)

/** All attributes as a plain record. */
export const attrs = (attributes: ReadonlyArray<KeyValue>): Record<string, unknown> =>
  Object.fromEntries(attributes.map((a) => [a.key, value(a.value)] as const))

export interface Collector {
  /** The base URL to give `telemetry.otlp.url`. */
  readonly url: string
  readonly spans: ReadonlyArray<CollectedSpan>
  readonly metrics: ReadonlyArray<CollectedMetric>
  /** Log records received (raw OTLP JSON). */
  readonly logs: ReadonlyArray<Record<string, any>>
  /** Posts per path, with their content type (`/v1/traces application/json`). */
  readonly posts: ReadonlyArray<string>
  readonly close: () => Promise<void>
}

const serviceNameOf = (resource: { attributes?: ReadonlyArray<KeyValue> } | undefined) =>
  attr(resource?.attributes ?? [], "service.name") as string | undefined

export const startCollector = async (): Promise<Collector> => {
  const spans: Array<CollectedSpan> = []
  const metrics: Array<CollectedMetric> = []
  const logs: Array<Record<string, any>> = []
  const posts: Array<string> = []
  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const type = req.headers["content-type"] ?? ""
    posts.push(`${req.url} ${type}`)
    if (req.method !== "POST") {
      res.writeHead(405).end()
      return
    }
    if (!type.includes("json")) {
      res.writeHead(200, { "content-type": "application/x-protobuf" }).end()
      return
    }
    let payload: any
    try {
      payload = JSON.parse(body.toString("utf8"))
    } catch {
      res.writeHead(400).end()
      return
    }
    if (req.url === "/v1/traces") {
      for (const rs of payload.resourceSpans ?? []) {
        const serviceName = serviceNameOf(rs.resource)
        for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) spans.push({ ...s, serviceName })
      }
    } else if (req.url === "/v1/metrics") {
      for (const rm of payload.resourceMetrics ?? []) {
        const serviceName = serviceNameOf(rm.resource)
        for (const sm of rm.scopeMetrics ?? []) {
          for (const m of sm.metrics ?? []) metrics.push({ name: m.name, serviceName, data: m })
        }
      }
    } else if (req.url === "/v1/logs") {
      for (const rl of payload.resourceLogs ?? [])
        for (const sl of rl.scopeLogs ?? []) logs.push(...(sl.logRecords ?? []))
    } else {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { "content-type": "application/json" }).end("{}")
  }
  const server = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => handle(req, res, Buffer.concat(chunks)))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as { port: number }).port
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    metrics,
    logs,
    posts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

/**
 * Waits (on real I/O, checking every 10 ms) until `cond` holds; fails naming `what` and showing
 * `detail()` after `limitMs` — a bound for a broken run, not a timing assertion.
 */
export const waitFor = async (cond: () => boolean, what: string, detail: () => string, limitMs = 15_000) => {
  const started = Date.now()
  while (!cond()) {
    if (Date.now() - started > limitMs) throw new Error(`timed out waiting for ${what}\n${detail()}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
