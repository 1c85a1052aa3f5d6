/**
 * Whether a TCP server answers at a URL's host and port (within a second): how the suites that
 * need this machine's PostgreSQL or Redis say up front that their cases will fail.
 *
 * @example
 * ```ts
 * import { reachable } from "@am/testkit"
 * const up = await reachable("postgres://postgres@127.0.0.1:5432/test", 5432)
 * ```
 * @since 0.1.0
 */
import { connect } from "node:net"

export const reachable = (url: string, defaultPort: number): Promise<boolean> =>
  new Promise((resolve) => {
    const { hostname, port } = new URL(url)
    const socket = connect({ host: hostname, port: Number(port || defaultPort) })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1000, () => done(false))
    socket.once("connect", () => done(true))
    socket.once("error", () => done(false))
  })
