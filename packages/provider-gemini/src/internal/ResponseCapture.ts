/**
 * A per-call `fetch` wrapper that remembers the HTTP response's status and headers. The SDK's
 * `ApiError` drops the headers (request id, `retry-after`, rate-limit headers), and whether any
 * response arrived at all decides `responseBytesReceived` on a transport failure. It wraps the
 * adapter's fetch (`@am/transport`'s pooled one by default) and is handed to the SDK per call as
 * `httpOptions.fetch`, which `@google/genai` 3.1 uses instead of the global fetch.
 */
export interface ResponseCapture {
  readonly fetch: typeof globalThis.fetch
  readonly headers: () => Headers | undefined
  readonly status: () => number | undefined
}

const UNDICI_GLOBAL_DISPATCHER = Symbol.for("undici.globalDispatcher.1")

interface Dispatcher {
  readonly dispatch: (options: object, handler: unknown) => boolean
}

/**
 * Given its own `fetch`, the SDK no longer installs the dispatcher that turns off undici's 300 s
 * header and body timeouts; for the global fetch this does the same (the call's timeout is
 * enforced by the adapter). `@am/transport` has its own timeouts (no headers timeout) and pool.
 */
const noUndiciTimeouts = (): Dispatcher | undefined => {
  const read = () => (globalThis as Record<symbol, unknown>)[UNDICI_GLOBAL_DISPATCHER] as Dispatcher | undefined
  // Node creates its undici dispatcher lazily; constructing Headers triggers it (as the SDK does).
  if (read() === undefined) new Headers()
  const globalDispatcher = read()
  if (globalDispatcher === undefined || typeof globalDispatcher.dispatch !== "function") return undefined
  return {
    dispatch: (options, handler) =>
      globalDispatcher.dispatch({ ...options, headersTimeout: 0, bodyTimeout: 0 }, handler)
  }
}

export const makeResponseCapture = (inner: typeof globalThis.fetch): ResponseCapture => {
  let headers: Headers | undefined
  let status: number | undefined
  const fetch: typeof globalThis.fetch = (input, init) => {
    const dispatcher =
      inner !== globalThis.fetch || (init !== undefined && "dispatcher" in init) ? undefined : noUndiciTimeouts()
    return inner(input, dispatcher !== undefined ? ({ ...init, dispatcher } as RequestInit) : init).then((response) => {
      headers = response.headers
      status = response.status
      return response
    })
  }
  return { fetch, headers: () => headers, status: () => status }
}
