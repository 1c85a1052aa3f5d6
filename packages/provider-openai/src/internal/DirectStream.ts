/**
 * A same-wire Chat Completions stream without the SDK: the response body read as it arrives,
 * its server-sent events decoded and handed over **per read** — every event a read completed,
 * as one array — instead of one async-iterator step, one inner stream and one timer per event.
 * What the events mean is the SDK's (its `Stream.fromSSEResponse`, legacy mode), so a stream
 * ends and fails exactly as on the SDK path: `[DONE]` ends it, an `error` event or a payload
 * with an `error` member is an `APIError` without status, an unparsable payload a
 * `SyntaxError`, and a body that breaks off fails with the transport's error — except an abort,
 * which ends the events (the translator then decides whether the answer was whole).
 *
 * @internal
 */
import { Cause, Effect, type Pull, Result } from "effect"
import { APIError } from "openai"

/** One server-sent event: its `event` field and its `data` lines joined with `\n`. */
export interface SseEvent {
  readonly event: string | null
  readonly data: string
}

/**
 * An incremental SSE decoder with the SDK's rules (`SSEDecoder` over `LineDecoder`): lines end
 * at `\n`, `\r\n` or `\r`; `:` starts a comment; `field: value` drops one leading space; a blank
 * line ends an event that has an `event` or a `data` field; the end of the body ends the last.
 */
export const sseDecoder = () => {
  const text = new TextDecoder()
  let buffer = ""
  let event: string | null = null
  let data: Array<string> = []
  const line = (l: string, out: Array<SseEvent>) => {
    if (l === "") {
      if (!event && data.length === 0) return
      out.push({ event, data: data.join("\n") })
      event = null
      data = []
      return
    }
    if (l.charCodeAt(0) === 58 /* : */) return
    const colon = l.indexOf(":")
    const name = colon === -1 ? l : l.slice(0, colon)
    let value = colon === -1 ? "" : l.slice(colon + 1)
    if (value.charCodeAt(0) === 32) value = value.slice(1)
    if (name === "event") event = value
    else if (name === "data") data.push(value)
  }
  const lines = (final: boolean): Array<SseEvent> => {
    const out: Array<SseEvent> = []
    let start = 0
    for (let i = 0; i < buffer.length; i++) {
      const c = buffer.charCodeAt(i)
      if (c !== 10 && c !== 13) continue
      // A `\r` last in the buffer may be the first half of `\r\n`: wait for the next read.
      if (c === 13 && i === buffer.length - 1 && !final) break
      line(buffer.slice(start, i), out)
      if (c === 13 && buffer.charCodeAt(i + 1) === 10) i++
      start = i + 1
    }
    buffer = buffer.slice(start)
    if (final) {
      if (buffer !== "") line(buffer, out)
      buffer = ""
      line("", out)
    }
    return out
  }
  return {
    /** The events a read completed. */
    push: (bytes: Uint8Array): Array<SseEvent> => {
      buffer += text.decode(bytes, { stream: true })
      return lines(false)
    },
    /** The events the end of the body completes. */
    end: (): Array<SseEvent> => {
      buffer += text.decode()
      return lines(true)
    }
  }
}

/** What one event is to the SDK (legacy mode): the end, a payload, or its error. */
const payloadOf = (e: SseEvent, headers: Headers): { readonly done: true } | { readonly data: unknown } => {
  if (e.data === "[DONE]") return { done: true }
  let data: any
  try {
    data = JSON.parse(e.data)
  } catch {
    throw new SyntaxError("Error reading response: malformed server-sent event JSON.")
  }
  if (e.event === "error") throw new APIError(undefined, data?.error ?? data, undefined, headers)
  if (data?.error) throw new APIError(undefined, data.error, undefined, headers)
  return { data }
}

const isAbort = (error: unknown, signal: AbortSignal): boolean =>
  (error instanceof Error && error.name === "AbortError" && !(error instanceof APIError)) ||
  (signal.aborted && error === signal.reason)

/**
 * The pull of a stream's translated chunks: each pull reads until a read yields at least one
 * chunk (or the body ends: `Cause.done`). `translate` turns one payload into chunks or a
 * failure; `fail` builds the failure for anything thrown.
 */
export const ssePull = <A, E>(options: {
  readonly response: Response
  readonly signal: AbortSignal
  readonly translate: (payload: unknown) => Result.Result<ReadonlyArray<A>, E>
  readonly fail: (error: unknown) => E
}): Pull.Pull<readonly [A, ...Array<A>], E> => {
  const { response, signal } = options
  const reader = response.body?.getReader()
  const decoder = sseDecoder()
  let finished = false
  const read: Effect.Effect<{ readonly done: boolean; readonly value?: Uint8Array | undefined } | undefined, E> =
    Effect.tryPromise({
      try: async () => {
        // The SDK's own refusal (an `OpenAIError`: a network failure to the classifier).
        if (reader === undefined) throw new Error("Attempted to iterate over a response with no body")
        try {
          return await reader.read()
        } catch (error) {
          if (isAbort(error, signal)) return undefined
          throw error
        }
      },
      catch: options.fail
    })
  /** The chunks of a read's events, in order; stops at `[DONE]` (the rest is never read). */
  const translateAll = (events: ReadonlyArray<SseEvent>): Result.Result<Array<A>, E> => {
    const out: Array<A> = []
    for (const e of events) {
      let payload: ReturnType<typeof payloadOf>
      try {
        payload = payloadOf(e, response.headers)
      } catch (error) {
        return Result.fail(options.fail(error))
      }
      if ("done" in payload) {
        finished = true
        // Our read of the body ends here, as the SDK's does; a body already read to its end
        // goes back to the pool.
        reader?.cancel().catch(() => undefined)
        break
      }
      const chunks = options.translate(payload.data)
      if (Result.isFailure(chunks)) return Result.fail(chunks.failure)
      for (const c of chunks.success) out.push(c)
    }
    return Result.succeed(out)
  }
  const pull: Pull.Pull<readonly [A, ...Array<A>], E> = Effect.suspend(() => {
    if (finished) return Cause.done()
    return Effect.flatMap(read, (r) => {
      const ended = r === undefined || r.done
      const events = ended ? decoder.end() : decoder.push(r.value ?? new Uint8Array())
      if (ended) finished = true
      const chunks = translateAll(events)
      if (Result.isFailure(chunks)) return Effect.fail(chunks.failure)
      if (chunks.success.length > 0) return Effect.succeed(chunks.success as unknown as readonly [A, ...Array<A>])
      return finished ? Cause.done() : pull
    })
  })
  return pull
}
