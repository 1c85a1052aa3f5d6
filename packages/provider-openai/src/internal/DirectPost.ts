/**
 * A same-wire call without the SDK: the client's JSON is POSTed as it is over the adapter's
 * `fetch` (the pooled transport, with the compatible servers' error rewrap), the answer read
 * once and parsed once. The SDK adds nothing a same-wire call uses — it would build headers,
 * a URL, a request controller, a logger's request details and an `APIPromise` per call
 * (~300 µs of CPU per call in `./am bench gateway`'s profile) — but its error classes are what
 * `toProviderFailure` classifies, so failures are built as the SDK's own: a status as
 * `APIError.generate` (the subclass per status, the body's `error` object), a connection failure
 * as `APIConnectionError` / `APIConnectionTimeoutError` with its cause, our own abort as
 * `APIUserAbortError`. Only for the adapter's own client: with a `clientFactory` (Azure,
 * Bedrock, a caller's subclass) or a base URL carrying a query, the SDK makes the call.
 *
 * @internal
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai"

type Fetch = typeof globalThis.fetch

/** How the adapter's client would have called: its base URL, fetch and default headers. */
export interface DirectPostConfig {
  readonly baseURL: string
  readonly fetch: Fetch
  readonly headers?: Readonly<Record<string, string>> | undefined
}

/** A POST of a JSON text, resolving to the parsed answer; rejects with the SDK's error classes. */
export type DirectPost = (
  path: string,
  body: string,
  apiKey: string,
  signal: AbortSignal,
  onHeaders: (headers: Headers) => void
) => Promise<unknown>

const safeJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

// The SDK's own test for a timed-out connection (`makeRequest`): an abort error, or "timed out" in
// the error or its cause.
const timedOut = (error: unknown): boolean =>
  (error instanceof Error && error.name === "AbortError") ||
  /timed? ?out/i.test(
    String(error) + (typeof error === "object" && error !== null && "cause" in error ? String(error.cause) : "")
  )

/** The error the SDK throws when `fetch` rejects (it has no retries here: `maxRetries: 0`). */
const connectionError = (error: unknown, signal: AbortSignal): Error => {
  if (signal.aborted) return new APIUserAbortError()
  if (timedOut(error)) return Object.assign(new APIConnectionTimeoutError(), { cause: error })
  return new APIConnectionError({ message: undefined, cause: error as Error })
}

/** The error the SDK throws for an HTTP error status (its `makeStatusError`). */
const statusError = (status: number, text: string, headers: Headers): APIError => {
  const json = safeJson(text)
  const normalized =
    json !== undefined && typeof json === "object" && json !== null && (json as { error?: unknown }).error == null
      ? { error: json }
      : json
  return APIError.generate(status, normalized as object | undefined, json === undefined ? text : undefined, headers)
}

/** The direct calls of one adapter: a whole answer, and a stream's response once its status is 2xx. */
export interface Direct {
  readonly post: DirectPost
  /** The response of a POST whose status is 2xx (its body unread); rejects like `post`. */
  readonly open: (path: string, body: string, apiKey: string, signal: AbortSignal) => Promise<Response>
}

/**
 * The direct calls for one adapter, or `undefined` when its calls must go through the SDK
 * (a base URL with a query string, whose merging the SDK owns).
 */
export const directCalls = (config: DirectPostConfig): Direct | undefined => {
  if (config.baseURL.includes("?")) return undefined
  const base = config.baseURL.endsWith("/") ? config.baseURL.slice(0, -1) : config.baseURL
  // Configured headers come after the auth header, as the SDK's `defaultHeaders` do (a proxy's
  // own `Authorization` wins); lower-cased once so a differently-cased name replaces, not doubles.
  const extra = Object.fromEntries(Object.entries(config.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]))
  const send = async (path: string, body: string, apiKey: string, signal: AbortSignal): Promise<Response> => {
    try {
      return await config.fetch(`${base}${path}`, {
        method: "POST",
        headers: {
          accept: "application/json",
          "content-type": "application/json",
          authorization: `Bearer ${apiKey}`,
          ...extra
        },
        body,
        signal
      })
    } catch (error) {
      throw connectionError(error, signal)
    }
  }
  const text = async (response: Response, signal: AbortSignal): Promise<string> => {
    try {
      return await response.text()
    } catch (error) {
      // The body broke off: the SDK surfaces the stream's error as it is.
      throw signal.aborted ? new APIUserAbortError() : error
    }
  }
  const open = async (path: string, body: string, apiKey: string, signal: AbortSignal): Promise<Response> => {
    const response = await send(path, body, apiKey, signal)
    if (!response.ok) throw statusError(response.status, await text(response, signal), response.headers)
    return response
  }
  const post: DirectPost = async (path, body, apiKey, signal, onHeaders) => {
    const response = await send(path, body, apiKey, signal)
    onHeaders(response.headers)
    const answer = await text(response, signal)
    if (!response.ok) throw statusError(response.status, answer, response.headers)
    // One parse; a body that is not JSON is a `SyntaxError` (a decode failure), as with the SDK.
    return JSON.parse(answer)
  }
  return { post, open }
}
