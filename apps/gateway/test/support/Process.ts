/**
 * Runs the gateway as a real process (`src/main.ts` from source, as `./am start` would after a
 * build), for the tests that need signals, kills and several replicas.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname

export interface GatewayProcess {
  readonly url: string
  readonly proc: ChildProcess
  readonly output: () => string
  /** Resolves with the exit code (or the signal name) once the process ends. */
  readonly exited: Promise<number | string>
  readonly kill: (signal: NodeJS.Signals) => void
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer()
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
    s.on("error", reject)
  })

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), prefix))

export const spawnGateway = async (
  config: Record<string, unknown>,
  options?: { readonly cwd?: string; readonly env?: Record<string, string> }
): Promise<GatewayProcess> => {
  const port = await freePort()
  const dir = options?.cwd ?? tempDir("am-gw-")
  const file = join(dir, `am.config.${port}.json`)
  writeFileSync(
    file,
    JSON.stringify({ ...config, server: { ...(config.server as object | undefined), host: "127.0.0.1", port } })
  )
  const proc = spawn(process.execPath, ["--conditions=@am/source", "--no-warnings", MAIN, "--config", file], {
    cwd: dir,
    env: { ...process.env, ...options?.env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let out = ""
  proc.stdout!.on("data", (d) => {
    out += d
  })
  proc.stderr!.on("data", (d) => {
    out += d
  })
  const exited = new Promise<number | string>((resolve) =>
    proc.on("exit", (code, signal) => resolve(code ?? signal ?? "unknown"))
  )
  const url = `http://127.0.0.1:${port}`
  // Ready when /healthz answers (bounded: a broken start fails the test with its output).
  for (let i = 0; ; i++) {
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false
    )
    if (ok) break
    if (proc.exitCode !== null || i > 300) {
      proc.kill("SIGKILL")
      throw new Error(`gateway did not start:\n${out}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  return { url, proc, output: () => out, exited, kill: (s) => proc.kill(s) }
}

/**
 * Waits until `cond` holds, checking every 25 ms; fails naming `what` after `limitMs` (a bound
 * for a broken run, generous because the machine may be busy: no timing is asserted).
 */
export const until = async (cond: () => boolean, what: string, limitMs = 15_000) => {
  const started = Date.now()
  while (!cond()) {
    if (Date.now() - started > limitMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

export interface LoadResult {
  readonly answered: Array<string>
  readonly failedStatus: Array<number>
  refused: number
}

/**
 * Closed-loop load: `concurrency` clients send until `stop()` (or until the server refuses
 * connections). Collects the request id of every answered (2xx) request.
 */
export const load = (url: string, key: string | undefined, concurrency: number) => {
  let running = true
  const result: LoadResult = { answered: [], failedStatus: [], refused: 0 }
  const body = JSON.stringify({ model: "default", messages: [{ role: "user", content: "load" }] })
  const client = async () => {
    while (running) {
      try {
        const r = await fetch(`${url}/v1/chat/completions`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(key !== undefined ? { authorization: `Bearer ${key}` } : {})
          },
          body
        })
        await r.text()
        if (r.ok) result.answered.push(r.headers.get("x-am-request-id")!)
        else result.failedStatus.push(r.status)
      } catch {
        result.refused++
        await new Promise((r) => setTimeout(r, 20))
      }
    }
  }
  const clients = Array.from({ length: concurrency }, client)
  return {
    result,
    stop: async () => {
      running = false
      await Promise.all(clients)
      return result
    }
  }
}
