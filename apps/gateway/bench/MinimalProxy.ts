/**
 * Row (b) of `pnpm bench gateway`: the least a Node gateway can do — node:http in front,
 * an undici Pool behind, the request and the response each parsed and re-serialised as
 * JSON (any gateway reads the body to route and the answer to count usage). It is the
 * floor our gateway is compared with. `--client fetch` does the same over global `fetch`
 * (reported for reference: its per-request overhead is several times undici's). Streamed
 * requests are relayed chunk by chunk without parsing.
 *
 *   node MinimalProxy.ts --upstream http://127.0.0.1:PORT --port PORT [--client undici|fetch]
 *
 * GET /healthz answers 200 once listening.
 */
import { createServer } from "node:http"
import type { IncomingMessage, ServerResponse } from "node:http"
import { parseArgs } from "node:util"
import { Pool } from "undici"

const { values } = parseArgs({
  options: {
    upstream: { type: "string" },
    port: { type: "string", default: "0" },
    client: { type: "string", default: "undici" }
  }
})
if (values.upstream === undefined) {
  process.stderr.write("usage: MinimalProxy.ts --upstream ORIGIN --port PORT [--client undici|fetch]\n")
  process.exit(2)
}
const origin = values.upstream
const useFetch = values.client === "fetch"
const pool = new Pool(origin, { connections: 128 })

interface Forwarded {
  readonly status: number
  readonly text: string
}

const viaUndici = async (path: string, authorization: string, body: string): Promise<Forwarded> => {
  const res = await pool.request({
    path,
    method: "POST",
    headers: { "content-type": "application/json", authorization },
    body
  })
  return { status: res.statusCode, text: await res.body.text() }
}

const viaFetch = async (path: string, authorization: string, body: string): Promise<Forwarded> => {
  const res = await fetch(origin + path, {
    method: "POST",
    headers: { "content-type": "application/json", authorization },
    body
  })
  return { status: res.status, text: await res.text() }
}

const forward = useFetch ? viaFetch : viaUndici

const send = (res: ServerResponse, status: number, body: string) => {
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) })
  res.end(body)
}

/** Streams (`"stream": true`): the upstream's SSE bytes are relayed as they come, unparsed. */
const relay = async (path: string, authorization: string, body: string, res: ServerResponse) => {
  const headers = { "content-type": "application/json", authorization }
  if (useFetch) {
    const up = await fetch(origin + path, { method: "POST", headers, body })
    res.writeHead(up.status, { "content-type": up.headers.get("content-type") ?? "text/event-stream" })
    if (up.body !== null) for await (const chunk of up.body) res.write(chunk)
    res.end()
    return
  }
  const up = await pool.request({ path, method: "POST", headers, body })
  res.writeHead(up.statusCode, { "content-type": String(up.headers["content-type"] ?? "text/event-stream") })
  for await (const chunk of up.body) res.write(chunk)
  res.end()
}

const handle = async (req: IncomingMessage, res: ServerResponse, raw: string) => {
  if (req.method === "GET" && req.url === "/healthz") return send(res, 200, '{"status":"ok"}')
  const request = JSON.parse(raw) as { stream?: unknown }
  const path = req.url ?? "/"
  const authorization = req.headers.authorization ?? ""
  if (request.stream === true) return relay(path, authorization, JSON.stringify(request), res)
  const upstream = await forward(path, authorization, JSON.stringify(request))
  send(res, upstream.status, JSON.stringify(JSON.parse(upstream.text)))
}

const server = createServer((req, res) => {
  const chunks: Array<Buffer> = []
  req.on("data", (c: Buffer) => chunks.push(c))
  req.on("end", () => {
    handle(req, res, Buffer.concat(chunks).toString("utf8")).catch((e: Error) => {
      if (!res.headersSent) send(res, 502, JSON.stringify({ error: { message: e.message, type: "proxy_error" } }))
      else res.destroy()
    })
  })
})
server.keepAliveTimeout = 65_000
server.listen(Number(values.port), "127.0.0.1", () => {
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0
  process.stdout.write(`minimal proxy (${useFetch ? "fetch" : "undici"}) on http://127.0.0.1:${port}\n`)
})
const stop = () => {
  server.close()
  server.closeAllConnections()
  void pool.close().finally(() => process.exit(0))
}
process.once("SIGTERM", stop)
process.once("SIGINT", stop)
