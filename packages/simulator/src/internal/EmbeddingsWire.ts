/**
 * The embeddings endpoints of the fake upstreams, on the same server and fault machinery as chat:
 * OpenAI `POST /v1/embeddings` (`input` as a string or a list of strings or token arrays,
 * `encoding_format` `float` or `base64`, `dimensions`) and Gemini `models/{model}:embedContent` /
 * `:batchEmbedContents` (`outputDimensionality`). `withEmbeddings(dialect)` adds them to a chat
 * dialect: their routes are `generate` routes, so a script's provider faults (429, 503, bad key,
 * unknown model, …) and transport faults (reset, hang, stall, cut or malformed body) answer them
 * in the provider's own error shapes exactly as they answer chat. Answer faults (content filter,
 * tool calls, truncation) have no embeddings form; such a step answers normally.
 *
 * Vectors are deterministic in the text (the same text always gets the same unit vector), so a
 * test can tell which input a vector belongs to, and sized by the model (or `dimensions`).
 */
import type { Ctx, Dialect, ParsedRequest, Route } from "./Wire.ts"
import { estimateTokens } from "./Wire.ts"

/** Native vector sizes of the models the fakes know; others get the kind's default. */
export const EMBEDDING_DIMENSIONS: Readonly<Record<string, number>> = {
  "text-embedding-3-small": 1536,
  "text-embedding-3-large": 3072,
  "text-embedding-ada-002": 1536,
  "gemini-embedding-001": 3072,
  "text-embedding-004": 768,
  "embedding-001": 768
}
const DEFAULT_DIMENSIONS = { openai: 1536, gemini: 768 } as const

type EmbedShape = "openai" | "gemini-batch" | "gemini-single"

interface EmbedRoute {
  readonly op: "generate"
  readonly model?: string
  readonly stream: false
  readonly version?: string
  readonly embed: EmbedShape
}

/** A parsed embeddings request: the chat fields the server logs, plus what the answer needs. */
export interface EmbeddingParsed extends ParsedRequest {
  readonly embedding: {
    readonly shape: EmbedShape
    /** Each input's text (token arrays as their ids joined), in order. */
    readonly texts: ReadonlyArray<string>
    readonly dimensions: number
    readonly base64: boolean
  }
}

const isEmbedRoute = (route: Route): route is Route & EmbedRoute => "embed" in route
const isEmbedRequest = (req: ParsedRequest): req is EmbeddingParsed => "embedding" in req

const nativeDimensions = (kind: "openai" | "gemini", model: string | undefined) =>
  EMBEDDING_DIMENSIONS[(model ?? "").replace(/^models\//, "")] ?? DEFAULT_DIMENSIONS[kind]

/** A unit vector of `n` float32 values drawn from a generator seeded with the text's FNV-1a hash. */
export const vectorOf = (text: string, n: number): Float32Array => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0
  let x = h || 1
  const v = new Float32Array(n)
  let norm = 0
  for (let i = 0; i < n; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    v[i] = x / 0xffffffff - 0.5
    norm += v[i]! * v[i]!
  }
  const scale = 1 / Math.sqrt(norm || 1)
  for (let i = 0; i < n; i++) v[i] = v[i]! * scale
  return v
}

const base64Of = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64")

const parsed = (
  model: string | undefined,
  embedding: EmbeddingParsed["embedding"],
  invalid: ParsedRequest["invalid"],
  version?: string
): EmbeddingParsed => {
  const chars = embedding.texts.reduce((n, t) => n + t.length, 0)
  return {
    model,
    stream: false,
    prompt: embedding.texts[embedding.texts.length - 1] ?? "",
    inputChars: chars,
    messageCount: 0,
    maxTokens: undefined,
    includeUsage: false,
    toolName: undefined,
    invalid,
    ...(version !== undefined ? { apiVersion: version } : {}),
    embedding
  }
}

// ---- OpenAI ---------------------------------------------------------------------------

const OPENAI_ROUTE: EmbedRoute = { op: "generate", stream: false, embed: "openai" }

const openaiInputs = (input: unknown): Array<string> | undefined => {
  if (typeof input === "string") return input.length > 0 ? [input] : undefined
  if (!Array.isArray(input) || input.length === 0) return undefined
  if (input.every((t) => typeof t === "number")) return [input.join(" ")]
  const out: Array<string> = []
  for (const item of input) {
    if (typeof item === "string" && item.length > 0) out.push(item)
    else if (Array.isArray(item) && item.length > 0 && item.every((t) => typeof t === "number"))
      out.push(item.join(" "))
    else return undefined
  }
  return out
}

const parseOpenAI = (body: any): EmbeddingParsed => {
  const model = typeof body?.model === "string" ? body.model : undefined
  const texts = openaiInputs(body?.input)
  const native = nativeDimensions("openai", model)
  const dims = body?.dimensions
  const format = body?.encoding_format ?? "float"
  const invalid =
    model === undefined
      ? { message: "you must provide a model parameter", param: "model" }
      : body?.input === undefined
        ? { message: "'input' is a required property", param: "input" }
        : texts === undefined || texts.length > 2048
          ? {
              message:
                "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
              param: "input"
            }
          : format !== "float" && format !== "base64"
            ? {
                message: `Invalid value for 'encoding_format': expected one of 'float' or 'base64', got '${String(format)}'.`,
                param: "encoding_format"
              }
            : dims !== undefined && model === "text-embedding-ada-002"
              ? { message: "This model does not support specifying dimensions.", param: "dimensions" }
              : dims !== undefined && !(Number.isInteger(dims) && dims >= 1 && dims <= native)
                ? {
                    message: `Invalid value for 'dimensions' = ${String(dims)}. Must be between 1 and ${native}.`,
                    param: "dimensions"
                  }
                : undefined
  return parsed(
    model,
    { shape: "openai", texts: texts ?? [], dimensions: dims ?? native, base64: format === "base64" },
    invalid
  )
}

const openaiJson = (ctx: Ctx, e: EmbeddingParsed["embedding"]) => {
  const tokens = e.texts.reduce((n, t) => n + estimateTokens(t.length), 0)
  return JSON.stringify({
    object: "list",
    data: e.texts.map((text, index) => {
      const v = vectorOf(text, e.dimensions)
      return { object: "embedding", index, embedding: e.base64 ? base64Of(v) : Array.from(v) }
    }),
    model: ctx.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens }
  })
}

// ---- Gemini ---------------------------------------------------------------------------

const GEMINI = /^\/(v1beta|v1)\/models\/([^/:]+):(embedContent|batchEmbedContents)$/

const partsText = (content: any): string | undefined => {
  const parts = content?.parts
  if (!Array.isArray(parts) || parts.length === 0) return undefined
  let s = ""
  for (const p of parts) if (typeof p?.text === "string") s += p.text
  return s
}

const parseGemini = (body: any, route: EmbedRoute): EmbeddingParsed => {
  const native = nativeDimensions("gemini", route.model)
  const requests: Array<any> =
    route.embed === "gemini-single" ? [body] : Array.isArray(body?.requests) ? body.requests : []
  const texts: Array<string> = []
  let invalid: ParsedRequest["invalid"] =
    requests.length === 0 ? { message: "* BatchEmbedContentsRequest.requests: requests is not specified\n" } : undefined
  let dims: unknown
  requests.forEach((r, i) => {
    const text = partsText(r?.content)
    const where = route.embed === "gemini-single" ? "EmbedContentRequest" : `BatchEmbedContentsRequest.requests[${i}]`
    if (text === undefined) invalid ??= { message: `* ${where}.content: content is not specified\n` }
    texts.push(text ?? "")
    const d = r?.outputDimensionality
    if (d !== undefined && !(Number.isInteger(d) && d >= 1 && d <= native)) {
      invalid ??= { message: `* ${where}.output_dimensionality: must be between 1 and ${native}\n` }
    }
    dims ??= d
  })
  return parsed(
    route.model,
    { shape: route.embed, texts, dimensions: typeof dims === "number" ? dims : native, base64: false },
    invalid,
    route.version
  )
}

const geminiJson = (e: EmbeddingParsed["embedding"]) => {
  const values = (text: string) => Array.from(vectorOf(text, e.dimensions))
  if (e.shape === "gemini-single") return JSON.stringify({ embedding: { values: values(e.texts[0] ?? "") } })
  const tokens = e.texts.reduce((n, t) => n + estimateTokens(t.length), 0)
  return JSON.stringify({
    embeddings: e.texts.map((t) => ({ values: values(t) })),
    usageMetadata: { promptTokenCount: tokens, totalTokenCount: tokens }
  })
}

// ---- the hook -------------------------------------------------------------------------

const routeOf = (kind: Dialect["kind"], method: string, path: string): EmbedRoute | undefined => {
  if (method !== "POST") return undefined
  if (kind === "openai") return path === "/v1/embeddings" ? OPENAI_ROUTE : undefined
  if (kind !== "gemini") return undefined
  const m = GEMINI.exec(path)
  if (m === null) return undefined
  return {
    op: "generate",
    model: decodeURIComponent(m[2]!),
    stream: false,
    version: m[1]!,
    embed: m[3] === "embedContent" ? "gemini-single" : "gemini-batch"
  }
}

/** Whether a route is an embeddings route (the server's fast path serves chat only). */
export const isEmbeddingsRoute = (route: Route): boolean => isEmbedRoute(route)

/** `dialect` plus its provider's embeddings endpoints (Anthropic has none: returned as is). */
export const withEmbeddings = (dialect: Dialect): Dialect =>
  dialect.kind === "anthropic"
    ? dialect
    : {
        ...dialect,
        route: (method, path) => routeOf(dialect.kind, method, path) ?? dialect.route(method, path),
        parse: (body, route) =>
          isEmbedRoute(route)
            ? route.embed === "openai"
              ? parseOpenAI(body)
              : parseGemini(body, route)
            : dialect.parse(body, route),
        json: (answer, ctx) =>
          isEmbedRequest(ctx.req)
            ? ctx.req.embedding.shape === "openai"
              ? openaiJson(ctx, ctx.req.embedding)
              : geminiJson(ctx.req.embedding)
            : dialect.json(answer, ctx)
      }
