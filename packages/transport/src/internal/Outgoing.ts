/**
 * `fetch(input, init)` arguments → the options of undici's `Dispatcher.request()`: origin and
 * path, upper-cased method, headers as a flat `[name, value, …]` list (every value kept, in
 * order), and a body undici can write without copying it through a WHATWG stream first.
 */
import type { Dispatcher } from "undici"

/** The DOM names, from the `RequestInit` Node types (there is no DOM lib here). */
export type RequestRedirect = NonNullable<RequestInit["redirect"]>
type HeadersInit = RequestInit["headers"]
type BodyInit = RequestInit["body"]

export interface Outgoing {
  readonly url: string
  readonly origin: string
  readonly path: string
  readonly method: string
  readonly headers: Array<string>
  readonly body: string | Uint8Array | AsyncIterable<Uint8Array> | null
  readonly signal: AbortSignal | undefined
  readonly redirect: RequestRedirect
  /** `init.dispatcher`, as undici's own `fetch` accepts it: an explicit choice wins over the pool. */
  readonly dispatcher: Dispatcher | undefined
}

/** fetch's method normalisation: these six are upper-cased, every other token is sent as written. */
const NORMALISED_METHODS: Record<string, string> = {
  delete: "DELETE",
  get: "GET",
  head: "HEAD",
  options: "OPTIONS",
  post: "POST",
  put: "PUT"
}

/**
 * Connection management is the pool's: undici refuses these request headers (or would let them
 * break keep-alive), so they are dropped like a browser drops them.
 */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "expect", "proxy-connection"])

const pushHeaders = (out: Array<string>, init: HeadersInit | undefined): void => {
  if (init == null) return
  if (init instanceof Headers) {
    // Iteration yields lower-cased names and joins repeated values with ", " (set-cookie aside),
    // which is what fetch itself puts on the wire.
    for (const [name, value] of init) if (!HOP_BY_HOP.has(name)) out.push(name, value)
    return
  }
  if (Symbol.iterator in init) {
    for (const pair of init as Iterable<ReadonlyArray<unknown>>) {
      if (pair.length !== 2) throw new TypeError("fetch: a header pair must have exactly two items")
      const name = String(pair[0])
      if (!HOP_BY_HOP.has(name.toLowerCase())) out.push(name, String(pair[1]))
    }
    return
  }
  // A record; Node's types also allow a list of values per name (each is sent) and `undefined` (skipped).
  for (const [name, value] of Object.entries(init as Record<string, unknown>)) {
    if (value === undefined || HOP_BY_HOP.has(name.toLowerCase())) continue
    if (Array.isArray(value)) for (const v of value) out.push(name, String(v))
    else out.push(name, String(value))
  }
}

const hasHeader = (headers: ReadonlyArray<string>, lowerName: string): boolean => {
  for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() === lowerName) return true
  return false
}

const isAsyncIterable = (value: object): value is AsyncIterable<Uint8Array> => Symbol.asyncIterator in value

/**
 * The body as undici takes it. Strings and bytes go as they are (undici sets `content-length`);
 * streams and async iterables are written chunk by chunk (chunked encoding); the rarer `BodyInit`
 * kinds (Blob, FormData, URLSearchParams) are serialised by the platform's own `Response`, which
 * also gives their `content-type` (FormData's multipart boundary).
 */
const toBody = (body: BodyInit | null | undefined, headers: Array<string>): Outgoing["body"] => {
  if (body == null) return null
  if (typeof body === "string") {
    if (!hasHeader(headers, "content-type")) headers.push("content-type", "text/plain;charset=UTF-8")
    return body
  }
  if (body instanceof Uint8Array) return body
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength)
  if (body instanceof ArrayBuffer) return new Uint8Array(body)
  if (body instanceof ReadableStream || isAsyncIterable(body)) return body as AsyncIterable<Uint8Array>
  const serialised = new Response(body)
  const contentType = serialised.headers.get("content-type")
  if (contentType !== null && !hasHeader(headers, "content-type")) headers.push("content-type", contentType)
  if (body instanceof Blob && !hasHeader(headers, "content-length")) headers.push("content-length", String(body.size))
  return serialised.body as unknown as AsyncIterable<Uint8Array>
}

/** Builds the outgoing request; throws a `TypeError` where `fetch` would. */
export const toOutgoing = (input: string | URL | Request, init: RequestInit | undefined): Outgoing => {
  const request = input instanceof Request ? input : undefined
  const href = request !== undefined ? request.url : typeof input === "string" ? input : (input as URL).href
  let url: URL
  try {
    url = new URL(href)
  } catch (cause) {
    throw new TypeError(`fetch: invalid URL ${JSON.stringify(href)}`, { cause })
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`fetch: unsupported protocol ${url.protocol}`)
  }
  if (url.username !== "" || url.password !== "") {
    throw new TypeError("fetch: a URL with credentials cannot be requested")
  }
  const rawMethod = init?.method ?? request?.method ?? "GET"
  const method = NORMALISED_METHODS[rawMethod.toLowerCase()] ?? rawMethod
  const headers: Array<string> = []
  pushHeaders(headers, init?.headers !== undefined ? init.headers : request?.headers)
  const rawBody = init !== undefined && "body" in init ? init.body : request?.body
  if (rawBody != null && (method === "GET" || method === "HEAD")) {
    throw new TypeError("fetch: a GET or HEAD request cannot have a body")
  }
  const dispatcher = (init as { dispatcher?: Dispatcher } | undefined)?.dispatcher
  return {
    url: url.href,
    origin: url.origin,
    path: url.pathname + url.search,
    method,
    headers,
    body: toBody(rawBody, headers),
    signal: init?.signal ?? request?.signal ?? undefined,
    redirect: init?.redirect ?? request?.redirect ?? "follow",
    dispatcher
  }
}
