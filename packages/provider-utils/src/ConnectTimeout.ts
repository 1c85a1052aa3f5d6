/**
 * Connect timeouts, one meaning of their own (DESIGN.md, "Timeouts, one meaning each"): the
 * host never completed the TCP/TLS handshake within the provider's `connectTimeout`. undici
 * reports it as `ConnectTimeoutError` (`UND_ERR_CONNECT_TIMEOUT`) under a `fetch failed`; the
 * SDKs then lose it — `@anthropic-ai/sdk` turns anything whose text says "timeout" into a bare
 * `APIConnectionTimeoutError` with no cause, indistinguishable from its own request timer. So
 * the adapters' fetch raises it as a {@link ConnectTimeoutFailed} (text free of "timeout", code
 * kept), which the SDKs wrap in their connection error with the cause intact, and the adapters
 * report it as kind `timeout`, `errorType` {@link CONNECT_TIMEOUT}.
 *
 * @example
 * ```ts
 * import { isConnectTimeout } from "@am/provider-utils"
 * isConnectTimeout(new TypeError("fetch failed", { cause: { code: "UND_ERR_CONNECT_TIMEOUT" } })) // true
 * ```
 * @since 0.1.0
 */

/** The `errorType` of a failure whose connection was never established in time. */
export const CONNECT_TIMEOUT = "connect_timeout"

/** undici's code for a connect timeout, kept on {@link ConnectTimeoutFailed}. */
export const CONNECT_TIMEOUT_CODE = "UND_ERR_CONNECT_TIMEOUT"

/**
 * What the adapters' fetch raises for a connect timeout. Its name and message avoid the word
 * the SDKs match on, and it carries no `cause`, so the SDK keeps it as its connection error's
 * cause instead of replacing it by a request timeout.
 */
export class ConnectTimeoutFailed extends Error {
  override readonly name = "ConnectFailed"
  readonly code = CONNECT_TIMEOUT_CODE
}

/** Whether an error, or anything on its `cause` chain, is a connect timeout. */
export const isConnectTimeout = (error: unknown): boolean => {
  let current: unknown = error
  for (let depth = 0; depth < 6 && typeof current === "object" && current !== null; depth++) {
    const e = current as { code?: unknown; name?: unknown; cause?: unknown }
    if (e.code === CONNECT_TIMEOUT_CODE || e.name === "ConnectTimeoutError") return true
    current = e.cause
  }
  return false
}

/** The address undici names in its message (`attempted address: host:port`), when it does. */
const addressOf = (error: unknown): string | undefined => {
  let current: unknown = error
  for (let depth = 0; depth < 6 && typeof current === "object" && current !== null; depth++) {
    const message = (current as { message?: unknown }).message
    const m = typeof message === "string" ? /attempted address: ([^,)]+)/.exec(message) : null
    if (m !== null) return m[1]
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

/**
 * `fetch` whose connect timeouts reject as {@link ConnectTimeoutFailed}; every other outcome is
 * the inner fetch's own.
 *
 * @example
 * ```ts
 * import { markConnectTimeouts } from "@am/provider-utils"
 * const fetch = markConnectTimeouts(globalThis.fetch)
 * ```
 */
export const markConnectTimeouts =
  (inner: typeof globalThis.fetch): typeof globalThis.fetch =>
  (input, init) =>
    inner(input, init).catch((error: unknown) => {
      if (!isConnectTimeout(error)) throw error
      const address = addressOf(error)
      throw new ConnectTimeoutFailed(
        `connect failed: no handshake${address !== undefined ? ` with ${address}` : ""} within the connect bound`
      )
    })
