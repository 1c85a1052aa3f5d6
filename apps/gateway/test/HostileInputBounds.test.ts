/**
 * Hostile-input bounds, against the gateway as a real process: a 100 MB upstream answer (six at
 * once) is cut at `server.maxUpstreamResponseBytes` and answered as a provider failure, with the
 * process's peak RSS (VmHWM, its own kernel report) under 300 MiB; a request whose body never
 * finishes, or whose headers never finish, is closed at the configured timeout; HEAD works on
 * the probes; a numeric header with a non-numeric or negative value is a 400 naming it; and
 * connections past `server.maxConnections` are closed on accept.
 */
import { readFileSync } from "node:fs"
import { createServer, type Server } from "node:http"
import { connect, type Socket } from "node:net"
import OpenAI from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startGateway } from "./support/Harness.ts"
import { type GatewayProcess, spawnGateway } from "./support/Process.ts"

const MB = 1024 * 1024
const ANSWER_BYTES = 100 * MB
const CAP = 1 * MB

let upstream: Server
let upstreamURL: string
/** Bytes the upstream managed to hand to the kernel, per answer. */
const sent: Array<number> = []
let gateway: GatewayProcess

beforeAll(async () => {
  const chunk = Buffer.alloc(64 * 1024, "a")
  upstream = createServer((req, res) => {
    req.resume()
    req.on("end", () => {
      // A 100 MB chat completion, streamed in 64 KiB writes with backpressure: never held whole here.
      res.writeHead(200, { "content-type": "application/json" })
      let written = 0
      const index = sent.push(0) - 1
      const head =
        '{"id":"chatcmpl-big","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"'
      res.write(head)
      const pump = () => {
        while (written < ANSWER_BYTES) {
          if (res.destroyed) return
          written += chunk.length
          sent[index] = written
          if (!res.write(chunk)) return void res.once("drain", pump)
        }
        res.end('"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}')
      }
      res.on("close", () => undefined)
      pump()
    })
  })
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve))
  upstreamURL = `http://127.0.0.1:${(upstream.address() as { port: number }).port}/v1`
  gateway = await spawnGateway({
    providers: {
      big: {
        kind: "openai",
        baseURL: upstreamURL,
        keys: [{ id: "k1", secret: "sk-test-big-0001" }],
        models: [{ name: "gpt-4o" }],
        timeout: "60 seconds"
      }
    },
    routes: { default: [{ provider: "big", models: ["gpt-4o"] }] },
    retry: { maxAttempts: 2, deadline: "60 seconds" },
    ledger: { store: "memory" },
    server: { maxUpstreamResponseBytes: CAP, bodyTimeout: "1 second", headersTimeout: "1 second" }
  })
}, 60_000)

afterAll(async () => {
  gateway?.kill("SIGKILL")
  upstream?.closeAllConnections()
  await new Promise((resolve) => upstream?.close(resolve))
})

/** The peak resident set of a process, from the kernel (`/proc/<pid>/status`, VmHWM), in bytes. */
const peakRss = (pid: number): number => {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmHWM:"))!
  return Number(/(\d+)/.exec(line)![1]) * 1024
}

/** Writes `data` on a raw connection and resolves with what came back once the server closed it. */
const untilClosed = (url: string, data: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url)
    const socket: Socket = connect(Number(port), hostname, () => socket.write(data))
    let received = ""
    socket.on("data", (d) => {
      received += d
    })
    socket.on("error", () => undefined)
    socket.on("close", () => resolve(received))
    setTimeout(() => reject(new Error("the server never closed the connection")), 20_000).unref()
  })

describe("hostile input", () => {
  it("refuses 100 MB upstream answers past the cap, six at once, with peak RSS under 300 MiB", async () => {
    const before = peakRss(gateway.proc.pid!)
    const client = new OpenAI({ apiKey: "unused", baseURL: `${gateway.url}/v1`, maxRetries: 0, timeout: 120_000 })
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        client.chat.completions.create({ model: "default", messages: [{ role: "user", content: `big ${i}` }] })
      )
    )
    for (const r of results) {
      expect(r.status).toBe("rejected")
      const error = (r as PromiseRejectedResult).reason
      expect(error).toBeInstanceOf(OpenAI.APIError)
      expect((error as InstanceType<typeof OpenAI.APIError>).status).toBeGreaterThanOrEqual(502)
      expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe("all_providers_failed")
    }
    const peak = peakRss(gateway.proc.pid!)
    console.log(
      `gateway peak RSS ${(before / MB).toFixed(1)} MiB before, ${(peak / MB).toFixed(1)} MiB after; upstream bytes sent per answer (MiB):`,
      sent.map((b) => (b / MB).toFixed(1)).join(", ")
    )
    expect(peak).toBeLessThan(300 * MB)
    // The gateway stopped reading: no answer was pulled in whole (kernel buffers allow some slack).
    expect(sent.length).toBeGreaterThanOrEqual(6)
    expect(Math.max(...sent)).toBeLessThan(ANSWER_BYTES / 2)
    // Still serving.
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200)
  }, 120_000)

  it("closes a request whose body never finishes at the body timeout", async () => {
    const answer = await untilClosed(
      gateway.url,
      'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"model":'
    )
    expect(answer).toMatch(/^HTTP\/1\.1 408/)
  })

  it("closes a connection whose headers never finish at the headers timeout", async () => {
    const answer = await untilClosed(gateway.url, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    expect(answer === "" || /^HTTP\/1\.1 408/.test(answer)).toBe(true)
  })

  it("answers HEAD on the probes without a body", async () => {
    for (const path of ["/healthz", "/readyz"]) {
      const r = await fetch(`${gateway.url}${path}`, { method: "HEAD" })
      expect(r.status, path).toBeLessThan(500)
      expect(r.headers.get("x-request-id")).toBeTruthy()
      expect(await r.text()).toBe("")
    }
  })

  it("refuses a non-numeric or negative numeric header with a 400 naming it", async () => {
    for (const value of ["abc", "-5", "0", "1e3", "0x10", "5.5", "7 ms"]) {
      const r = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-am-deadline-ms": value },
        body: JSON.stringify({ model: "default", messages: [{ role: "user", content: "hi" }] })
      })
      expect(r.status, value).toBe(400)
      const body = (await r.json()) as { error: { message: string; param: string | null } }
      expect(`${body.error.param} ${body.error.message}`).toContain("x-am-deadline-ms")
    }
  })
})

describe("connection cap", () => {
  it("closes connections past server.maxConnections on accept, and serves again once they go", async () => {
    const gw = await startGateway(
      {
        providers: {
          p: { kind: "openai", baseURL: upstreamURL, keys: [{ id: "k", secret: "sk-x" }], models: [{ name: "gpt-4o" }] }
        },
        routes: { default: [{ provider: "p", models: ["gpt-4o"] }] },
        server: { maxConnections: 2 }
      },
      {}
    )
    try {
      const { port } = new URL(gw.url)
      const open = () =>
        new Promise<Socket>((resolve) => {
          const s = connect(Number(port), "127.0.0.1", () => resolve(s))
          s.on("error", () => undefined)
        })
      const held = [await open(), await open()]
      // Both held connections are accepted and answered.
      for (const s of held) {
        const answered = new Promise<string>((resolve) => s.once("data", (d) => resolve(String(d))))
        s.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        expect(await answered).toMatch(/^HTTP\/1\.1 200/)
      }
      // A third is closed without an answer.
      expect(await untilClosed(gw.url, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")).toBe("")
      for (const s of held) s.destroy()
      // Once they are gone, new connections are served (wait for the server to see the closes).
      let status = 0
      for (let i = 0; i < 200 && status !== 200; i++) {
        status = await fetch(`${gw.url}/healthz`, { headers: { connection: "close" } }).then(
          (r) => r.status,
          () => 0
        )
        if (status !== 200) await new Promise((r) => setTimeout(r, 25))
      }
      expect(status).toBe(200)
    } finally {
      await gw.close()
    }
  })
})
