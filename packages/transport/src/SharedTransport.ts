/**
 * The process-wide transport the provider adapters use by default.
 *
 * One per process rather than one per adapter or per key: sockets are pooled per origin anyway,
 * so sharing lets every key and every adapter that talk to the same origin (several provider ids
 * on one OpenAI-compatible server, the LLM rewriter on a provider the engine also calls) reuse
 * the same warm connections, and shutdown has one thing to close. Origins stay isolated: each has
 * its own pool inside the one `Agent`.
 *
 * Opt-out for the whole process: `AM_HTTP_TRANSPORT=fetch` in the environment makes
 * `sharedFetch` plain `globalThis.fetch` (read when the shared transport is first used). Per
 * adapter: pass `fetch: globalThis.fetch` (or any other fetch) in its config.
 *
 * @example
 * ```ts
 * import { closeSharedTransport, sharedFetch } from "@am/transport"
 * import Anthropic from "@anthropic-ai/sdk"
 *
 * const client = new Anthropic({ apiKey: "sk-ant-…", fetch: sharedFetch, maxRetries: 0 })
 * // graceful shutdown, after the server stopped taking calls:
 * await closeSharedTransport()
 * ```
 * @since 0.1.0
 */
import { makeTransport, type Transport, type TransportOptions } from "./Transport.ts"

/** The environment variable that switches the shared transport off (`fetch`) or on (`pool`, default). */
export const TRANSPORT_ENV = "AM_HTTP_TRANSPORT"

let current: Transport | undefined
let configured: TransportOptions | undefined
/** Pools with a connect timeout of their own (a provider's `connectTimeout`), by that timeout. */
const byConnectTimeout = new Map<number, Transport>()

/** Global fetch dressed as a transport: nothing to close, nothing to count. */
const globalFetchTransport = (): Transport => ({
  fetch: (input, init) => globalThis.fetch(input, init),
  close: () => Promise.resolve(),
  destroy: () => Promise.resolve(),
  stats: () => ({})
})

/**
 * The shared transport, created on first use (with the options of `configureSharedTransport`),
 * or global fetch when `AM_HTTP_TRANSPORT=fetch`.
 */
export const sharedTransport = (): Transport => {
  if (current === undefined) {
    current =
      process.env[TRANSPORT_ENV]?.trim().toLowerCase() === "fetch" ? globalFetchTransport() : makeTransport(configured)
  }
  return current
}

/**
 * A stable `fetch` over the shared transport — what the adapters pass to their SDKs. It survives
 * `closeSharedTransport()`: the next request opens a fresh pool.
 */
export const sharedFetch: typeof globalThis.fetch = (input, init) => sharedTransport().fetch(input, init)

/**
 * A stable `fetch` like {@link sharedFetch}, whose TCP + TLS handshake is bounded by
 * `connectTimeoutMs` (a provider's `connectTimeout`). Providers with the same connect timeout
 * share one pool; undefined is `sharedFetch` itself. With `AM_HTTP_TRANSPORT=fetch` it is global
 * fetch, whose connect timeout is undici's default (the opt-out has no pool to configure).
 *
 * @example
 * ```ts
 * import { sharedFetchWith } from "@am/transport"
 * const fetch = sharedFetchWith({ connectTimeoutMs: 2_000 }) // a silent host fails in ~2 s
 * ```
 */
export const sharedFetchWith = (options: {
  readonly connectTimeoutMs?: number | undefined
}): typeof globalThis.fetch => {
  const ms = options.connectTimeoutMs
  if (ms === undefined) return sharedFetch
  return (input, init) => {
    if (process.env[TRANSPORT_ENV]?.trim().toLowerCase() === "fetch") return sharedTransport().fetch(input, init)
    let transport = byConnectTimeout.get(ms)
    if (transport === undefined) {
      transport = makeTransport({ ...configured, connectTimeoutMs: ms })
      byConnectTimeout.set(ms, transport)
    }
    return transport.fetch(input, init)
  }
}

const closeOwnPools = (): Promise<unknown> => {
  const pools = [...byConnectTimeout.values()]
  byConnectTimeout.clear()
  return Promise.all(pools.map((t) => t.close()))
}

/**
 * Sets the shared transport's options. Takes effect for requests made after the call: a pool
 * already in use is closed gracefully (its requests in flight finish) and replaced on next use.
 *
 * @example
 * ```ts
 * import { configureSharedTransport } from "@am/transport"
 * configureSharedTransport({ connections: 512, connectTimeoutMs: 3_000 })
 * ```
 */
export const configureSharedTransport = (options: TransportOptions): void => {
  configured = options
  const previous = current
  current = undefined
  void previous?.close()
  void closeOwnPools()
}

/**
 * Graceful shutdown of the shared transport: waits for the requests in flight, then closes every
 * socket. A later request starts a new pool.
 */
export const closeSharedTransport = async (): Promise<void> => {
  const previous = current
  current = undefined
  await Promise.all([previous?.close(), closeOwnPools()])
}
