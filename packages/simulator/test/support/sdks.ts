/**
 * The official SDK clients, retries off, pointed at a fake upstream — and one call each
 * reduced to what a gateway would look at: the error, or the finish/stop/block reason.
 */
import Anthropic from "@anthropic-ai/sdk"
import { GoogleGenAI } from "@google/genai"
import OpenAI from "openai"
import type { Upstream } from "../../src/index.ts"

export interface Outcome {
  readonly error?: any
  readonly finish?: string | null | undefined
  readonly text: string
  readonly refusal?: string | null | undefined
  readonly blockReason?: string | undefined
  readonly toolArgs?: string | undefined
  /** Stream events/chunks received (also before an error). */
  readonly chunks: number
  readonly usage?: { readonly input: number; readonly output: number } | undefined
  /** Milliseconds between the largest gap of two consecutive chunks. */
  readonly maxGapMs: number
  readonly elapsedMs: number
}

export interface CallOptions {
  readonly stream?: boolean
  readonly model?: string
  readonly key?: string
  readonly prompt?: string
  readonly timeoutMs?: number
  readonly maxTokens?: number
  readonly tools?: boolean
}

export const openai = (u: Upstream, o: CallOptions = {}) =>
  new OpenAI({
    apiKey: o.key ?? "sk-test-openai-0000000000001234",
    baseURL: u.baseURL,
    maxRetries: 0,
    timeout: o.timeoutMs ?? 5000
  })

export const anthropic = (u: Upstream, o: CallOptions = {}) =>
  new Anthropic({
    apiKey: o.key ?? "sk-ant-test-0000000000005678",
    baseURL: u.baseURL,
    maxRetries: 0,
    timeout: o.timeoutMs ?? 5000
  })

/**
 * @google/genai retries only when `httpOptions.retryOptions` is set; `attempts: 1` (the
 * initial call only) states "no retries" explicitly.
 */
export const gemini = (u: Upstream, o: CallOptions = {}) =>
  new GoogleGenAI({
    apiKey: o.key ?? "AIza-test-gemini-000000000009",
    httpOptions: { baseUrl: u.baseURL, timeout: o.timeoutMs ?? 5000, retryOptions: { attempts: 1 } }
  })

const tracker = () => {
  const start = performance.now()
  let last = start
  let maxGap = 0
  let chunks = 0
  return {
    tick: () => {
      const now = performance.now()
      if (chunks > 0) maxGap = Math.max(maxGap, now - last)
      last = now
      chunks++
    },
    get chunks() {
      return chunks
    },
    get maxGap() {
      return maxGap
    },
    elapsed: () => performance.now() - start
  }
}

const WEATHER = {
  name: "get_weather",
  description: "Weather for a city",
  parameters: { type: "object", properties: { location: { type: "string" } }, required: ["location"] }
}

export const callOpenAI = async (u: Upstream, o: CallOptions = {}): Promise<Outcome> => {
  const client = openai(u, o)
  const t = tracker()
  const base = {
    model: o.model ?? "gpt-4o-mini",
    messages: [{ role: "user" as const, content: o.prompt ?? "Hello there" }],
    ...(o.maxTokens !== undefined ? { max_tokens: o.maxTokens } : {}),
    ...(o.tools === true ? { tools: [{ type: "function" as const, function: WEATHER }] } : {})
  }
  let text = ""
  let finish: string | null | undefined
  let refusal: string | null | undefined
  let toolArgs: string | undefined
  let usage: Outcome["usage"]
  try {
    if (o.stream === true) {
      const s = await client.chat.completions.create({ ...base, stream: true, stream_options: { include_usage: true } })
      for await (const c of s) {
        t.tick()
        const choice = c.choices[0]
        if (choice?.delta.content) text += choice.delta.content
        if (choice?.delta.refusal) refusal = (refusal ?? "") + choice.delta.refusal
        const args = choice?.delta.tool_calls?.[0]?.function?.arguments
        if (args !== undefined) toolArgs = (toolArgs ?? "") + args
        if (choice?.finish_reason) finish = choice.finish_reason
        if (c.usage) usage = { input: c.usage.prompt_tokens, output: c.usage.completion_tokens }
      }
    } else {
      const r = await client.chat.completions.create(base)
      const choice = r.choices[0]!
      text = choice.message.content ?? ""
      finish = choice.finish_reason
      refusal = choice.message.refusal
      const call = choice.message.tool_calls?.[0]
      toolArgs = call?.type === "function" ? call.function.arguments : undefined
      usage = r.usage ? { input: r.usage.prompt_tokens, output: r.usage.completion_tokens } : undefined
    }
    return { text, finish, refusal, toolArgs, usage, chunks: t.chunks, maxGapMs: t.maxGap, elapsedMs: t.elapsed() }
  } catch (error) {
    return { error, text, finish, chunks: t.chunks, maxGapMs: t.maxGap, elapsedMs: t.elapsed() }
  }
}

export const callAnthropic = async (u: Upstream, o: CallOptions = {}): Promise<Outcome> => {
  const client = anthropic(u, o)
  const t = tracker()
  const base = {
    model: o.model ?? "claude-sonnet-4-6",
    max_tokens: o.maxTokens ?? 1024,
    messages: [{ role: "user" as const, content: o.prompt ?? "Hello there" }],
    ...(o.tools === true
      ? { tools: [{ name: WEATHER.name, description: WEATHER.description, input_schema: WEATHER.parameters as any }] }
      : {})
  }
  let text = ""
  let finish: string | null | undefined
  let toolArgs: string | undefined
  let input = 0
  let output = 0
  try {
    if (o.stream === true) {
      const s = await client.messages.create({ ...base, stream: true })
      for await (const e of s) {
        t.tick()
        if (e.type === "message_start") input = e.message.usage.input_tokens
        if (e.type === "content_block_delta" && e.delta.type === "text_delta") text += e.delta.text
        if (e.type === "content_block_delta" && e.delta.type === "input_json_delta")
          toolArgs = (toolArgs ?? "") + e.delta.partial_json
        if (e.type === "message_delta") {
          finish = e.delta.stop_reason
          output = e.usage.output_tokens
        }
      }
    } else {
      const r = await client.messages.create(base)
      for (const b of r.content) {
        if (b.type === "text") text += b.text
        if (b.type === "tool_use") toolArgs = JSON.stringify(b.input)
      }
      finish = r.stop_reason
      input = r.usage.input_tokens
      output = r.usage.output_tokens
    }
    return {
      text,
      finish,
      toolArgs,
      usage: { input, output },
      chunks: t.chunks,
      maxGapMs: t.maxGap,
      elapsedMs: t.elapsed()
    }
  } catch (error) {
    return { error, text, finish, chunks: t.chunks, maxGapMs: t.maxGap, elapsedMs: t.elapsed() }
  }
}

export const callGemini = async (u: Upstream, o: CallOptions = {}): Promise<Outcome> => {
  const client = gemini(u, o)
  const t = tracker()
  const params = {
    model: o.model ?? "gemini-2.5-flash",
    contents: o.prompt ?? "Hello there",
    config: {
      ...(o.maxTokens !== undefined ? { maxOutputTokens: o.maxTokens } : {}),
      ...(o.tools === true ? { tools: [{ functionDeclarations: [WEATHER as any] }] } : {})
    }
  }
  let text = ""
  let finish: string | undefined
  let blockReason: string | undefined
  let toolArgs: string | undefined
  let usage: Outcome["usage"]
  const take = (r: any) => {
    const c = r.candidates?.[0]
    for (const p of c?.content?.parts ?? []) {
      if (typeof p.text === "string") text += p.text
      if (p.functionCall) toolArgs = JSON.stringify(p.functionCall.args)
    }
    if (c?.finishReason) finish = c.finishReason
    if (r.promptFeedback?.blockReason) blockReason = r.promptFeedback.blockReason
    if (r.usageMetadata)
      usage = { input: r.usageMetadata.promptTokenCount ?? 0, output: r.usageMetadata.candidatesTokenCount ?? 0 }
  }
  try {
    if (o.stream === true) {
      for await (const r of await client.models.generateContentStream(params)) {
        t.tick()
        take(r)
      }
    } else {
      take(await client.models.generateContent(params))
    }
    return { text, finish, blockReason, toolArgs, usage, chunks: t.chunks, maxGapMs: t.maxGap, elapsedMs: t.elapsed() }
  } catch (error) {
    return { error, text, finish, chunks: t.chunks, maxGapMs: t.maxGap, elapsedMs: t.elapsed() }
  }
}

/** The Gemini SDK's `ApiError` carries the JSON body as its message. */
export const geminiBody = (
  e: any
): { error: { code: number; status: string; message: string; details?: Array<any> } } =>
  JSON.parse(String(e.message).replace(/^got status: [A-Z_]+\. /, ""))

export const geminiDetail = (e: any, type: string): any =>
  geminiBody(e).error.details?.find((d) => d["@type"] === `type.googleapis.com/google.rpc.${type}`)
