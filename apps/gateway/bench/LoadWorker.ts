/**
 * The load generator of `pnpm bench gateway`, a child process (pinned to the upstream's
 * core) that runs one load at a time on request over IPC and answers with its figures.
 *
 * - Closed loop: autocannon's programmatic API, N connections each sending the next
 *   request as soon as the previous answer arrives. Latencies are taken from its
 *   `response` events (hrtime, fractional ms) because its own histogram keeps whole
 *   milliseconds, too coarse for sub-millisecond loopback latencies.
 * - Open loop: our own generator on an undici Pool. Autocannon's `overallRate` is not
 *   open loop: each connection still waits for its answer and the per-second budget is
 *   spent in a burst, so a slow server is sent fewer requests and its stall never shows
 *   in the percentiles (coordinated omission). Here request i is due at start + i/rate
 *   whatever happened before, is sent as soon as a timer tick sees it due (a request
 *   still waits in the pool's queue when all connections are busy), and its latency is
 *   measured from the time it was DUE, so a stall is charged to every request it delays.
 *   The ~1 ms timer granularity is charged too: open-loop figures include it.
 */
import { createRequire } from "node:module"
import { Pool } from "undici"

export interface ClosedLoad {
  readonly kind: "closed"
  readonly url: string
  readonly connections: number
  readonly seconds: number
  readonly headers: Record<string, string>
  readonly body: string
}

export interface OpenLoad {
  readonly kind: "open"
  readonly url: string
  /** Requests per second, sent on a fixed schedule. */
  readonly rate: number
  readonly seconds: number
  readonly headers: Record<string, string>
  readonly body: string
}

export type Load = ClosedLoad | OpenLoad

/** Latencies in milliseconds, over every answered request (2xx or not). */
export interface LoadResult {
  readonly answered: number
  readonly ok: number
  readonly non2xx: number
  readonly errors: number
  readonly seconds: number
  readonly rps: number
  readonly p50: number
  readonly p90: number
  readonly p99: number
  readonly max: number
}

interface AutocannonResult {
  readonly duration: number
  readonly errors: number
  readonly timeouts: number
}

interface AutocannonInstance {
  on(event: "response", f: (client: unknown, status: number, bytes: number, ms: number) => void): void
  on(event: "reqError", f: (error: Error) => void): void
}

type Autocannon = (
  options: Record<string, unknown>,
  done: (error: Error | null, result: AutocannonResult) => void
) => AutocannonInstance

const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon

class Samples {
  data = new Float64Array(1 << 16)
  n = 0
  add(ms: number) {
    if (this.n === this.data.length) {
      const grown = new Float64Array(this.data.length * 2)
      grown.set(this.data)
      this.data = grown
    }
    this.data[this.n++] = ms
  }
  result(counts: { ok: number; non2xx: number; errors: number }, seconds: number): LoadResult {
    const sorted = this.data.subarray(0, this.n).sort()
    const at = (q: number) => (this.n === 0 ? Number.NaN : sorted[Math.min(this.n - 1, Math.ceil(q * this.n) - 1)]!)
    return {
      answered: this.n,
      ...counts,
      seconds,
      rps: this.n / seconds,
      p50: at(0.5),
      p90: at(0.9),
      p99: at(0.99),
      max: at(1)
    }
  }
}

const closed = (load: ClosedLoad): Promise<LoadResult> =>
  new Promise((resolve, reject) => {
    const samples = new Samples()
    const counts = { ok: 0, non2xx: 0, errors: 0 }
    const instance = autocannon(
      {
        url: load.url,
        method: "POST",
        headers: load.headers,
        body: load.body,
        connections: load.connections,
        pipelining: 1,
        duration: load.seconds,
        timeout: 30
      },
      (error, result) => {
        if (error !== null) return reject(error)
        resolve(samples.result(counts, result.duration))
      }
    )
    instance.on("response", (_client, status, _bytes, ms) => {
      samples.add(ms)
      if (status >= 200 && status < 300) counts.ok++
      else counts.non2xx++
    })
    instance.on("reqError", () => {
      counts.errors++
    })
  })

// One pool kept across open-loop cells to the same server, so connections opened (and
// undici's parser warmed) in the warm-up are not opened again inside a measured cell.
let kept: { readonly origin: string; readonly pool: Pool } | undefined
const poolFor = (origin: string): Pool => {
  if (kept?.origin === origin) return kept.pool
  void kept?.pool.close()
  kept = { origin, pool: new Pool(origin, { connections: 256 }) }
  return kept.pool
}

const open = async (load: OpenLoad): Promise<LoadResult> => {
  const url = new URL(load.url)
  const pool = poolFor(url.origin)
  const path = url.pathname + url.search
  const total = Math.max(1, Math.round(load.rate * load.seconds))
  const interval = 1000 / load.rate
  const samples = new Samples()
  const counts = { ok: 0, non2xx: 0, errors: 0 }
  let settled = 0
  const start = performance.now() + 5
  await new Promise<void>((resolve) => {
    const done = () => {
      if (++settled === total) resolve()
    }
    const send = (i: number) => {
      const due = start + i * interval
      pool
        .request({ path, method: "POST", headers: load.headers, body: load.body, headersTimeout: 30_000 })
        .then(async (res) => {
          await res.body.arrayBuffer()
          samples.add(performance.now() - due)
          if (res.statusCode >= 200 && res.statusCode < 300) counts.ok++
          else counts.non2xx++
        })
        .catch(() => {
          counts.errors++
        })
        .finally(done)
    }
    let next = 0
    const tick = () => {
      const now = performance.now()
      while (next < total && start + next * interval <= now) send(next++)
      if (next < total) setTimeout(tick, Math.max(0, start + next * interval - performance.now()))
    }
    setTimeout(tick, 5)
  })
  const seconds = (performance.now() - start) / 1000
  return samples.result(counts, seconds)
}

interface Message {
  readonly id: number
  readonly load: Load
}

process.on("message", (message: Message) => {
  // Started with --expose-gc: a full collection now rather than a pause inside the cell.
  ;(globalThis as { gc?: () => void }).gc?.()
  const run = message.load.kind === "closed" ? closed(message.load) : open(message.load)
  run.then(
    (result) => process.send?.({ id: message.id, result }),
    (error: Error) => process.send?.({ id: message.id, error: error.message })
  )
})
process.on("disconnect", () => process.exit(0))
