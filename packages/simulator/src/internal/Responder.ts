import type * as http from "node:http"
import type { LogEntry } from "./RequestLog.ts"
import type { Answer, Ctx, Dialect, Failure } from "./Wire.ts"

export const STREAM_TYPE = "text/event-stream; charset=utf-8"

/** Writes one dialect's answers and failures to the response, and their status to the log entry. */
export class Responder {
  readonly dialect: Dialect
  readonly jsonType: string

  constructor(dialect: Dialect) {
    this.dialect = dialect
    this.jsonType = dialect.kind === "gemini" ? "application/json; charset=UTF-8" : "application/json"
  }

  failure(res: http.ServerResponse, entry: LogEntry, f: Failure, ctx: Ctx): void {
    this.body(
      res,
      entry,
      f.status,
      { ...this.dialect.baseHeaders(ctx), ...f.headers, "content-type": f.contentType },
      f.body
    )
  }

  body(res: http.ServerResponse, entry: LogEntry, status: number, headers: Record<string, string>, body: string): void {
    entry.status = status
    const buf = Buffer.from(body)
    res.writeHead(status, { ...headers, "content-length": buf.length })
    res.end(buf)
  }

  /** A 200 JSON body (the answer's, or a corrupted/truncated form of it). */
  json(res: http.ServerResponse, entry: LogEntry, body: string, ctx: Ctx): void {
    this.body(res, entry, 200, { ...this.dialect.baseHeaders(ctx), "content-type": this.jsonType }, body)
  }

  answer(res: http.ServerResponse, entry: LogEntry, a: Answer, ctx: Ctx): void {
    if (ctx.req.stream) {
      this.streamHead(res, entry, ctx)
      for (const e of this.dialect.events(a, ctx)) res.write(e)
      res.end()
    } else {
      this.json(res, entry, this.dialect.json(a, ctx), ctx)
    }
  }

  streamHead(res: http.ServerResponse, entry: LogEntry, ctx: Ctx): void {
    entry.status = 200
    res.writeHead(200, { ...this.dialect.baseHeaders(ctx), "content-type": STREAM_TYPE, "cache-control": "no-cache" })
    res.flushHeaders()
  }

  /** 200 headers for a body written by hand (`content-length` when it is known). */
  head(res: http.ServerResponse, entry: LogEntry, ctx: Ctx, contentLength: number | undefined): void {
    entry.status = 200
    const h: Record<string, string | number> = {
      ...this.dialect.baseHeaders(ctx),
      "content-type": ctx.req.stream ? STREAM_TYPE : this.jsonType
    }
    if (contentLength !== undefined) h["content-length"] = contentLength
    res.writeHead(200, h)
    res.flushHeaders()
  }

  /** The answer's bytes, as the parts it would be written in: SSE events, or the JSON body in two halves. */
  parts(a: Answer, ctx: Ctx): Array<string> {
    if (ctx.req.stream) return this.dialect.events(a, ctx)
    const body = this.dialect.json(a, ctx)
    const half = Math.floor(body.length / 2)
    return [body.slice(0, half), body.slice(half)]
  }
}
