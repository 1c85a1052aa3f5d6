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

export const makeResponseCapture = (): ResponseCapture => {
  let headers: Headers | undefined
  let status: number | undefined
  const fetch: typeof globalThis.fetch = (input, init) =>
    globalThis.fetch(input, init).then((response) => {
      headers = response.headers
      status = response.status
      return response
    })
  return { fetch, headers: () => headers, status: () => status }
}
