import type { AnswerFaultName, ProviderFaultName } from "../FaultScript.ts"
import { err, errorObject, failureFor, statusFailure } from "./GeminiErrors.ts"
import type { Answer, Ctx, Dialect, ParsedRequest, Route } from "./Wire.ts"
import { deltas, estimateTokens, lastUserText, signThought, thoughtFor, trailingText } from "./Wire.ts"

const SAFETY_RATINGS = (blocked: string | undefined) =>
  [
    "HARM_CATEGORY_HATE_SPEECH",
    "HARM_CATEGORY_DANGEROUS_CONTENT",
    "HARM_CATEGORY_HARASSMENT",
    "HARM_CATEGORY_SEXUALLY_EXPLICIT"
  ].map((category) =>
    category === blocked ? { category, probability: "HIGH", blocked: true } : { category, probability: "NEGLIGIBLE" }
  )

const answer = (shape: Answer["shape"], ctx: Ctx): Answer => {
  const full = ctx.reply
  const maxChars = ctx.req.maxTokens !== undefined ? ctx.req.maxTokens * 4 : Number.POSITIVE_INFINITY
  let text = full
  let finish = "STOP"
  let blockReason: string | undefined
  switch (shape) {
    case "text":
      if (full.length > maxChars) {
        text = full.slice(0, maxChars)
        finish = "MAX_TOKENS"
      }
      break
    case "max_tokens":
    case "model_context_window_exceeded":
      text = full.slice(0, Math.max(1, Math.floor(full.length / 2)))
      finish = "MAX_TOKENS"
      break
    case "content_filter":
    case "refusal":
      // With SAFETY the candidate carries no content.
      text = ""
      finish = "SAFETY"
      break
    case "tool_call":
      text = '{"location":"Paris, France"}'
      finish = "STOP"
      break
    case "malformed_tool_call":
      text = ""
      finish = "MALFORMED_FUNCTION_CALL"
      break
    case "prompt_blocked":
      text = ""
      finish = ""
      blockReason = ctx.options?.blockReason ?? "SAFETY"
      break
  }
  return {
    _tag: "Answer",
    shape,
    text,
    outputTokens: text.length === 0 ? 0 : estimateTokens(text.length),
    finish: ctx.options?.finishReason ?? finish,
    ...(blockReason !== undefined ? { blockReason } : {})
  }
}

const usageMetadata = (ctx: Ctx, outputTokens: number) => ({
  promptTokenCount: ctx.inputTokens,
  ...(outputTokens > 0 ? { candidatesTokenCount: outputTokens } : {}),
  totalTokenCount: ctx.inputTokens + outputTokens,
  promptTokensDetails: [{ modality: "TEXT", tokenCount: ctx.inputTokens }]
})

/** The thought summary part a thinking request gets first (in the first chunk of a stream). */
const thoughtPart = (a: Answer, ctx: Ctx) => {
  const text = thoughtFor(ctx.req.prompt)
  return ctx.req.thinking === true && (a.shape === "text" || a.shape === "tool_call")
    ? [{ text, thought: true, thoughtSignature: signThought(text) }]
    : []
}

const candidate = (a: Answer, ctx: Ctx, text: string, final: boolean, first = true) => {
  const c: Record<string, unknown> = {}
  const thought = first ? thoughtPart(a, ctx) : []
  if (a.shape === "tool_call") {
    c.content = {
      parts: [
        ...thought,
        {
          functionCall: { name: ctx.req.toolName ?? "get_weather", args: JSON.parse(a.text) },
          // As Gemini 2.5+/3 does: a thinking answer's function call carries the signature the next turn sends back.
          ...(ctx.req.thinking === true ? { thoughtSignature: signThought(`functionCall:${a.text}`) } : {})
        }
      ],
      role: "model"
    }
  } else if (text.length > 0) {
    c.content = { parts: [...thought, { text }], role: "model" }
    // `responseLogprobs`: this chunk's text as one chosen token (its `logprobs` alternatives).
    const asked = ctx.req as GeminiParsed
    if (asked.logprobs === true) {
      const token = { token: text, logProbability: -0.0125 }
      c.logprobsResult = {
        chosenCandidates: [token],
        ...(asked.topLogprobs !== undefined ? { topCandidates: [{ candidates: [token] }] } : {})
      }
      c.avgLogprobs = -0.0125
    }
  } else if (a.shape === "malformed_tool_call") {
    c.content = {}
  }
  if (final) {
    c.finishReason = a.finish
    if (a.finish === "SAFETY") c.safetyRatings = SAFETY_RATINGS("HARM_CATEGORY_DANGEROUS_CONTENT")
    if (a.shape === "malformed_tool_call")
      c.finishMessage = `Malformed function call: print(default_api.${ctx.req.toolName ?? "get_weather"}(location="Paris`
  }
  c.index = 0
  return c
}

const response = (a: Answer, ctx: Ctx, text: string, final: boolean, outputTokens: number, first = true) => {
  if (a.shape === "prompt_blocked")
    return {
      promptFeedback: { blockReason: a.blockReason, safetyRatings: SAFETY_RATINGS("HARM_CATEGORY_HARASSMENT") },
      usageMetadata: usageMetadata(ctx, 0),
      modelVersion: ctx.model,
      responseId: ctx.responseId
    }
  return {
    candidates: [candidate(a, ctx, text, final, first)],
    usageMetadata: usageMetadata(ctx, outputTokens),
    modelVersion: ctx.model,
    responseId: ctx.responseId
  }
}

const partsText = (parts: unknown): string => {
  if (!Array.isArray(parts)) return ""
  let s = ""
  for (const p of parts) if (p !== null && typeof p === "object" && typeof p.text === "string") s += p.text
  return s
}

/** Gemini's parsed request: also whether `responseLogprobs` (and how many alternatives) was asked for. */
interface GeminiParsed extends ParsedRequest {
  readonly logprobs?: boolean
  readonly topLogprobs?: number
}

const parseRequest = (b: any, route: Route): GeminiParsed => {
  const contents = b?.contents
  let chars = partsText(b?.systemInstruction?.parts).length
  if (Array.isArray(contents)) for (const c of contents) chars += partsText(c?.parts).length
  const tools = b?.tools
  const maxTokens = b?.generationConfig?.maxOutputTokens
  return {
    model: route.op === "generate" ? route.model : undefined,
    stream: route.op === "generate" && route.stream === true,
    prompt: lastUserText(contents, "user", (c) => partsText(c.parts)),
    prefill: trailingText(contents, "model", (c) => partsText(c.parts)),
    inputChars: chars,
    messageCount: Array.isArray(contents) ? contents.length : 0,
    maxTokens: typeof maxTokens === "number" ? maxTokens : undefined,
    includeUsage: true,
    apiVersion: route.op === "generate" ? route.version : undefined,
    toolName: Array.isArray(tools) ? tools[0]?.functionDeclarations?.[0]?.name : undefined,
    thinking: b?.generationConfig?.thinkingConfig?.includeThoughts === true,
    logprobs: b?.generationConfig?.responseLogprobs === true,
    ...(typeof b?.generationConfig?.logprobs === "number" ? { topLogprobs: b.generationConfig.logprobs } : {}),
    invalid:
      !Array.isArray(contents) || contents.length === 0
        ? { message: "* GenerateContentRequest.contents: contents is not specified\n" }
        : undefined
  }
}

const GENERATE = /^\/(v1beta|v1)\/models\/([^/:]+):(generateContent|streamGenerateContent)$/

export const GeminiWire: Dialect = {
  kind: "gemini",
  defaultModel: "gemini-2.5-flash",
  sseDelimiter: "\r\n\r\n",
  route: (method, path): Route | undefined => {
    if (method === "POST") {
      const m = GENERATE.exec(path)
      if (m !== null)
        return {
          op: "generate",
          model: decodeURIComponent(m[2]!),
          stream: m[3] === "streamGenerateContent",
          version: m[1]!
        }
    }
    if (method === "GET" && (path === "/v1beta/models" || path === "/v1/models")) return { op: "models" }
    return undefined
  },
  keyOf: (headers, query) => {
    const h = headers["x-goog-api-key"]
    return (Array.isArray(h) ? h[0] : h) ?? query.get("key") ?? undefined
  },
  parse: (b, route) => parseRequest(b, route),
  baseHeaders: () => ({ vary: "Origin, X-Origin, Referer", server: "scaffolding on HTTPServer2" }),
  fault: (name, ctx) => {
    if (name === "ok") return answer("text", ctx)
    if (name === "input_blocked") return answer("prompt_blocked", ctx)
    if (name === "invalid_prompt")
      return answer("prompt_blocked", {
        ...ctx,
        options: { fault: "invalid_prompt", blockReason: "PROHIBITED_CONTENT", ...ctx.options }
      })
    return failureFor(name as ProviderFaultName, ctx) ?? answer(name as AnswerFaultName, ctx)
  },
  status: (status, ctx) => statusFailure(status, ctx),
  missingKey: (ctx) =>
    err(
      ctx,
      403,
      "PERMISSION_DENIED",
      "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API."
    ),
  notFound: (_method, path, ctx) => err(ctx, 404, "NOT_FOUND", `Requested entity was not found: ${path}`),
  badJson: (ctx) =>
    err(ctx, 400, "INVALID_ARGUMENT", "Invalid JSON payload received. Unexpected token.", [
      {
        "@type": "type.googleapis.com/google.rpc.BadRequest",
        fieldViolations: [{ description: "Invalid JSON payload received. Unexpected token." }]
      }
    ]),
  json: (a, ctx) => JSON.stringify(response(a, ctx, a.shape === "tool_call" ? "" : a.text, true, a.outputTokens)),
  events: (a, ctx) => {
    const out: Array<string> = []
    const frame = (o: unknown) => `data: ${JSON.stringify(o)}\r\n\r\n`
    if (a.shape === "prompt_blocked" || a.shape === "tool_call" || a.text.length === 0) {
      out.push(frame(response(a, ctx, a.text, true, a.outputTokens)))
      return out
    }
    const pieces = deltas(a.text)
    let sent = 0
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!
      sent += piece.length
      const final = i === pieces.length - 1
      out.push(frame(response(a, ctx, piece, final, final ? a.outputTokens : estimateTokens(sent), i === 0)))
    }
    return out
  },
  streamError: (ctx) =>
    `data: ${JSON.stringify(errorObject(503, "UNAVAILABLE", ctx.options?.message ?? "The model is overloaded. Please try again later."))}\r\n\r\n`,
  models: (models) =>
    JSON.stringify({
      models: models.map((id) => ({
        name: `models/${id}`,
        version: "001",
        displayName: id,
        inputTokenLimit: 1048576,
        outputTokenLimit: 65536,
        supportedGenerationMethods: ["generateContent", "countTokens"]
      }))
    })
}
