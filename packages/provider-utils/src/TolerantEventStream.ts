/**
 * A `fetch` wrapper that keeps a server-sent event stream alive past one bad event. The SDKs
 * parse each SSE event's `data` as JSON and throw on the first that does not parse, which ends
 * a stream whose every other event was fine. Here, before the SDK sees the bytes, an event whose
 * `data` is neither JSON nor `[DONE]` is dropped and counted; every other event passes through
 * byte for byte. Only a stream that cannot be resynchronised fails — `maxConsecutive` bad events
 * in a row, an event larger than `maxEventBytes` without a boundary, or a stream that ended with
 * bad events and not one good one — with a `SyntaxError` naming what was seen.
 *
 * SDK-independent (openai, @anthropic-ai/sdk and @google/genai all read `text/event-stream`
 * bodies the same way), so the three adapters share it through {@link fetchOf}.
 *
 * @example
 * ```ts
 * import { malformedEventCount, tolerantEventStreams } from "@am/provider-utils"
 * const fetch = tolerantEventStreams(globalThis.fetch, { label: "primary" })
 * // … after a stream with one unparsable event:
 * malformedEventCount("primary") // 1
 * ```
 * @since 0.1.0
 */
import { AsyncLocalStorage } from "node:async_hooks"

/** How tolerant the wrapper is. */
export interface TolerantEventStreamOptions {
  /** Whose count the skipped events add to (the provider id). */
  readonly label: string
  /** Bad events in a row after which the stream is given up (default 8). */
  readonly maxConsecutive?: number
  /** Largest event; a longer run of bytes without an event boundary fails the stream (default 4 MiB). */
  readonly maxEventBytes?: number
  /** Called once per skipped event, with the label and the event's first bytes (for a log line). */
  readonly onSkipped?: (label: string, preview: string) => void
}

export const DEFAULT_MAX_CONSECUTIVE_MALFORMED = 8

// The listener of the call whose SDK request is running: captured when `fetch` is called, so a
// skipped event is also reported to that one call (its request's count), not only the label's.
const callListener = new AsyncLocalStorage<() => void>()

/**
 * Runs `f` (one SDK call) so that every event its streams skip is also reported to `onSkipped`:
 * a per-call count beside the per-label one. `f` runs as is when `onSkipped` is absent.
 *
 * @example
 * ```ts
 * import { reportingSkippedEvents } from "@am/provider-utils"
 * let skipped = 0
 * const answer = reportingSkippedEvents(() => skipped++, () => fetch("https://example.test/stream"))
 * ```
 */
export const reportingSkippedEvents = <A>(onSkipped: (() => void) | undefined, f: () => A): A =>
  onSkipped === undefined ? f() : callListener.run(onSkipped, f)
const DEFAULT_MAX_EVENT_BYTES = 4 * 1024 * 1024

const counts = new Map<string, number>()

/**
 * How many unparsable SSE events were skipped for `label` since the process started (or since
 * {@link resetMalformedEventCounts}); with no label, the counts of every label.
 *
 * @example
 * ```ts
 * import { malformedEventCount } from "@am/provider-utils"
 * malformedEventCount("primary") // 0 until a bad event is skipped
 * ```
 */
export function malformedEventCount(label: string): number
export function malformedEventCount(): Readonly<Record<string, number>>
export function malformedEventCount(label?: string): number | Readonly<Record<string, number>> {
  return label === undefined ? Object.fromEntries(counts) : (counts.get(label) ?? 0)
}

/** Clears the counts (tests). */
export const resetMalformedEventCounts = (): void => counts.clear()

/** Where the first event boundary (a blank line, `\n\n` or `\r\n\r\n`) ends in `text`, or -1. */
const boundary = (text: string): { readonly at: number; readonly length: number } | undefined => {
  const lf = text.indexOf("\n\n")
  const crlf = text.indexOf("\r\n\r\n")
  if (lf === -1 && crlf === -1) return undefined
  if (crlf !== -1 && (lf === -1 || crlf < lf)) return { at: crlf, length: 4 }
  return { at: lf, length: 2 }
}

/** Whether an event (without its blank line) is one the SDKs can read. */
const parses = (event: string): boolean => {
  const data: Array<string> = []
  for (const line of event.split(/\r?\n/)) {
    if (line.startsWith("data:")) data.push(line.slice(line.startsWith("data: ") ? 6 : 5))
  }
  // No data (a comment, a ping, `event:` alone): the SDKs skip it themselves.
  if (data.length === 0) return true
  const text = data.join("\n")
  if (text.trim() === "[DONE]") return true
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

const isEventStream = (response: Response): boolean =>
  response.body !== null && (response.headers.get("content-type") ?? "").toLowerCase().includes("text/event-stream")

/** The filtered body of one event stream. */
const filtered = (
  body: ReadableStream<Uint8Array>,
  options: TolerantEventStreamOptions,
  perCall: (() => void) | undefined
): ReadableStream<Uint8Array> => {
  const maxConsecutive = options.maxConsecutive ?? DEFAULT_MAX_CONSECUTIVE_MALFORMED
  const maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES
  const decoder = new TextDecoder()
  const encoder = new TextEncoder()
  let pending = ""
  let good = 0
  let skipped = 0
  let inARow = 0
  const reader = body.getReader()

  const skip = (event: string) => {
    skipped++
    inARow++
    counts.set(options.label, (counts.get(options.label) ?? 0) + 1)
    options.onSkipped?.(options.label, event.slice(0, 120))
    perCall?.()
  }
  const giveUp = (why: string) =>
    new SyntaxError(
      `unparsable event stream from ${options.label}: ${why} (${skipped} event(s) skipped, ${good} parsed)`
    )
  /** The complete events in `pending`, filtered, as text to pass on. */
  const drain = (): string => {
    let out = ""
    for (let b = boundary(pending); b !== undefined; b = boundary(pending)) {
      const event = pending.slice(0, b.at)
      const whole = pending.slice(0, b.at + b.length)
      pending = pending.slice(b.at + b.length)
      if (parses(event)) {
        good++
        inARow = 0
        out += whole
      } else {
        skip(event)
        if (inARow >= maxConsecutive) throw giveUp(`${inARow} events in a row did not parse`)
      }
    }
    if (pending.length > maxEventBytes) throw giveUp(`no event boundary within ${maxEventBytes} bytes`)
    return out
  }

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      // Read until something passes, so a skipped event never looks like the end of the stream.
      for (;;) {
        const { done, value } = await reader.read()
        if (done) {
          pending += decoder.decode()
          let out = drain()
          // A last event without its blank line: the SDKs still read it.
          if (pending.trim() !== "") {
            if (parses(pending)) {
              good++
              out += pending
            } else skip(pending)
            pending = ""
          }
          if (good === 0 && skipped > 0) throw giveUp("no event parsed")
          if (out !== "") controller.enqueue(encoder.encode(out))
          controller.close()
          return
        }
        const out = (() => {
          pending += decoder.decode(value, { stream: true })
          return drain()
        })()
        if (out !== "") {
          controller.enqueue(encoder.encode(out))
          return
        }
      }
    },
    cancel(reason) {
      return reader.cancel(reason)
    }
  })
}

/**
 * `fetch`, with every `text/event-stream` response body filtered as described above; other
 * responses untouched.
 *
 * @example
 * ```ts
 * import { tolerantEventStreams } from "@am/provider-utils"
 * const fetch = tolerantEventStreams(globalThis.fetch, { label: "primary", maxConsecutive: 4 })
 * ```
 */
export const tolerantEventStreams =
  (fetch: typeof globalThis.fetch, options: TolerantEventStreamOptions): typeof globalThis.fetch =>
  async (input, init) => {
    const perCall = callListener.getStore()
    const response = await fetch(input, init)
    if (!isEventStream(response)) return response
    return new Response(filtered(response.body!, options, perCall), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers
    })
  }
