/**
 * `./am bench transport [seconds] [rounds]` — the OpenAI SDK's `chat.completions.create` over
 * three fetches: Node's global fetch, undici's own `fetch`, and this package's pooled transport.
 *
 * The upstream is the testkit's fast-mode OpenAI fake in a child process (its own event loop
 * and core); the SDK clients and the load run here, closed-loop, at concurrency 1 and 50, JSON
 * and SSE, plus the same request through the bare fetch (no SDK) to show the transport's own
 * share. CPU µs per call is this process's user + system time over the calls made. Rounds alternate the three fetches so drift hits them alike; the best round of each
 * is printed. Prints figures and ratios measured in this run; never asserts.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { performance } from "node:perf_hooks"
import OpenAI from "openai"
import { fetch as undiciFetch } from "undici"
import { makeTransport } from "../src/index.ts"

const seconds = Number(process.argv[2] ?? 3)
const rounds = Number(process.argv[3] ?? 2)
const root = new URL("../../..", import.meta.url).pathname

/** The fake upstream in its own process; resolves with its OpenAI base URL. */
const startChildUpstream = async () => {
  const dir = mkdtempSync(join(tmpdir(), "am-transport-bench-"))
  const config = join(dir, "upstreams.json")
  writeFileSync(config, JSON.stringify({ upstreams: [{ kind: "openai", fast: true, maxLog: 1000 }] }))
  const child = spawn(
    process.execPath,
    [
      "--conditions=@am/source",
      "--no-warnings",
      join(root, "packages/simulator/src/bin/am-upstream.ts"),
      "--config",
      config,
      "--json"
    ],
    { stdio: ["ignore", "pipe", "inherit"] }
  )
  const line = await new Promise<string>((resolve, reject) => {
    let out = ""
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString()
      if (out.includes("\n")) resolve(out.split("\n")[0]!)
    })
    child.on("exit", (code) => reject(new Error(`am-upstream exited ${code}`)))
  })
  const { upstreams } = JSON.parse(line) as { upstreams: Array<{ baseURL: string }> }
  return { baseURL: upstreams[0]!.baseURL, stop: () => child.kill("SIGTERM") }
}

interface Figures {
  readonly rps: number
  /** This process's CPU time (user + system) per call: the client's cost, less disturbed by other load than req/s. */
  readonly cpuUs: number
  readonly p50: number
  readonly p99: number
  readonly errors: number
}

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!

/** Closed loop: `concurrency` workers, each issuing its next call when the last one finished. */
const load = async (call: () => Promise<unknown>, concurrency: number, durationMs: number): Promise<Figures> => {
  const latencies: Array<number> = []
  let errors = 0
  const started = performance.now()
  const cpu = process.cpuUsage()
  const deadline = started + durationMs
  const worker = async () => {
    while (performance.now() < deadline) {
      const t = performance.now()
      try {
        await call()
        latencies.push(performance.now() - t)
      } catch {
        errors++
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const elapsed = (performance.now() - started) / 1000
  const used = process.cpuUsage(cpu)
  latencies.sort((a, b) => a - b)
  return {
    rps: latencies.length / elapsed,
    cpuUs: (used.user + used.system) / Math.max(1, latencies.length),
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    errors
  }
}

const upstream = await startChildUpstream()
const transport = makeTransport()
const fetches: ReadonlyArray<readonly [string, typeof globalThis.fetch | undefined]> = [
  ["global fetch", undefined],
  ["undici fetch", undiciFetch as unknown as typeof globalThis.fetch],
  ["@am/transport", transport.fetch]
]
const clients = new Map(
  fetches.map(([name, fetch]) => [
    name,
    new OpenAI({
      apiKey: "sk-bench-0000000000000000",
      baseURL: upstream.baseURL,
      maxRetries: 0,
      logLevel: "off",
      ...(fetch !== undefined ? { fetch } : {})
    })
  ])
)
const messages = [{ role: "user" as const, content: "Say hello in one short sentence." }]
const json = (client: OpenAI) => () => client.chat.completions.create({ model: "gpt-4o-mini", messages })
const sse = (client: OpenAI) => async () => {
  const stream = await client.chat.completions.create({ model: "gpt-4o-mini", messages, stream: true })
  for await (const _chunk of stream) {
    // drain: the SDK parses every event
  }
}
const globalFetch: typeof globalThis.fetch = (input, init) => globalThis.fetch(input, init)
const fetchOf = new Map(fetches.map(([name, fetch]) => [name, fetch ?? globalFetch] as const))
/** No SDK: the same request through the bare fetch and `json()` — the transport's own share. */
const bare = (name: string) => {
  const fetch = fetchOf.get(name)!
  const url = `${upstream.baseURL}/chat/completions`
  const body = JSON.stringify({ model: "gpt-4o-mini", messages })
  const headers = { "content-type": "application/json", authorization: "Bearer sk-bench-0000000000000000" }
  return () => fetch(url, { method: "POST", headers, body }).then((r) => r.json())
}
const scenarios: ReadonlyArray<{
  readonly name: string
  readonly concurrency: number
  readonly call: (name: string) => () => Promise<unknown>
}> = [
  { name: "SDK JSON, concurrency 1", concurrency: 1, call: (name) => json(clients.get(name)!) },
  { name: "SDK JSON, concurrency 50", concurrency: 50, call: (name) => json(clients.get(name)!) },
  { name: "SDK SSE, concurrency 50", concurrency: 50, call: (name) => sse(clients.get(name)!) },
  { name: "bare fetch + json(), no SDK, concurrency 50", concurrency: 50, call: bare }
]

const pad = (s: string, n: number) => s.padEnd(n)
const num = (n: number) => Math.round(n).toLocaleString("en-US")
const ms = (n: number) => n.toFixed(2)

console.log(
  `transport bench: openai SDK chat.completions.create (and the bare fetch) against the testkit fast upstream (child process); ` +
    `${seconds}s per run, best of ${rounds} rounds (node ${process.version})\n`
)
try {
  for (const scenario of scenarios) {
    const best = new Map<string, Figures>()
    for (const [name] of fetches) await load(scenario.call(name), scenario.concurrency, 500) // warm-up
    for (let round = 0; round < rounds; round++) {
      for (const [name] of fetches) {
        const figures = await load(scenario.call(name), scenario.concurrency, seconds * 1000)
        const previous = best.get(name)
        if (previous === undefined || figures.rps > previous.rps) best.set(name, figures)
      }
    }
    const baseline = best.get("global fetch")!
    console.log(scenario.name)
    console.log(
      `  ${pad("fetch", 16)}${pad("req/s", 10)}${pad("p50 ms", 9)}${pad("p99 ms", 9)}${pad("CPU µs/call", 13)}${pad("errors", 8)}req/s vs global fetch`
    )
    for (const [name] of fetches) {
      const f = best.get(name)!
      console.log(
        `  ${pad(name, 16)}${pad(num(f.rps), 10)}${pad(ms(f.p50), 9)}${pad(ms(f.p99), 9)}${pad(num(f.cpuUs), 13)}${pad(String(f.errors), 8)}${(f.rps / baseline.rps).toFixed(2)}×`
      )
    }
    console.log("")
  }
  console.log("pool after the run:", JSON.stringify(transport.stats()))
} finally {
  await transport.close()
  upstream.stop()
}
