import type * as http from "node:http"
import type { TransportFaultName } from "../FaultScript.ts"
import type { LogEntry } from "./RequestLog.ts"
import type { Responder } from "./Responder.ts"
import type { Answer, Ctx } from "./Wire.ts"

/** Schedules `f` after `ms` on the server's timers (cleared by `close()`). */
export type Later = (ms: number, f: () => void) => void

/** Breaks JSON syntax while keeping its length and look: the first `"` becomes `'`. */
const corrupt = (s: string): string => {
  const i = s.indexOf('"')
  return i === -1 ? `${s}}` : `${s.slice(0, i)}'${s.slice(i + 1)}`
}

/**
 * Answers `a` the way a broken connection would: late, never, reset before or after the
 * headers, cut or stalled mid-body, with invalid or truncated JSON. The same for every provider.
 */
export const sendTransportFault = (
  w: Responder,
  later: Later,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  entry: LogEntry,
  fault: TransportFaultName,
  a: Answer,
  ctx: Ctx
): void => {
  const socket = req.socket
  const o = ctx.options
  const stream = ctx.req.stream
  switch (fault) {
    case "latency": {
      const every = o?.intervalMs
      if (!stream || every === undefined) {
        w.answer(res, entry, a, ctx)
        return
      }
      // A slow drip: a healthy stream whose events arrive `intervalMs` apart.
      const parts = w.parts(a, ctx)
      w.head(res, entry, ctx, undefined)
      const next = (i: number): void => {
        if (res.destroyed) return
        if (i >= parts.length) {
          res.end()
          return
        }
        res.write(parts[i]!)
        later(every, () => next(i + 1))
      }
      next(0)
      return
    }
    case "hang":
      // Never answer: the client gives up (timeout or abort); close() ends the socket.
      return
    case "reset_before_headers":
      socket.resetAndDestroy()
      return
    case "reset_after_headers": {
      w.head(res, entry, ctx, stream ? undefined : Buffer.byteLength(w.dialect.json(a, ctx)))
      // Let the headers reach the client before the RST discards unread data.
      later(20, () => socket.resetAndDestroy())
      return
    }
    case "stream_cut": {
      const parts = w.parts(a, ctx)
      w.head(res, entry, ctx, stream ? undefined : Buffer.byteLength(parts.join("")))
      const n = stream ? Math.min(o?.afterChunks ?? 2, parts.length - 1) : 1
      for (let i = 0; i < n; i++) res.write(parts[i]!)
      later(20, () => socket.destroy())
      return
    }
    case "stall": {
      const parts = w.parts(a, ctx)
      w.head(res, entry, ctx, stream ? undefined : Buffer.byteLength(parts.join("")))
      const n = stream ? Math.min(o?.afterChunks ?? 1, parts.length) : 1
      for (let i = 0; i < n; i++) res.write(parts[i]!)
      later(o?.stallMs ?? 500, () => {
        if (res.destroyed) return
        for (let i = n; i < parts.length; i++) res.write(parts[i]!)
        res.end()
      })
      return
    }
    case "malformed_json": {
      if (!stream) {
        w.json(res, entry, corrupt(w.dialect.json(a, ctx)), ctx)
        return
      }
      const parts = w.parts(a, ctx)
      const at = Math.min(o?.afterChunks ?? 1, parts.length - 1)
      w.head(res, entry, ctx, undefined)
      // One unparsable event slipped into the stream before the `afterChunks`-th (the answer's own
      // events all arrive, so a client that skips the bad one gets the whole answer);
      // `everyEvent`: a stream of garbage, nothing in it parses.
      for (let i = 0; i < parts.length; i++) {
        if (o?.everyEvent === true) res.write(corrupt(parts[i]!))
        else {
          if (i === at) res.write(corrupt(parts[i]!))
          res.write(parts[i]!)
        }
      }
      res.end()
      return
    }
    case "truncated_body": {
      if (!stream) {
        const body = w.dialect.json(a, ctx)
        w.json(res, entry, body.slice(0, Math.floor(body.length / 2)), ctx)
        return
      }
      // Framing says the stream is complete, but it stops inside an event and never finishes.
      const parts = w.parts(a, ctx)
      const at = Math.min(o?.afterChunks ?? 2, parts.length - 1)
      w.head(res, entry, ctx, undefined)
      for (let i = 0; i < at; i++) res.write(parts[i]!)
      // The benchmark's "no [DONE]": a clean end at an event boundary, the terminal events missing.
      if (o?.cleanEnd === true) {
        res.end()
        return
      }
      const cut = parts[at]!
      res.end(cut.slice(0, Math.floor(cut.length / 2)))
      return
    }
  }
}
