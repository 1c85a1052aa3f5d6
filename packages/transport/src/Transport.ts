/**
 * A `fetch`-compatible function over undici's connection pools, for the provider SDKs' hot path.
 *
 * Why not Node's global `fetch` or undici's own `fetch`: both run the WHATWG fetch algorithm per
 * request (Request/Response objects, header guards, spec'd body extraction, a stream pipe and
 * redirect machinery) on top of the very same kind of pool. This transport calls
 * `Dispatcher.request()` and builds one plain `Response` whose body is fed from undici's socket
 * chunk by chunk. Measured by `./am bench transport` (OpenAI SDK, testkit fast upstream, 50
 * concurrent calls, one run): undici's fetch 3,028 req/s at 371 µs of client CPU per call, global
 * fetch 2,894 at 392, this transport 5,780 at 189; without the SDK (bare fetch + `json()`) 4,103
 * at 227, 2,359 at 239 and 12,074 at 69. undici's fetch saves nothing over the global one.
 *
 * @example
 * ```ts
 * import { makeTransport } from "@am/transport"
 * import OpenAI from "openai"
 *
 * const transport = makeTransport({ connectTimeoutMs: 5_000 })
 * const client = new OpenAI({ apiKey: "sk-…", fetch: transport.fetch, maxRetries: 0 })
 * // … on shutdown: waits for in-flight requests, then closes every socket
 * await transport.close()
 * ```
 * @since 0.1.0
 */
import { Effect, type Scope } from "effect"
import { Agent, type Dispatcher } from "undici"
import { fetchFailed, type Incoming, toResponse } from "./internal/Incoming.ts"

export { ResponseTooLarge } from "./internal/Incoming.ts"
import { toOutgoing } from "./internal/Outgoing.ts"

/** How the pool behaves. Every field is optional; the defaults suit LLM provider APIs. */
export interface TransportOptions {
  /**
   * Most sockets per origin. Default unlimited, as with global fetch: LLM calls hold their
   * connection for seconds, so a cap makes the rest queue behind them.
   */
  readonly connections?: number | null
  /** Requests in flight per HTTP/1.1 socket (default 1: no pipelining of non-idempotent POSTs). */
  readonly pipelining?: number
  /** TCP + TLS handshake limit (default 10 000 ms). */
  readonly connectTimeoutMs?: number
  /**
   * Wait for the response headers; 0 disables (default). The SDKs and the adapters bound the whole
   * call themselves, and a non-streaming reasoning call may legitimately take minutes to answer.
   */
  readonly headersTimeoutMs?: number
  /**
   * Longest silence between two body chunks; 0 disables. Default 300 000 ms (undici's): it ends a
   * stream that stopped arriving when the caller set no deadline (providers ping SSE streams).
   */
  readonly bodyTimeoutMs?: number
  /** How long an idle socket is kept for reuse when the server does not say (default 4 000 ms). */
  readonly keepAliveTimeoutMs?: number
  /** Longest keep-alive a server's `Keep-Alive: timeout=` hint may set (default 600 000 ms). */
  readonly keepAliveMaxTimeoutMs?: number
  /**
   * Offer HTTP/2 over TLS via ALPN. Default off: HTTP/1.1, as Node's global fetch speaks it and as
   * the adapters are tested; one h2 connection would multiplex every stream to an origin over a
   * single TCP window.
   */
  readonly allowH2?: boolean
  /**
   * Largest response body in bytes, counted as decoded bytes arrive (a stream's too); past it
   * the body errors with `TypeError("terminated", { cause: ResponseTooLarge })` and the socket
   * is closed, so a runaway upstream answer is never buffered whole. Default unlimited.
   */
  readonly maxResponseBytes?: number
}

/** One origin's pool, as undici counts it. */
export interface OriginStats {
  /** Open sockets. */
  readonly connected: number
  /** Open sockets with nothing in flight. */
  readonly free: number
  /** Requests waiting for a socket. */
  readonly pending: number
  /** Requests in flight. */
  readonly running: number
}

/** A pooled `fetch` and its lifecycle. */
export interface Transport {
  /**
   * `fetch`-compatible: `(input, init) => Promise<Response>`. The response body streams as bytes
   * arrive; `init.signal` aborts the request (before the headers it rejects with the signal's
   * reason, after them it errors the body and closes the socket). Redirects are not followed: a
   * 3xx is returned as it is (`redirect: "error"` makes it a failure), so an API key header is
   * never re-sent to another origin.
   */
  readonly fetch: typeof globalThis.fetch
  /** Stops taking requests, waits for those in flight, closes every socket. */
  readonly close: () => Promise<void>
  /** Closes every socket now; requests in flight fail. */
  readonly destroy: () => Promise<void>
  /** Per-origin pool counters (`https://api.openai.com` → stats). */
  readonly stats: () => Readonly<Record<string, OriginStats>>
}

/** The defaults `makeTransport` fills in. */
export const DEFAULT_TRANSPORT_OPTIONS = {
  connections: null,
  pipelining: 1,
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 0,
  bodyTimeoutMs: 300_000,
  keepAliveTimeoutMs: 4_000,
  keepAliveMaxTimeoutMs: 600_000,
  allowH2: false
} as const satisfies TransportOptions

/** The `fetch` over a dispatcher (an `Agent` here, or a caller's `init.dispatcher`). */
const fetchVia =
  (pool: Dispatcher, maxResponseBytes: number | undefined): typeof globalThis.fetch =>
  async (input, init) => {
    const out = toOutgoing(input, init)
    const { signal } = out
    signal?.throwIfAborted()
    let data: Dispatcher.ResponseData
    try {
      data = await (out.dispatcher ?? pool).request({
        origin: out.origin,
        path: out.path,
        method: out.method as Dispatcher.HttpMethod,
        headers: out.headers,
        body: out.body as Dispatcher.DispatchOptions["body"],
        signal: signal ?? null,
        responseHeaders: "raw"
      })
    } catch (error) {
      // fetch's contract: an abort rejects with the signal's reason, everything else is a TypeError.
      if (signal?.aborted === true) throw signal.reason
      throw fetchFailed(error)
    }
    try {
      return toResponse(data as unknown as Incoming, out.url, out.method, out.redirect, signal, maxResponseBytes)
    } catch (error) {
      data.body.on("error", () => undefined).destroy()
      throw error instanceof TypeError ? error : fetchFailed(error)
    }
  }

/**
 * Builds a transport: one undici `Agent` holding a keep-alive pool per origin. Share one per
 * process (see `sharedFetch`); each transport has its own sockets.
 *
 * @example
 * ```ts
 * import { makeTransport } from "@am/transport"
 * const transport = makeTransport({ connections: 256, bodyTimeoutMs: 120_000 })
 * const res = await transport.fetch("http://127.0.0.1:8080/v1/models")
 * console.log(res.status, await res.json(), transport.stats())
 * ```
 */
export const makeTransport = (options: TransportOptions = {}): Transport => {
  const o = { ...DEFAULT_TRANSPORT_OPTIONS, ...options }
  const agent = new Agent({
    connections: o.connections,
    pipelining: o.pipelining,
    connectTimeout: o.connectTimeoutMs,
    headersTimeout: o.headersTimeoutMs,
    bodyTimeout: o.bodyTimeoutMs,
    keepAliveTimeout: o.keepAliveTimeoutMs,
    keepAliveMaxTimeout: o.keepAliveMaxTimeoutMs,
    allowH2: o.allowH2
  })
  const stats = () => {
    const out: Record<string, OriginStats> = {}
    for (const [origin, s] of Object.entries(agent.stats)) {
      // `connections: 1` gives a single Client per origin, whose stats say connected yes/no.
      const connected = typeof s.connected === "boolean" ? Number(s.connected) : s.connected
      const free = "free" in s ? s.free : connected - Math.min(connected, s.running)
      out[origin] = { connected, free, pending: s.pending, running: s.running }
    }
    return out
  }
  return {
    fetch: fetchVia(agent, options.maxResponseBytes),
    close: () => agent.close(),
    destroy: () => agent.destroy(),
    stats
  }
}

/**
 * A transport closed (gracefully) with the enclosing `Scope`.
 *
 * @example
 * ```ts
 * import { Transport } from "@am/transport"
 * import { Effect } from "effect"
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const transport = yield* Transport.scoped({ connections: 64 })
 *     return yield* Effect.promise(() => transport.fetch("http://127.0.0.1:8080/health").then((r) => r.status))
 *   })
 * )
 * ```
 */
export const scoped = (options?: TransportOptions): Effect.Effect<Transport, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => makeTransport(options)),
    (transport) => Effect.promise(() => transport.close())
  )

/** `Transport.make` / `Transport.scoped`. */
export const Transport = { make: makeTransport, scoped } as const
