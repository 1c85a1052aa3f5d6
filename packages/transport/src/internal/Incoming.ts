/**
 * undici's `ResponseData` → a standard `Response`: every header kept (repeated ones appended),
 * the body a WHATWG stream fed chunk by chunk as bytes arrive (no buffering, so SSE streams),
 * with backpressure, and cancelling it aborts the upstream request.
 */
import type { Readable } from "node:stream"
import { pipeline } from "node:stream"
import zlib from "node:zlib"
import type { RequestRedirect } from "./Outgoing.ts"

const ignore = () => undefined

/** Ends undici's body without an unhandled `error` event (destroying it aborts the request). */
const discard = (body: Readable): void => {
  body.on("error", ignore).destroy()
}

/** Statuses whose `Response` must have a null body (the constructor throws otherwise). */
const NULL_BODY = new Set([101, 103, 204, 205, 304])

const REDIRECT = new Set([301, 302, 303, 307, 308])

/** Where fetch reports a network failure before the headers: `TypeError("fetch failed", { cause })`. */
export const fetchFailed = (cause: unknown): TypeError => new TypeError("fetch failed", { cause })

/** …and where it errors a body that broke off: `TypeError("terminated", { cause })`. */
const terminated = (cause: unknown): TypeError => new TypeError("terminated", { cause })

/**
 * The body's decoders, outermost coding last (`content-encoding: gzip, br` was gzipped, then
 * brotli'd). fetch decodes these; the transport never asks for them (it sends no
 * `accept-encoding` of its own) but decodes a server's (or a caller's header's) choice the same way.
 * Flushing every chunk keeps an SSE stream incremental.
 */
const decoderFor = (coding: string): NodeJS.ReadWriteStream | undefined => {
  const flush = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH }
  switch (coding) {
    case "gzip":
    case "x-gzip":
      return zlib.createGunzip(flush)
    case "deflate":
      return zlib.createInflate(flush)
    case "br":
      return zlib.createBrotliDecompress({
        flush: zlib.constants.BROTLI_OPERATION_FLUSH,
        finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH
      })
    case "zstd":
      return typeof zlib.createZstdDecompress === "function" ? zlib.createZstdDecompress() : undefined
    default:
      return undefined
  }
}

const decoded = (body: Readable, contentEncoding: string | null): Readable => {
  if (contentEncoding === null) return body
  const codings = contentEncoding
    .toLowerCase()
    .split(",")
    .map((c) => c.trim())
    .filter((c) => c !== "" && c !== "identity")
  if (codings.length === 0) return body
  const decoders: Array<NodeJS.ReadWriteStream> = []
  for (const coding of codings.reverse()) {
    const decoder = decoderFor(coding)
    // An unknown coding: hand the bytes over as they came, like fetch does.
    if (decoder === undefined) return body
    decoders.push(decoder)
  }
  // A decode error or a cancel anywhere tears the whole chain down, the upstream request included.
  return pipeline([body, ...decoders], () => undefined) as unknown as Readable
}

/**
 * The error a body past `maxResponseBytes` ends with (as fetch's `TypeError("terminated")`, its
 * `cause` this): the SDKs report it as a connection failure, so the attempt fails over.
 */
export class ResponseTooLarge extends Error {
  readonly maxBytes: number
  constructor(maxBytes: number) {
    super(`the upstream answer exceeded the ${maxBytes}-byte response cap (maxResponseBytes)`)
    this.name = "ResponseTooLarge"
    this.maxBytes = maxBytes
  }
}

/**
 * A `ReadableStream` over a Node `Readable`, without `Readable.toWeb`'s per-chunk overhead: each
 * chunk is enqueued as it arrives and the source is paused while the consumer is behind. Past
 * `maxBytes` (decoded bytes, streamed or not) the body errors and the upstream request is aborted.
 */
const toWebStream = (
  body: Readable,
  signal: AbortSignal | undefined,
  maxBytes: number | undefined
): ReadableStream<Uint8Array> => {
  let done = false
  let received = 0
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        body.on("data", (chunk: Uint8Array) => {
          if (done) return
          received += chunk.byteLength
          if (maxBytes !== undefined && received > maxBytes) {
            done = true
            controller.error(terminated(new ResponseTooLarge(maxBytes)))
            body.on("error", ignore).destroy()
            return
          }
          controller.enqueue(chunk)
          if ((controller.desiredSize ?? 0) <= 0) body.pause()
        })
        body.on("end", () => {
          if (done) return
          done = true
          controller.close()
        })
        body.on("error", (error: unknown) => {
          if (done) return
          done = true
          // An abort errors the body with the signal's reason, as fetch does; anything else broke the stream.
          controller.error(signal?.aborted === true ? signal.reason : terminated(error))
        })
      },
      pull() {
        body.resume()
      },
      cancel() {
        done = true
        // Destroying undici's body aborts the request: the socket is closed, not returned to the pool.
        body.destroy()
      }
    },
    { highWaterMark: 16 }
  )
}

export interface Incoming {
  readonly statusCode: number
  readonly statusText: string
  /** `responseHeaders: "raw"`: `[name, value, name, value, …]` as received. */
  readonly headers: ReadonlyArray<string>
  readonly body: Readable
}

/** Builds the `Response`; throws fetch's `TypeError` for what fetch refuses. */
export const toResponse = (
  incoming: Incoming,
  url: string,
  method: string,
  redirect: RequestRedirect,
  signal: AbortSignal | undefined,
  maxBytes?: number
): Response => {
  const { statusCode, body } = incoming
  if (statusCode < 200 || statusCode > 599) {
    discard(body)
    throw fetchFailed(new Error(`invalid response status ${statusCode}`))
  }
  if (redirect === "error" && REDIRECT.has(statusCode)) {
    discard(body)
    throw fetchFailed(new Error(`unexpected redirect (${statusCode}) with redirect: "error"`))
  }
  const headers = new Headers()
  const raw = incoming.headers
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      headers.append(raw[i]!, raw[i + 1]!)
    } catch {
      // A header the Headers class cannot hold (invalid name); fetch drops such a response's
      // header too rather than fail the call.
    }
  }
  let stream: ReadableStream<Uint8Array> | null = null
  if (method === "HEAD" || NULL_BODY.has(statusCode)) {
    // Nothing to read; drain so that the connection returns to the pool.
    body.on("error", ignore).resume()
  } else {
    const declared = Number(headers.get("content-length") ?? Number.NaN)
    if (maxBytes !== undefined && headers.get("content-encoding") === null && declared > maxBytes) {
      // Declared too large: refused before a byte is read.
      discard(body)
      throw fetchFailed(new ResponseTooLarge(maxBytes))
    }
    stream = toWebStream(decoded(body, headers.get("content-encoding")), signal, maxBytes)
  }
  const response = new Response(stream, { status: statusCode, statusText: incoming.statusText, headers })
  // `Response.url` is read-only and empty for a constructed response; the SDKs log it.
  Object.defineProperty(response, "url", { value: url })
  return response
}
