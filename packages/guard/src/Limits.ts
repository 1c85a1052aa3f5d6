/**
 * Size limits: the longest request a model is sent (characters of its text: message contents,
 * text parts, tool-call names and arguments, refusals) and the longest answer a caller gets —
 * cut with `finishReason: "length"` or refused with `GuardLimitExceeded`, per `answerOverflow`.
 * Nothing is hard-coded: without a limit in the config there is none.
 *
 * @example
 * ```ts
 * import { checkRequestSize, limitAnswer } from "@am/guard"
 * const limits = { maxRequestChars: 10_000, maxRequestCharsByModel: { "gpt-4o-mini": 4_000 }, maxAnswerChars: 5, answerOverflow: "truncate" } as const
 * checkRequestSize([{ role: "user", content: "hi" }], "gpt-4o-mini", limits) // undefined (within)
 * limitAnswer("Hello world", limits) // { _tag: "Truncated", text: "Hello", finishReason: "length" }
 * ```
 * @since 0.2.0
 */
import type { ChatMessage, Content } from "@am/core"
import { GuardLimitExceeded } from "./Errors.ts"

export interface SizeLimits {
  /** Default longest request, in characters of text. */
  readonly maxRequestChars?: number
  /** Per model id (as the request names it), over `maxRequestChars`. */
  readonly maxRequestCharsByModel?: Readonly<Record<string, number>>
  /** Longest answer, in characters. */
  readonly maxAnswerChars?: number
  /** What a longer answer gets: cut with `finishReason: "length"` (default), or refused. */
  readonly answerOverflow: "truncate" | "fail"
}

export const DEFAULT_LIMITS: SizeLimits = { answerOverflow: "truncate" }

const contentSize = (c: Content | null): number => {
  if (c === null) return 0
  if (typeof c === "string") return c.length
  let n = 0
  for (const p of c) if (p.type === "text") n += p.text.length
  return n
}

/** The characters of text in a request's messages. */
export const requestSize = (messages: ReadonlyArray<ChatMessage>): number => {
  let n = 0
  for (const m of messages) {
    n += contentSize(m.content)
    if (m.role === "assistant") {
      for (const call of m.toolCalls ?? []) n += call.name.length + call.arguments.length
      n += m.refusal?.length ?? 0
    }
  }
  return n
}

/** The request limit for `model`: its own, else the default, else none. */
export const requestLimitFor = (model: string, limits: SizeLimits): number | undefined =>
  limits.maxRequestCharsByModel?.[model] ?? limits.maxRequestChars

/**
 * `GuardLimitExceeded` (`request_too_large`) when the request is above the model's limit.
 *
 * @example
 * ```ts
 * import { checkRequestSize } from "@am/guard"
 * checkRequestSize([{ role: "user", content: "x".repeat(50) }], "m", { maxRequestChars: 10, answerOverflow: "fail" })?.reason
 * // "request_too_large"
 * ```
 */
export const checkRequestSize = (
  messages: ReadonlyArray<ChatMessage>,
  model: string,
  limits: SizeLimits
): GuardLimitExceeded | undefined => {
  const limit = requestLimitFor(model, limits)
  if (limit === undefined) return undefined
  const size = requestSize(messages)
  return size <= limit ? undefined : new GuardLimitExceeded({ reason: "request_too_large", limit, size, model })
}

/** The answer after its size limit. */
export type AnswerLimit =
  | { readonly _tag: "Within"; readonly text: string }
  | { readonly _tag: "Truncated"; readonly text: string; readonly finishReason: "length" }
  | { readonly _tag: "TooLarge"; readonly error: GuardLimitExceeded }

/** A cut that does not split a surrogate pair. */
const cutAt = (text: string, n: number): string => {
  const c = text.charCodeAt(n - 1)
  return text.slice(0, c >= 0xd800 && c <= 0xdbff ? n - 1 : n)
}

/**
 * The answer under `maxAnswerChars`.
 *
 * @example
 * ```ts
 * import { limitAnswer } from "@am/guard"
 * limitAnswer("abcdef", { maxAnswerChars: 3, answerOverflow: "fail" })._tag // "TooLarge"
 * ```
 */
export const limitAnswer = (text: string, limits: SizeLimits): AnswerLimit => {
  const max = limits.maxAnswerChars
  if (max === undefined || text.length <= max) return { _tag: "Within", text }
  if (limits.answerOverflow === "fail") {
    return {
      _tag: "TooLarge",
      error: new GuardLimitExceeded({ reason: "answer_too_large", limit: max, size: text.length })
    }
  }
  return { _tag: "Truncated", text: cutAt(text, max), finishReason: "length" }
}

/** A streamed answer's limiter: `push` gives what may be emitted and whether the stream must stop. */
export interface StreamLimiter {
  readonly push: (chunk: string) => AnswerLimit
}

/**
 * Limits a streamed answer: chunks pass until the limit; the chunk that crosses it is cut
 * (`Truncated`: emit its text, then end the stream with `finish_reason: "length"`) or refused
 * (`TooLarge`: fail the stream).
 *
 * @example
 * ```ts
 * import { streamLimiter } from "@am/guard"
 * const l = streamLimiter({ maxAnswerChars: 4, answerOverflow: "truncate" })
 * l.push("ab") // { _tag: "Within", text: "ab" }
 * l.push("cdef") // { _tag: "Truncated", text: "cd", finishReason: "length" }
 * ```
 */
export const streamLimiter = (limits: SizeLimits): StreamLimiter => {
  let sent = 0
  const max = limits.maxAnswerChars
  return {
    push: (chunk) => {
      if (max === undefined) return { _tag: "Within", text: chunk }
      const r = limitAnswer(chunk, { ...limits, maxAnswerChars: Math.max(0, max - sent) })
      if (r._tag === "TooLarge") {
        return {
          _tag: "TooLarge",
          error: new GuardLimitExceeded({ reason: "answer_too_large", limit: max, size: sent + chunk.length })
        }
      }
      sent += r.text.length
      return r
    }
  }
}
