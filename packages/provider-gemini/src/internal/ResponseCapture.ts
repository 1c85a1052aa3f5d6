/**
 * A per-call `fetch` wrapper that remembers the HTTP response's status and headers. The SDK's
 * `ApiError` drops the headers (request id, `retry-after`, rate-limit headers), and whether any
 * response arrived at all decides `responseBytesReceived` on a transport failure.
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
 * header and body timeouts; this does the same (the call's timeout is enforced by the adapter).
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

export const makeResponseCapture = (): ResponseCapture => {
  let headers: Headers | undefined
  let status: number | undefined
  const fetch: typeof globalThis.fetch = (input, init) => {
    const dispatcher = init !== undefined && "dispatcher" in init ? undefined : noUndiciTimeouts()
    return globalThis
      .fetch(input, dispatcher !== undefined ? ({ ...init, dispatcher } as RequestInit) : init)
      .then((response) => {
        headers = response.headers
        status = response.status
        return response
      })
  }
  return { fetch, headers: () => headers, status: () => status }
}
