import * as http from "node:http"
import type { FaultName, FaultStep, TransportFaultName } from "../FaultScript.ts"
import { TransportFaultNames } from "../FaultScript.ts"
import type { UpstreamConfig, UpstreamKind } from "../Upstream.ts"
import { AnthropicWire } from "./AnthropicWire.ts"
import { isEmbeddingsRoute, withEmbeddings } from "./EmbeddingsWire.ts"
import { GeminiWire } from "./GeminiWire.ts"
import { OpenAIWire } from "./OpenAIWire.ts"
import type { LogEntry } from "./RequestLog.ts"
import { RequestLog } from "./RequestLog.ts"
import { Responder, STREAM_TYPE } from "./Responder.ts"
import { isResponsesRoute, withResponses } from "./ResponsesWire.ts"
import type { ResolvedStep } from "./ScriptRunner.ts"
import { ScriptRunner } from "./ScriptRunner.ts"
import { sendTransportFault } from "./TransportFault.ts"
import type { Answer, Ctx, Dialect, Failure, ParsedRequest } from "./Wire.ts"
import { continuedReply, estimateTokens, makeIds } from "./Wire.ts"

// One definition of the config, the public one.
type Kind = UpstreamKind
type ServerConfig = UpstreamConfig

const DIALECTS: Record<Kind, Dialect> = {
  openai: withResponses(withEmbeddings(OpenAIWire)),
  anthropic: AnthropicWire,
  gemini: withEmbeddings(GeminiWire)
}

const TRANSPORT = new Set<string>(TransportFaultNames)

/** What each provider answers (400) when a model that cannot continue an assistant turn is sent one. */
const PREFILL_REJECTED = {
  openai: "Invalid 'messages': the last message must be from the user for this model.",
  anthropic: "This model does not support assistant message prefill. The conversation must end with a user message.",
  gemini: "Please ensure that the last turn of contents is a user turn for this model."
} as const

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

const STREAM_TRUE = /"stream"\s*:\s*true/
const MODEL = /"model"\s*:\s*"([^"]*)"/
const NO_QUERY = new URLSearchParams("")

/** Mutable running state of one simulated upstream. */
export class UpstreamServer {
  readonly kind: Kind
  readonly dialect: Dialect
  readonly config: ServerConfig
  readonly runner: ScriptRunner
  readonly server: http.Server
  private readonly timers = new Set<ReturnType<typeof setTimeout>>()
  private readonly ids: (length: number) => string
  private readonly requestLog: RequestLog
  private readonly w: Responder
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
    this.requestLog = new RequestLog(config.maxLog ?? 100_000)
    this.w = new Responder(this.dialect)
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

  get log(): ReadonlyArray<LogEntry> {
    return this.requestLog.entries
  }

  reset(): void {
    this.requestLog.clear()
    this.runner.reset()
  }

  private readonly later = (ms: number, f: () => void): void => {
    if (ms <= 0) {
      f()
      return
    }
    const t = setTimeout(() => {
      this.timers.delete(t)
      f()
    }, ms)
    this.timers.add(t)
  }

  private record(entry: LogEntry) {
    this.requestLog.record(entry)
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
    this.fastJsonHeaders = ["content-type", this.w.jsonType, "content-length", String(this.fastJson.length)]
    this.fastSseHeaders = ["content-type", STREAM_TYPE, "content-length", String(this.fastSse.length)]
  }

  private fast(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer) {
    const url = req.url ?? "/"
    const q = url.indexOf("?")
    const path = q === -1 ? url : url.slice(0, q)
    const route = this.dialect.route(req.method ?? "GET", path)
    if (route === undefined || route.op !== "generate" || isEmbeddingsRoute(route) || isResponsesRoute(route))
      return this.handle(req, res, raw)
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
      reply: this.continues(
        options?.reply ??
          (this.config.echo === true ? req.prompt : undefined) ??
          this.config.reply ??
          `Hello from the fake ${this.kind} upstream (${model}). This answer is scripted by @am/simulator.`,
        req.prefill
      ),
      options
    }
  }

  /**
   * Anthropic and Gemini continue a trailing assistant (model) message: the answer is the rest of
   * the reply after it. OpenAI chat completions do not: a new assistant turn, the whole reply.
   */
  private continues(reply: string, prefill: string | undefined): string {
    return this.kind === "openai" ? reply : continuedReply(reply, prefill)
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
    // A client that goes away before the answer is complete (a cancelled or hedged-out call).
    res.on("close", () => {
      if (!res.writableFinished) entry.clientClosed = true
    })

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
      if (this.config.logBodies === true) entry.body = raw.toString("utf8")
    }
    const model = parsed.model ?? d.defaultModel
    const ctx = this.ctx(model, key, parsed, undefined)
    const reject = (f: Failure, fault: FaultName | undefined) => {
      if (fault !== undefined) entry.fault = fault
      this.after(this.config.latencyMs ?? 0, res, () => this.w.failure(res, entry, f, ctx))
    }

    if (route === undefined) return reject(d.notFound(method, path, ctx), undefined)
    if (key === undefined || key.length === 0) return reject(d.missingKey(ctx), "invalid_key")
    if (this.config.keys !== undefined && !this.config.keys.includes(key))
      return reject(d.fault("invalid_key", ctx) as Failure, "invalid_key")
    if (route.op === "models") {
      const body = d.models(this.config.models ?? [d.defaultModel])
      return this.after(this.config.latencyMs ?? 0, res, () =>
        this.w.body(res, entry, 200, { ...d.baseHeaders(ctx), "content-type": "application/json" }, body)
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
      return this.after(latency, res, () => this.w.failure(res, entry, d.status(step.status, ctx), ctx))
    }
    const fault = step._tag === "Fault" ? step.fault : undefined
    if (fault !== undefined) entry.fault = fault
    if (options?.rejectsPrefill === true && parsed.prefill !== undefined) {
      // A model without assistant prefill: the provider's 400 for a request ending with an assistant turn.
      entry.fault = "malformed_request"
      const rejected = { ...ctx, req: { ...ctx.req, invalid: { message: PREFILL_REJECTED[this.kind] } } }
      return this.after(latency, res, () =>
        this.w.failure(res, entry, d.fault("malformed_request", rejected) as Failure, rejected)
      )
    }

    if (fault !== undefined && TRANSPORT.has(fault)) {
      if (fault === "latency" && options?.latencyMs === undefined) latency += 250
      const answer = d.fault("ok", ctx) as Answer
      return this.after(latency, res, () =>
        sendTransportFault(this.w, this.later, req, res, entry, fault as TransportFaultName, answer, ctx)
      )
    }
    if (fault === "overloaded_in_stream" && parsed.stream) {
      const answer = d.fault("ok", ctx) as Answer
      return this.after(latency, res, () => {
        const events = d.events(answer, ctx)
        const n = Math.min(options?.afterChunks ?? 1, events.length)
        this.w.streamHead(res, entry, ctx)
        for (let i = 0; i < n; i++) res.write(events[i]!)
        res.end(d.streamError(ctx))
      })
    }
    const rendered = d.fault((fault ?? "ok") as Exclude<FaultName, TransportFaultName> | "ok", ctx)
    this.after(latency, res, () => {
      if (rendered._tag === "Failure") this.w.failure(res, entry, rendered, ctx)
      else this.w.answer(res, entry, rendered, ctx)
    })
  }

  /** Runs `f` after `ms`, unless the client has gone away meanwhile. */
  private after(ms: number, res: http.ServerResponse, f: () => void) {
    this.later(ms, () => {
      if (!res.destroyed) f()
    })
  }
}
