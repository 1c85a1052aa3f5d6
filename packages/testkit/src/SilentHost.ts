/**
 * A host that never completes a TCP handshake: a socket listening with a backlog of 1 in a worker
 * thread that is blocked (so nothing is ever accepted), its accept queue filled by two idle
 * connections. Further connects get no SYN-ACK and hang until the client's connect timeout —
 * what a connect-timeout test needs, on loopback, with no network.
 *
 * @example
 * ```ts
 * import { silentHost } from "@am/testkit"
 * const host = await silentHost() // host.url: http://127.0.0.1:PORT, never answering a handshake
 * await host.close()
 * ```
 * @since 0.1.0
 */
import { connect, type Socket } from "node:net"
import { Worker } from "node:worker_threads"

const LISTENER = `
const { workerData, parentPort } = require("node:worker_threads")
const server = require("node:net").createServer()
server.listen({ port: 0, host: "127.0.0.1", backlog: 1 }, () => {
  parentPort.postMessage(server.address().port)
  Atomics.wait(new Int32Array(workerData), 0, 0)
})`

/** Starts a {@link silentHost}: its `url`, and `close` to release it. */
export const silentHost = async (): Promise<{ readonly url: string; readonly close: () => Promise<void> }> => {
  const gate = new SharedArrayBuffer(4)
  const worker = new Worker(LISTENER, { eval: true, workerData: gate })
  const port = await new Promise<number>((resolve) => worker.once("message", resolve))
  const fillers: Array<Socket> = []
  // Fill the accept queue: once these two are connected, the kernel drops later SYNs.
  for (let i = 0; i < 2; i++) {
    await new Promise<void>((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port }, () => resolve())
      socket.on("error", reject)
      fillers.push(socket)
    })
  }
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const s of fillers) s.destroy()
      Atomics.store(new Int32Array(gate), 0, 1)
      Atomics.notify(new Int32Array(gate), 0)
      await worker.terminate()
    }
  }
}
