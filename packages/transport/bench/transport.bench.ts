/**
 * `./am bench transport [seconds] [rounds]` — the OpenAI SDK's `chat.completions.create` over
 * three fetches: Node's global fetch, undici's own `fetch`, and this package's pooled transport.
 *
 * The upstream is the testkit's fast-mode OpenAI fake in a child process (its own event loop
 * and core); the SDK clients and the load run here, closed-loop, at concurrency 1 and 50, JSON
 * and SSE. Rounds alternate the three fetches so drift hits them alike; the best round of each
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
      join(root, "packages/testkit/src/bin/am-upstream.ts"),
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
  latencies.sort((a, b) => a - b)
  return { rps: latencies.length / elapsed, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), errors }
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
const scenarios = [
  { name: "JSON, concurrency 1", concurrency: 1, call: json },
  { name: "JSON, concurrency 50", concurrency: 50, call: json },
  { name: "SSE, concurrency 50", concurrency: 50, call: sse }
] as const

const pad = (s: string, n: number) => s.padEnd(n)
const num = (n: number) => Math.round(n).toLocaleString("en-US")
const ms = (n: number) => n.toFixed(2)

console.log(
  `transport bench: openai ${OpenAI.name === "OpenAI" ? "SDK" : ""} chat.completions.create against the testkit fast upstream (child process); ` +
    `${seconds}s per run, best of ${rounds} rounds (node ${process.version})\n`
)
try {
  for (const scenario of scenarios) {
    const best = new Map<string, Figures>()
    for (const [name] of fetches) await load(scenario.call(clients.get(name)!), scenario.concurrency, 500) // warm-up
    for (let round = 0; round < rounds; round++) {
      for (const [name] of fetches) {
        const figures = await load(scenario.call(clients.get(name)!), scenario.concurrency, seconds * 1000)
        const previous = best.get(name)
        if (previous === undefined || figures.rps > previous.rps) best.set(name, figures)
      }
    }
    const baseline = best.get("global fetch")!
    console.log(scenario.name)
    console.log(
      `  ${pad("fetch", 16)}${pad("req/s", 10)}${pad("p50 ms", 9)}${pad("p99 ms", 9)}${pad("errors", 8)}vs global fetch`
    )
    for (const [name] of fetches) {
      const f = best.get(name)!
      console.log(
        `  ${pad(name, 16)}${pad(num(f.rps), 10)}${pad(ms(f.p50), 9)}${pad(ms(f.p99), 9)}${pad(String(f.errors), 8)}${(f.rps / baseline.rps).toFixed(2)}×`
      )
    }
    console.log("")
  }
  console.log("pool after the run:", JSON.stringify(transport.stats()))
} finally {
  await transport.close()
  upstream.stop()
}
