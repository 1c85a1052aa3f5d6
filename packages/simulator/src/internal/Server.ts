import * as http from "node:http"
import type { Socket } from "node:net"
import type { FaultName, FaultStep, TransportFaultName } from "../FaultScript.ts"
import type { UpstreamConfig, UpstreamKind } from "../Upstream.ts"
import { TransportFaultNames } from "../FaultScript.ts"
import { AnthropicWire } from "./AnthropicWire.ts"
import { GeminiWire } from "./GeminiWire.ts"
import { OpenAIWire } from "./OpenAIWire.ts"
import type { ResolvedStep } from "./ScriptRunner.ts"
import { ScriptRunner } from "./ScriptRunner.ts"
import type { Answer, Ctx, Dialect, Failure, ParsedRequest } from "./Wire.ts"
import { estimateTokens, makeIds } from "./Wire.ts"

// One definition of the config, the public one.
type Kind = UpstreamKind
type ServerConfig = UpstreamConfig

export interface LogEntry {
  at: number
  method: string
  path: string
  model: string | undefined
  key: string | undefined
  stream: boolean
  prompt: string
  status: number
  fault?: FaultName | number
}

const DIALECTS: Record<Kind, Dialect> = { openai: OpenAIWire, anthropic: AnthropicWire, gemini: GeminiWire }

const TRANSPORT = new Set<string>(TransportFaultNames)

const EMPTY_PARSED: ParsedRequest = {
  model: undefined,
  stream: false,
  prompt: "",
  inputChars: 0,
  messageCount: 0,
  maxTokens: undefined,
  includeUsage: false,
  toolName: undefined,
  invalid: undefined
}

const STREAM_TYPE = "text/event-stream; charset=utf-8"
const STREAM_TRUE = /"stream"\s*:\s*true/
const MODEL = /"model"\s*:\s*"([^"]*)"/
const NO_QUERY = new URLSearchParams("")

/** Mutable running state of one fake upstream. */
export class UpstreamServer {
  readonly kind: Kind
  readonly dialect: Dialect
  readonly config: ServerConfig
  readonly log: Array<LogEntry> = []
  readonly runner: ScriptRunner
  readonly server: http.Server
  private readonly timers = new Set<ReturnType<typeof setTimeout>>()
  private readonly ids: (length: number) => string
  private readonly maxLog: number
  private fastJson: Buffer | undefined
  private fastSse: Buffer | undefined
  private fastJsonHeaders: Array<string> = []
  private fastSseHeaders: Array<string> = []

  constructor(config: ServerConfig) {
    this.kind = config.kind
    this.dialect = DIALECTS[config.kind]
    if (this.dialect === undefined) throw new Error(`unknown upstream kind "${String(config.kind)}"`)
    this.config = config
    this.runner = new ScriptRunner(config.script, config.seed)
    this.ids = makeIds((config.seed ?? Math.floor(Math.random() * 2 ** 32)) ^ (config.kind.length * 0x1f3d5b79))
    this.maxLog = config.maxLog ?? 100_000
    if (config.fast === true) this.precompute()
    this.server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => this.onRequest(req, res))
  }

  // ---- lifecycle -------------------------------------------------------------------

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject)
      this.server.listen(this.config.port ?? 0, this.config.host ?? "127.0.0.1", () => {
        this.server.off("error", reject)
        const address = this.server.address()
        resolve(typeof address === "object" && address !== null ? address.port : 0)
      })
    })
  }

  close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve()
      this.server.close(() => resolve())
      this.server.closeAllConnections()
    })
  }

  reset(): void {
    this.log.length = 0
    this.runner.reset()
  }

  private later(ms: number, f: () => void) {
    if (ms <= 0) return f()
    const t = setTimeout(() => {
      this.timers.delete(t)
      f()
    }, ms)
    this.timers.add(t)
  }

  private record(entry: LogEntry) {
    if (this.log.length >= this.maxLog) this.log.splice(0, Math.ceil(this.maxLog / 2))
    this.log.push(entry)
  }

  // ---- request handling ------------------------------------------------------------

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse) {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
      if (
        this.fastJson !== undefined &&
        this.runner.isEmpty &&
        this.config.keys === undefined &&
        this.config.models === undefined
      ) {
        this.fast(req, res, raw)
      } else {
        this.handle(req, res, raw)
      }
    })
  }

  private precompute() {
    const model = this.config.models?.[0] ?? this.dialect.defaultModel
    const req = { ...EMPTY_PARSED, model, prompt: "hi", inputChars: 40, messageCount: 1, includeUsage: true }
    const ctx = this.ctx(model, "fast", req, undefined)
    const a = this.dialect.fault("ok", ctx) as Answer
    this.fastJson = Buffer.from(this.dialect.json(a, ctx))
    this.fastSse = Buffer.from(this.dialect.events(a, ctx).join(""))
    // Flat [name, value, …] arrays: the cheapest form writeHead accepts.
    this.fastJsonHeaders = ["content-type", this.jsonType(), "content-length", String(this.fastJson.length)]
    this.fastSseHeaders = ["content-type", STREAM_TYPE, "content-length", String(this.fastSse.length)]
  }

  private fast(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer) {
    const url = req.url ?? "/"
    const q = url.indexOf("?")
    const path = q === -1 ? url : url.slice(0, q)
    const route = this.dialect.route(req.method ?? "GET", path)
    if (route === undefined || route.op !== "generate") return this.handle(req, res, raw)
    // Minimal parsing: no JSON.parse, just what the log needs.
    const text = raw.toString("latin1")
    const stream = route.stream ?? STREAM_TRUE.test(text)
    const key = this.dialect.keyOf(req.headers, q === -1 ? NO_QUERY : new URLSearchParams(url.slice(q + 1)))
    this.record({
      at: Date.now(),
      method: "POST",
      path,
      model: route.model ?? MODEL.exec(text)?.[1],
      key,
      stream,
      prompt: "",
      status: 200
    })
    const latency = this.config.latencyMs ?? 0
    if (latency > 0) this.later(latency, () => this.sendFast(res, stream))
    else this.sendFast(res, stream)
  }

  private sendFast(res: http.ServerResponse, stream: boolean) {
    if (res.destroyed) return
    res.writeHead(200, stream ? this.fastSseHeaders : this.fastJsonHeaders)
    res.end(stream ? this.fastSse : this.fastJson)
  }

  private ctx(model: string, key: string | undefined, req: ParsedRequest, options: FaultStep | undefined): Ctx {
    const responseLength = this.kind === "openai" ? 29 : this.kind === "anthropic" ? 24 : 22
    return {
      model,
      key,
      req,
      requestId: this.ids(24),
      responseId: this.ids(responseLength),
      created: Math.floor(Date.now() / 1000),
      inputTokens: estimateTokens(req.inputChars) + req.messageCount * 3,
      reply:
        this.config.reply ??
        `Hello from the fake ${this.kind} upstream (${model}). This answer is scripted by @am/simulator.`,
      options
    }
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer) {
    const d = this.dialect
    const method = req.method ?? "GET"
    const url = req.url ?? "/"
    const q = url.indexOf("?")
    const path = q === -1 ? url : url.slice(0, q)
    const query = new URLSearchParams(q === -1 ? "" : url.slice(q + 1))
    const key = d.keyOf(req.headers, query)
    const route = d.route(method, path)
    const entry: LogEntry = {
      at: Date.now(),
      method,
      path,
      model: undefined,
      key,
      stream: false,
      prompt: "",
      status: 0
    }
    this.record(entry)

    let parsed: ParsedRequest = EMPTY_PARSED
    let badJson = false
    if (route?.op === "generate") {
      try {
        parsed = d.parse(raw.length === 0 ? undefined : JSON.parse(raw.toString("utf8")), route)
      } catch {
        badJson = true
        parsed = d.parse(undefined, route)
      }
      entry.model = parsed.model
      entry.stream = parsed.stream
      entry.prompt = parsed.prompt
    }
    const model = parsed.model ?? d.defaultModel
    const ctx = this.ctx(model, key, parsed, undefined)
    const reject = (f: Failure, fault: FaultName | undefined) => {
      if (fault !== undefined) entry.fault = fault
      this.after(this.config.latencyMs ?? 0, res, () => this.sendFailure(res, entry, f, ctx))
    }

    if (route === undefined) return reject(d.notFound(method, path, ctx), undefined)
    if (key === undefined || key.length === 0) return reject(d.missingKey(ctx), "invalid_key")
    if (this.config.keys !== undefined && !this.config.keys.includes(key))
      return reject(d.fault("invalid_key", ctx) as Failure, "invalid_key")
    if (route.op === "models") {
      const body = d.models(this.config.models ?? [d.defaultModel])
      return this.after(this.config.latencyMs ?? 0, res, () =>
        this.sendBody(res, entry, 200, { ...d.baseHeaders(ctx), "content-type": "application/json" }, body)
      )
    }
    if (badJson) return reject(d.badJson(ctx), "malformed_request")
    if (parsed.invalid !== undefined) return reject(d.fault("malformed_request", ctx) as Failure, "malformed_request")
    if (this.config.models !== undefined && !this.config.models.includes(model))
      return reject(d.fault("model_not_found", ctx) as Failure, "model_not_found")

    let step: ResolvedStep
    try {
      step = this.runner.next(model, key)
    } catch {
      step = { _tag: "Ok", options: undefined }
    }
    this.respond(req, res, entry, parsed, model, key, step)
  }

  private respond(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    entry: LogEntry,
    parsed: ParsedRequest,
    model: string,
    key: string,
    step: ResolvedStep
  ) {
    const d = this.dialect
    const options = step._tag === "Status" ? undefined : step.options
    const ctx = this.ctx(model, key, parsed, options)
    let latency = (this.config.latencyMs ?? 0) + (options?.latencyMs ?? 0)

    if (step._tag === "Status") {
      entry.fault = step.status
      return this.after(latency, res, () => this.sendFailure(res, entry, d.status(step.status, ctx), ctx))
    }
    const fault = step._tag === "Fault" ? step.fault : undefined
    if (fault !== undefined) entry.fault = fault

    if (fault !== undefined && TRANSPORT.has(fault)) {
      if (fault === "latency" && options?.latencyMs === undefined) latency += 250
      const answer = d.fault("ok", ctx) as Answer
      return this.after(latency, res, () => this.transport(req, res, entry, fault, answer, ctx))
    }
    if (fault === "overloaded_in_stream" && parsed.stream) {
      const answer = d.fault("ok", ctx) as Answer
      return this.after(latency, res, () => {
        const events = d.events(answer, ctx)
        const n = Math.min(options?.afterChunks ?? 1, events.length)
        this.streamHead(res, entry, ctx)
        for (let i = 0; i < n; i++) res.write(events[i]!)
        res.end(d.streamError(ctx))
      })
    }
    const rendered = d.fault((fault ?? "ok") as Exclude<FaultName, TransportFaultName> | "ok", ctx)
    this.after(latency, res, () => {
      if (rendered._tag === "Failure") this.sendFailure(res, entry, rendered, ctx)
      else this.sendAnswer(res, entry, rendered, ctx)
    })
  }

  /** Runs `f` after `ms`, unless the client has gone away meanwhile. */
  private after(ms: number, res: http.ServerResponse, f: () => void) {
    this.later(ms, () => {
      if (!res.destroyed) f()
    })
  }

  // ---- writing ---------------------------------------------------------------------

  private sendFailure(res: http.ServerResponse, entry: LogEntry, f: Failure, ctx: Ctx) {
    this.sendBody(
      res,
      entry,
      f.status,
      { ...this.dialect.baseHeaders(ctx), ...f.headers, "content-type": f.contentType },
      f.body
    )
  }

  private sendBody(
    res: http.ServerResponse,
    entry: LogEntry,
    status: number,
    headers: Record<string, string>,
    body: string
  ) {
    entry.status = status
    const buf = Buffer.from(body)
    res.writeHead(status, { ...headers, "content-length": buf.length })
    res.end(buf)
  }

  private jsonType(): string {
    return this.kind === "gemini" ? "application/json; charset=UTF-8" : "application/json"
  }

  private sendAnswer(res: http.ServerResponse, entry: LogEntry, a: Answer, ctx: Ctx) {
    if (ctx.req.stream) {
      this.streamHead(res, entry, ctx)
      const events = this.dialect.events(a, ctx)
      for (const e of events) res.write(e)
      res.end()
    } else {
      this.sendBody(
        res,
        entry,
        200,
        { ...this.dialect.baseHeaders(ctx), "content-type": this.jsonType() },
        this.dialect.json(a, ctx)
      )
    }
  }

  private streamHead(res: http.ServerResponse, entry: LogEntry, ctx: Ctx) {
    entry.status = 200
    res.writeHead(200, { ...this.dialect.baseHeaders(ctx), "content-type": STREAM_TYPE, "cache-control": "no-cache" })
    res.flushHeaders()
  }

  /** The answer's bytes, as the parts it would be written in. */
  private parts(a: Answer, ctx: Ctx): Array<string> {
    if (ctx.req.stream) return this.dialect.events(a, ctx)
    const body = this.dialect.json(a, ctx)
    const half = Math.floor(body.length / 2)
    return [body.slice(0, half), body.slice(half)]
  }

  private transport(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    entry: LogEntry,
    fault: FaultName,
    a: Answer,
    ctx: Ctx
  ) {
    const socket: Socket = req.socket
    const o = ctx.options
    const stream = ctx.req.stream
    const headers = (withLength: number | undefined) => {
      entry.status = 200
      const h: Record<string, string | number> = {
        ...this.dialect.baseHeaders(ctx),
        "content-type": stream ? STREAM_TYPE : this.jsonType()
      }
      if (withLength !== undefined) h["content-length"] = withLength
      res.writeHead(200, h)
      res.flushHeaders()
    }
    switch (fault) {
      case "latency":
        return this.sendAnswer(res, entry, a, ctx)
      case "hang":
        // Never answer: the client gives up (timeout or abort); close() ends the socket.
        return
      case "reset_before_headers":
        socket.resetAndDestroy()
        return
      case "reset_after_headers": {
        headers(stream ? undefined : Buffer.byteLength(this.dialect.json(a, ctx)))
        // Let the headers reach the client before the RST discards unread data.
        this.later(20, () => socket.resetAndDestroy())
        return
      }
      case "stream_cut": {
        const parts = this.parts(a, ctx)
        const full = parts.join("")
        headers(stream ? undefined : Buffer.byteLength(full))
        const n = stream ? Math.min(o?.afterChunks ?? 2, parts.length - 1) : 1
        for (let i = 0; i < n; i++) res.write(parts[i]!)
        this.later(20, () => socket.destroy())
        return
      }
      case "stall": {
        const parts = this.parts(a, ctx)
        headers(stream ? undefined : Buffer.byteLength(parts.join("")))
        const n = stream ? Math.min(o?.afterChunks ?? 1, parts.length) : 1
        for (let i = 0; i < n; i++) res.write(parts[i]!)
        this.later(o?.stallMs ?? 500, () => {
          if (res.destroyed) return
          for (let i = n; i < parts.length; i++) res.write(parts[i]!)
          res.end()
        })
        return
      }
      case "malformed_json": {
        if (!stream) {
          const body = corrupt(this.dialect.json(a, ctx))
          return this.sendBody(
            res,
            entry,
            200,
            { ...this.dialect.baseHeaders(ctx), "content-type": this.jsonType() },
            body
          )
        }
        const parts = this.parts(a, ctx)
        const at = Math.min(o?.afterChunks ?? 1, parts.length - 1)
        headers(undefined)
        for (let i = 0; i < parts.length; i++) res.write(i === at ? corrupt(parts[i]!) : parts[i]!)
        res.end()
        return
      }
      case "truncated_body": {
        if (!stream) {
          const body = this.dialect.json(a, ctx)
          return this.sendBody(
            res,
            entry,
            200,
            { ...this.dialect.baseHeaders(ctx), "content-type": this.jsonType() },
            body.slice(0, Math.floor(body.length / 2))
          )
        }
        // Framing says the stream is complete, but it stops inside an event and never finishes.
        const parts = this.parts(a, ctx)
        const at = Math.min(o?.afterChunks ?? 2, parts.length - 1)
        headers(undefined)
        for (let i = 0; i < at; i++) res.write(parts[i]!)
        const cut = parts[at]!
        res.end(cut.slice(0, Math.floor(cut.length / 2)))
        return
      }
      default:
        return this.sendAnswer(res, entry, a, ctx)
    }
  }
}

/** Breaks JSON syntax while keeping its length and look: the first `"` becomes `'`. */
const corrupt = (s: string): string => {
  const i = s.indexOf('"')
  return i === -1 ? `${s}}` : `${s.slice(0, i)}'${s.slice(i + 1)}`
}
