/**
 * A loopback TCP proxy to a real service (PostgreSQL, Redis) that a test can fault on demand:
 *
 * - `refuse()` — stop listening and reset every open connection: new connects get ECONNREFUSED;
 * - `hang()` — keep every connection open but forward nothing either way, and accept new
 *   connections without ever reaching the server (a frozen server, a black-holed network);
 * - `drop()` — reset every open connection, and reset each new one as soon as it arrives;
 * - `heal()` — back to forwarding (bytes held during a hang are delivered then).
 *
 * Drivers see exactly what a real outage of each kind looks like on the wire, so the fault
 * suites run on the real servers with no mocks.
 *
 * @example
 * ```ts
 * import { startFaultProxy } from "@am/testkit"
 * const proxy = await startFaultProxy({ host: "127.0.0.1", port: 5432 })
 * const url = `postgres://postgres@127.0.0.1:${proxy.port}/test`
 * await proxy.hang()
 * await proxy.heal()
 * await proxy.close()
 * ```
 * @since 0.1.0
 */
import { connect, createServer, type Server, type Socket } from "node:net"

/** What the proxy does with traffic right now. */
export type FaultMode = "pass" | "refuse" | "hang" | "drop"

export interface FaultProxy {
  /** The loopback port clients connect to (stable across `refuse()` / `heal()`). */
  readonly port: number
  readonly mode: () => FaultMode
  /** Connections accepted so far (a driver that reconnects shows up here). */
  readonly connections: () => number
  readonly refuse: () => Promise<void>
  readonly hang: () => Promise<void>
  readonly drop: () => Promise<void>
  readonly heal: () => Promise<void>
  /** Turns the proxy to `mode` (`pass` heals). */
  readonly set: (mode: FaultMode) => Promise<void>
  readonly close: () => Promise<void>
}

interface Pair {
  readonly client: Socket
  upstream: Socket | undefined
  /** Bytes from the client held while hanging (sent on heal). */
  readonly held: Array<Buffer>
}

/** Starts a proxy in `pass` mode on a free loopback port. */
export const startFaultProxy = async (target: {
  readonly host: string
  readonly port: number
}): Promise<FaultProxy> => {
  let mode: FaultMode = "pass"
  let accepted = 0
  let port = 0
  let server: Server | undefined
  const pairs = new Set<Pair>()

  const destroy = (pair: Pair) => {
    pairs.delete(pair)
    pair.client.resetAndDestroy()
    pair.upstream?.resetAndDestroy()
  }

  const link = (pair: Pair) => {
    const upstream = connect(target)
    pair.upstream = upstream
    // While hanging the server's answers are held back too (the socket is paused): silence.
    upstream.on("data", (chunk: Buffer) => pair.client.write(chunk))
    upstream.on("error", () => destroy(pair))
    upstream.on("close", () => destroy(pair))
    for (const chunk of pair.held.splice(0)) upstream.write(chunk)
  }

  const onConnection = (client: Socket) => {
    accepted++
    const pair: Pair = { client, upstream: undefined, held: [] }
    pairs.add(pair)
    client.on("error", () => destroy(pair))
    client.on("close", () => destroy(pair))
    if (mode === "drop") {
      destroy(pair)
      return
    }
    client.on("data", (chunk: Buffer) => {
      if (mode === "hang" || pair.upstream === undefined) pair.held.push(chunk)
      else pair.upstream.write(chunk)
    })
    if (mode !== "hang") link(pair)
  }

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer(onConnection)
      s.once("error", reject)
      s.listen(port, "127.0.0.1", () => {
        port = (s.address() as { port: number }).port
        server = s
        resolve()
      })
    })
  const stopListening = () =>
    new Promise<void>((resolve) => {
      const s = server
      server = undefined
      if (s === undefined) resolve()
      else s.close(() => resolve())
    })
  const resetAll = () => {
    for (const pair of [...pairs]) destroy(pair)
  }

  await listen()

  const set = async (next: FaultMode): Promise<void> => {
    const previous = mode
    mode = next
    if (next === "refuse") {
      resetAll()
      await stopListening()
      return
    }
    if (server === undefined) await listen()
    if (next === "drop") resetAll()
    if (next === "hang") for (const pair of pairs) pair.upstream?.pause()
    if (next === "pass" && previous === "hang") {
      for (const pair of pairs) {
        if (pair.upstream === undefined) link(pair)
        else {
          for (const chunk of pair.held.splice(0)) pair.upstream.write(chunk)
          pair.upstream.resume()
        }
      }
    }
  }

  return {
    get port() {
      return port
    },
    mode: () => mode,
    connections: () => accepted,
    refuse: () => set("refuse"),
    hang: () => set("hang"),
    drop: () => set("drop"),
    heal: () => set("pass"),
    set,
    close: async () => {
      mode = "refuse"
      resetAll()
      await stopListening()
    }
  }
}
