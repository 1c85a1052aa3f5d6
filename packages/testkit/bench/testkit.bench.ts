/**
 * `./am pnpm bench testkit [seconds] [connections]` — how fast the fake upstreams answer.
 *
 * The upstreams run in this process; the load comes from autocannon in a separate
 * process, so the two share the machine's cores but not an event loop. Fast mode (fixed
 * precomputed answer) is the physical-limit baseline other benchmarks compare against;
 * the issue asks for at least 10,000 requests/s from it on loopback. Prints figures only.
 */
import { spawn } from "node:child_process"
import { createServer } from "node:http"
import { createRequire } from "node:module"
import type { UpstreamConfig } from "../src/index.ts"
import { startUpstream } from "../src/index.ts"

const seconds = Number(process.argv[2] ?? 5)
const connections = Number(process.argv[3] ?? 64)
const autocannon = createRequire(import.meta.url).resolve("autocannon/autocannon.js")

interface Scenario {
  readonly name: string
  readonly config: UpstreamConfig
  readonly path: string
  readonly headers: Record<string, string>
  readonly body: string
}

const openaiBody = (stream: boolean) =>
  JSON.stringify({
    model: "gpt-4o-mini",
    stream,
    messages: [{ role: "user", content: "Say hello in one short sentence." }]
  })
const anthropicBody = JSON.stringify({
  model: "claude-sonnet-4-6",
  max_tokens: 256,
  messages: [{ role: "user", content: "Say hello in one short sentence." }]
})
const geminiBody = JSON.stringify({
  contents: [{ role: "user", parts: [{ text: "Say hello in one short sentence." }] }]
})

const openaiHeaders = { "content-type": "application/json", authorization: "Bearer sk-bench-0000000000000000" }
const scenarios: ReadonlyArray<Scenario> = [
  {
    name: "openai fast JSON",
    config: { kind: "openai", fast: true },
    path: "/v1/chat/completions",
    headers: openaiHeaders,
    body: openaiBody(false)
  },
  {
    name: "openai fast SSE",
    config: { kind: "openai", fast: true },
    path: "/v1/chat/completions",
    headers: openaiHeaders,
    body: openaiBody(true)
  },
  {
    name: "anthropic fast JSON",
    config: { kind: "anthropic", fast: true },
    path: "/v1/messages",
    headers: { "content-type": "application/json", "x-api-key": "sk-ant-bench" },
    body: anthropicBody
  },
  {
    name: "gemini fast JSON",
    config: { kind: "gemini", fast: true },
    path: "/v1beta/models/gemini-2.5-flash:generateContent",
    headers: { "content-type": "application/json", "x-goog-api-key": "AIza-bench" },
    body: geminiBody
  },
  {
    name: "openai full JSON (parsed, usage, headers, script)",
    config: { kind: "openai", script: [{ match: { key: "never" }, sequence: [500] }] },
    path: "/v1/chat/completions",
    headers: openaiHeaders,
    body: openaiBody(false)
  }
]

interface Result {
  readonly requests: { readonly average: number; readonly total: number }
  readonly latency: { readonly p50: number; readonly p99: number }
  readonly non2xx: number
  readonly errors: number
  readonly timeouts: number
}

const load = (url: string, s: Scenario, duration: number): Promise<Result> =>
  new Promise((resolve, reject) => {
    const args = [autocannon, "-j", "-c", String(connections), "-d", String(duration), "-m", "POST", "-b", s.body]
    for (const [k, v] of Object.entries(s.headers)) args.push("-H", `${k}=${v}`)
    args.push(url)
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    let err = ""
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString()
    })
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString()
    })
    child.on("error", reject)
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}: ${err}`))
      resolve(JSON.parse(out) as Result)
    })
  })

/** The physical limit: node:http answering a fixed buffer, no parsing, no log. */
const rawServer = async (): Promise<{ origin: string; close: () => Promise<void> }> => {
  const body = Buffer.from('{"ok":true}')
  const server = createServer((req, res) => {
    req.resume()
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json", "content-length": body.length })
      res.end(body)
    })
  })
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((r) => {
        server.close(() => r())
        server.closeAllConnections()
      })
  }
}

const pad = (s: string, n: number) => s.padEnd(n)
const num = (n: number) => Math.round(n).toLocaleString("en-US")

console.log(
  `testkit bench: ${seconds}s per scenario, ${connections} connections, autocannon in a separate process (node ${process.version}, 2 cores shared)\n`
)
console.log(`${pad("scenario", 52)}${pad("req/s", 10)}${pad("p50 ms", 9)}${pad("p99 ms", 9)}errors`)
const results: Array<[string, Result]> = []
const raw = await rawServer()
try {
  const s = scenarios[0]!
  await load(raw.origin + s.path, s, 1)
  const r = await load(raw.origin + s.path, s, seconds)
  results.push(["raw", r])
  console.log(
    `${pad("raw node:http, fixed buffer (no testkit)", 52)}${pad(num(r.requests.average), 10)}${pad(String(r.latency.p50), 9)}${pad(String(r.latency.p99), 9)}${r.errors + r.timeouts + r.non2xx}`
  )
} finally {
  await raw.close()
}
for (const s of scenarios) {
  const upstream = await startUpstream({ ...s.config, maxLog: 10_000 })
  try {
    await load(upstream.origin + s.path, s, 1) // warm-up: JIT, sockets
    const r = await load(upstream.origin + s.path, s, seconds)
    results.push([s.name, r])
    console.log(
      `${pad(s.name, 52)}${pad(num(r.requests.average), 10)}${pad(String(r.latency.p50), 9)}${pad(String(r.latency.p99), 9)}${r.errors + r.timeouts + r.non2xx}`
    )
  } finally {
    await upstream.close()
  }
}
const rawRate = results[0]![1].requests.average
const fast = results[1]![1].requests.average
const full = results[results.length - 1]![1].requests.average
console.log(
  `\nfast-mode baseline (openai JSON): ${num(fast)} req/s — target ≥ 10,000 req/s: ${fast >= 10_000 ? "met" : "NOT met"}`
)
console.log(`fast mode / raw node:http: ${(fast / rawRate).toFixed(2)}×`)
console.log(`full mode / fast mode: ${(full / fast).toFixed(2)}×`)
