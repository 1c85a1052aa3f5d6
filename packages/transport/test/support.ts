import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo, Socket } from "node:net"
import { Effect, type Scope } from "effect"
import { makeTransport, type Transport, type TransportOptions } from "../src/index.ts"

/** A hand-made upstream that counts the TCP connections it accepted (a pooled client reuses them). */
export interface TestServer {
  readonly origin: string
  /** Connections accepted so far. */
  readonly connections: () => number
  /** Sockets still open. */
  readonly openSockets: () => number
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void

/** A node:http server for the scope, answering with `handler`. */
export const testServer = (handler: Handler): Effect.Effect<TestServer, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.callback<{ server: ReturnType<typeof createServer>; api: TestServer }>((resume) => {
      let accepted = 0
      const sockets = new Set<Socket>()
      const server = createServer(handler)
      server.on("connection", (socket) => {
        accepted++
        sockets.add(socket)
        socket.on("close", () => sockets.delete(socket))
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        resume(
          Effect.succeed({
            server,
            api: { origin: `http://127.0.0.1:${port}`, connections: () => accepted, openSockets: () => sockets.size }
          })
        )
      })
    }),
    ({ server }) =>
      Effect.callback<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ api }) => api))

/** A transport destroyed with the scope (tests leave no sockets behind). */
export const transport = (options?: TransportOptions): Effect.Effect<Transport, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => makeTransport(options)),
    (t) => Effect.promise(() => t.destroy())
  )

/** A promise and its resolver, for servers that wait on the test (and tests that wait on servers). */
export const signal = <A = void>() => {
  let resolve!: (value: A) => void
  const promise = new Promise<A>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

/** Waits on a real event, bounded: fails the test instead of hanging it. */
export const waitFor = <A>(promise: Promise<A>, what: string, limitMs = 5000): Effect.Effect<A> =>
  Effect.promise(
    () =>
      new Promise<A>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), limitMs)
        promise.then(
          (value) => {
            clearTimeout(timer)
            resolve(value)
          },
          (error: unknown) => {
            clearTimeout(timer)
            reject(error)
          }
        )
      })
  )

/** The body's next chunk as text (`undefined` at the end). */
export const nextText = (reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string | undefined> =>
  reader.read().then((r) => (r.done ? undefined : Buffer.from(r.value).toString("utf8")))

/** Waits (yielding to the event loop) until `check` holds; fails the test after `limitMs`. */
export const until = (check: () => boolean, what: string, limitMs = 5000): Effect.Effect<void> =>
  Effect.promise(
    () =>
      new Promise<void>((resolve, reject) => {
        const started = Date.now()
        const tick = () => {
          if (check()) return resolve()
          if (Date.now() - started > limitMs) return reject(new Error(`timed out waiting for ${what}`))
          setImmediate(tick)
        }
        tick()
      })
  )
