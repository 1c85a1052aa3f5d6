/**
 * Child processes of `pnpm bench gateway`: each pinned to a core with `taskset`, its
 * output sent to a log file (the kernel writes it; no reader on a measured core), all
 * killed on exit, error or signal. Each child also preloads ChildGuard.ts, which ends it
 * if the bench dies without cleaning up.
 */
import type { ChildProcess, StdioOptions } from "node:child_process"
import { spawn, spawnSync } from "node:child_process"
import { closeSync, openSync, readFileSync } from "node:fs"
import { createServer } from "node:net"
import { cpus } from "node:os"
import { join } from "node:path"

export const guard = new URL("./ChildGuard.ts", import.meta.url).pathname

/** Whether processes can be pinned: `taskset` present and at least two cores. */
export const pinning = cpus().length >= 2 && spawnSync("taskset", ["-V"], { stdio: "ignore" }).status === 0

const children = new Set<ChildProcess>()

// ---- how much of the machine other work took during the run -----------------------------
// Both cores are shared with whatever else runs here; every figure moves with it. /proc/stat
// counts all busy time, /proc/PID/stat ours (USER_HZ ticks, 100 a second).

const busyTicks = (): number => {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number)
  // user nice system (irq/softirq left out: loopback traffic is ours but not charged to a pid)
  return f[0]! + f[1]! + f[2]!
}
const processTicks = (pid: number | undefined): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return Number(f[11]) + Number(f[12]) // utime stime
  } catch {
    return 0
  }
}
let childTicks = 0

/**
 * CPU time (user + system) a live process has used, in ms (10 ms steps). Per request it
 * is the figure other work on the machine disturbs least: stolen time is not charged.
 */
export const cpuMs = (pid: number | undefined): number => processTicks(pid) * 10

/** A reading of the CPU time other processes used so far; compare two with `foreignShare`. */
export interface CpuReading {
  readonly foreign: number
  readonly at: number
}

export const readCpu = (): CpuReading => {
  try {
    const cpu = process.cpuUsage()
    let live = 0
    for (const child of children) live += processTicks(child.pid)
    return { foreign: busyTicks() - (cpu.user + cpu.system) / 10_000 - childTicks - live, at: performance.now() }
  } catch {
    return { foreign: Number.NaN, at: performance.now() }
  }
}

/** Share of the machine's cores (0–1) that processes other than the bench kept busy between two readings. */
export const foreignShare = (from: CpuReading, to: CpuReading = readCpu()): number =>
  Math.max(0, (to.foreign - from.foreign) / (((to.at - from.at) / 10) * cpus().length))

const killAll = (signal: NodeJS.Signals) => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal)
}
process.on("exit", () => killAll("SIGKILL"))
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.once(signal, () => {
    killAll("SIGKILL")
    process.exit(130)
  })
}

/** Pin this process (all its threads) to `core`: the bench's own bookkeeping stays off the measured core. */
export const pinSelf = (core: number) => {
  if (pinning) spawnSync("taskset", ["-a", "-pc", String(core), String(process.pid)], { stdio: "ignore" })
}

export interface Child {
  readonly name: string
  readonly process: ChildProcess
  readonly log: string
  /** The last lines the child wrote (stdout and stderr). */
  tail(lines?: number): string
  /** SIGTERM, then SIGKILL after 3 s; resolves when it has exited. */
  stop(): Promise<void>
}

export interface SpawnOptions {
  readonly name: string
  readonly core: number
  /** Node arguments: flags, script, script arguments. */
  readonly args: ReadonlyArray<string>
  readonly logDir: string
  readonly cwd: string
  readonly env?: Record<string, string>
  /** Add an IPC channel (the load worker). */
  readonly ipc?: boolean
}

/** Start `node ARGS` pinned to `core` (taskset execs node, so the pid is node's). */
export const spawnNode = (options: SpawnOptions): Child => {
  const log = join(options.logDir, `${options.name.replace(/[^\w.-]+/g, "_")}.log`)
  const fd = openSync(log, "w")
  const node = [process.execPath, "--import", guard, ...options.args]
  const [command, ...args] = pinning ? ["taskset", "-c", String(options.core), ...node] : node
  const stdio: StdioOptions = options.ipc === true ? ["ignore", fd, fd, "ipc"] : ["ignore", fd, fd]
  const child = spawn(command!, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio })
  closeSync(fd)
  children.add(child)
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  void exited.then(() => children.delete(child))
  return {
    name: options.name,
    process: child,
    log,
    tail: (lines = 20) => {
      try {
        return readFileSync(log, "utf8").trimEnd().split("\n").slice(-lines).join("\n")
      } catch {
        return ""
      }
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      childTicks += processTicks(child.pid)
      child.kill("SIGTERM")
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000)
      await exited
      clearTimeout(timer)
    }
  }
}

/** A port free on 127.0.0.1 right now (the OS picks it). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

/**
 * Poll `url` until `ready(status)` holds; fails if the child exits first or after `timeoutMs`.
 */
export const waitReady = async (
  child: Child,
  url: string,
  ready: (status: number) => boolean,
  timeoutMs = 60_000
): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (child.process.exitCode !== null || child.process.signalCode !== null)
      throw new Error(
        `${child.name} exited (${child.process.exitCode ?? child.process.signalCode}): ${child.tail(1)}\n${child.tail()}`
      )
    const status = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
      async (r) => {
        await r.arrayBuffer()
        return r.status
      },
      () => 0
    )
    if (status !== 0 && ready(status)) return
    if (Date.now() > deadline)
      throw new Error(`${child.name} not ready at ${url} after ${timeoutMs} ms:\n${child.tail()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Peak resident set size (VmHWM) of a live process, in MB; NaN when unknown. */
export const peakRssMB = (pid: number | undefined): number => {
  if (pid === undefined) return Number.NaN
  try {
    const kB = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]
    return kB === undefined ? Number.NaN : Number(kB) / 1024
  } catch {
    return Number.NaN
  }
}

/** Resident set size (VmRSS) of a live process now, in MB; NaN when unknown. */
export const rssMB = (pid: number | undefined): number => {
  if (pid === undefined) return Number.NaN
  try {
    const kB = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]
    return kB === undefined ? Number.NaN : Number(kB) / 1024
  } catch {
    return Number.NaN
  }
}
