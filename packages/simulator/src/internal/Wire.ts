import { createHash } from "node:crypto"
import type { AnswerFaultName, FaultStep, ProviderFaultName } from "../FaultScript.ts"

/** What the server needs from a request body, whatever the provider. */
export interface ParsedRequest {
  readonly model: string | undefined
  readonly stream: boolean
  /** Text of the last user message. */
  readonly prompt: string
  /** Characters of all request text, for the prompt-token estimate. */
  readonly inputChars: number
  readonly messageCount: number
  readonly maxTokens: number | undefined
  /** OpenAI `stream_options.include_usage`. */
  readonly includeUsage: boolean
  /** First tool the request offers, used for tool-call answers. */
  readonly toolName: string | undefined
  /** Set when the body fails the provider's validation: the provider's message for it. */
  readonly invalid: { readonly message: string; readonly param?: string } | undefined
  /** Gemini: the path's API version (v1 or v1beta), echoed in some messages. */
  readonly apiVersion?: string
  /** The request asked for the model's thinking (Anthropic `thinking`, Gemini `includeThoughts`). */
  readonly thinking?: boolean
  /** Text of a trailing assistant (Gemini: model) message: an assistant prefill to continue. */
  readonly prefill?: string
}

/** Everything a dialect needs to render one answer or failure. */
export interface Ctx {
  readonly model: string
  readonly key: string | undefined
  readonly req: ParsedRequest
  readonly requestId: string
  readonly responseId: string
  readonly created: number
  readonly inputTokens: number
  readonly reply: string
  readonly options: FaultStep | undefined
}

export interface Failure {
  readonly _tag: "Failure"
  readonly status: number
  readonly headers: Record<string, string>
  readonly contentType: string
  readonly body: string
}

export type AnswerShape = "text" | AnswerFaultName | "prompt_blocked"

export interface Answer {
  readonly _tag: "Answer"
  readonly shape: AnswerShape
  /** Text the answer carries (already truncated for `max_tokens`). */
  readonly text: string
  readonly outputTokens: number
  /** Provider-native finish/stop reason (already chosen by the dialect). */
  readonly finish: string
  readonly blockReason?: string
}

export type Rendered = Failure | Answer

export interface Dialect {
  readonly kind: "openai" | "anthropic" | "gemini"
  readonly defaultModel: string
  /** `undefined` when the path is not this provider's. `model` comes from the path for Gemini. */
  route(method: string, path: string): Route | undefined
  keyOf(headers: Record<string, string | Array<string> | undefined>, query: URLSearchParams): string | undefined
  parse(body: unknown, route: Route): ParsedRequest
  /** Headers every answer carries (ids, rate-limit state). */
  baseHeaders(ctx: Ctx): Record<string, string>
  fault(name: ProviderFaultName | AnswerFaultName | "ok", ctx: Ctx): Rendered
  status(status: number, ctx: Ctx): Failure
  missingKey(ctx: Ctx): Failure
  notFound(method: string, path: string, ctx: Ctx): Failure
  badJson(ctx: Ctx): Failure
  json(answer: Answer, ctx: Ctx): string
  events(answer: Answer, ctx: Ctx): Array<string>
  /** The in-stream error event (Anthropic `event: error`, OpenAI/Gemini `data: {"error":…}`). */
  streamError(ctx: Ctx): string
  models(models: ReadonlyArray<string>): string
  readonly sseDelimiter: string
}

export type Route =
  | { readonly op: "generate"; readonly model?: string; readonly stream?: boolean; readonly version?: string }
  | { readonly op: "models" }

export const estimateTokens = (chars: number): number => Math.max(1, Math.ceil(chars / 4))

export const JSON_TYPE = "application/json"

/** Splits text into word-sized deltas (each keeps its leading space) for streaming. */
export const deltas = (text: string): Array<string> => {
  if (text.length === 0) return []
  const out: Array<string> = []
  const re = /\s*\S+/g
  let m: RegExpExecArray | null = re.exec(text)
  while (m !== null) {
    out.push(m[0])
    m = re.exec(text)
  }
  const consumed = out.join("").length
  if (consumed < text.length) out.push(text.slice(consumed))
  return out
}

/** Go's `time.Duration.String()` — OpenAI's "try again in" and reset headers use it. */
export const goDuration = (ms: number): string => {
  if (ms <= 0) return "0s"
  if (ms < 1000) return `${Math.round(ms)}ms`
  const totalSeconds = ms / 1000
  const hours = Math.floor(totalSeconds / 3600)
  const minutes = Math.floor((totalSeconds % 3600) / 60)
  const seconds = totalSeconds - hours * 3600 - minutes * 60
  const secText = `${Number(seconds.toFixed(3))}s`
  if (hours > 0) return `${hours}h${minutes}m${secText}`
  if (minutes > 0) return `${minutes}m${secText}`
  return secText
}

/** google.protobuf.Duration JSON form: "22s", "1.5s". */
export const protoDuration = (ms: number): string => `${Number((ms / 1000).toFixed(3))}s`

/** OpenAI echoes a masked key ("sk-abc1***wxyz"); short keys are masked whole. */
export const maskKey = (key: string | undefined): string => {
  if (key === undefined || key.length === 0) return ""
  if (key.length < 12) return "*".repeat(key.length)
  return `${key.slice(0, Math.min(8, Math.floor(key.length / 4)))}${"*".repeat(Math.min(key.length - 8, 24))}${key.slice(-4)}`
}

export const lastUserText = (messages: unknown, role: string, textOf: (m: any) => string): string => {
  if (!Array.isArray(messages)) return ""
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]
    if (m !== null && typeof m === "object" && (m.role ?? "user") === role) return textOf(m)
  }
  return ""
}

/** Text of the last message when its role is `role` (an assistant prefill), else `undefined`. */
export const trailingText = (messages: unknown, role: string, textOf: (m: any) => string): string | undefined => {
  if (!Array.isArray(messages) || messages.length === 0) return undefined
  const m = messages[messages.length - 1]
  return m !== null && typeof m === "object" && m.role === role ? textOf(m) : undefined
}

/**
 * What a model that continues a prefill answers: the rest of `reply` after the prefill when the
 * prefill is how the reply begins, else the whole reply (it cannot know where it was).
 */
export const continuedReply = (reply: string, prefill: string | undefined): string =>
  prefill !== undefined && prefill.length > 0 && reply.startsWith(prefill) ? reply.slice(prefill.length) : reply

/** Text of OpenAI/Anthropic content: a string or an array of parts with `text`. */
export const contentText = (content: unknown): string => {
  if (typeof content === "string") return content
  if (!Array.isArray(content)) return ""
  let s = ""
  for (const p of content) if (p !== null && typeof p === "object" && typeof p.text === "string") s += p.text
  return s
}

export const html = (status: number, title: string, server: string): Failure => ({
  _tag: "Failure",
  status,
  headers: { server },
  contentType: "text/html",
  body: `<html>\r\n<head><title>${status} ${title}</title></head>\r\n<body>\r\n<center><h1>${status} ${title}</h1></center>\r\n<hr><center>${server}</center>\r\n</body>\r\n</html>\r\n`
})

/** Deterministic-looking ids: a per-server random base plus a counter. */
export const makeIds = (seed: number) => {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
  let x = (seed ^ 0x9e3779b9) >>> 0 || 1
  const rand = () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x
  }
  let base = ""
  for (let i = 0; i < 12; i++) base += alphabet[rand() % alphabet.length]
  let counter = 0
  return (length: number): string => {
    counter++
    const c = counter.toString(36)
    const body = base + c.padStart(Math.max(0, length - base.length), "0")
    return body.slice(body.length - length)
  }
}

/** The thinking a simulated model shows before answering `prompt`. */
export const thoughtFor = (prompt: string): string => `The user asked: "${prompt.slice(0, 60)}". I will answer briefly.`

/**
 * A simulated thinking signature: a keyed hash of the thinking text, so the upstream can verify a
 * block sent back (as Anthropic does) and reject one that was altered or came from elsewhere.
 */
export const signThought = (thinking: string): string =>
  `sim1${createHash("sha256").update(`am-simulator-thinking:${thinking}`).digest("base64")}`
