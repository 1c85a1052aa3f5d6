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
}

/**
 * Graceful shutdown of the shared transport: waits for the requests in flight, then closes every
 * socket. A later request starts a new pool.
 */
export const closeSharedTransport = async (): Promise<void> => {
  const previous = current
  current = undefined
  await previous?.close()
}
