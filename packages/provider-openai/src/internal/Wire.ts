/**
 * Lenient schemas for what an OpenAI-compatible server sends back. Only the fields the adapter
 * reads are described, and almost all of them may be missing or `null`: Ollama, vLLM, Groq,
 * llama.cpp and Azure-style servers differ in what they omit. Usage stays `Unknown` and is read
 * field by field so one odd counter never fails a whole answer.
 */
import { Schema } from "effect"

const opt = <S extends Schema.Top>(schema: S) => Schema.optional(Schema.NullOr(schema))

export const WireFunctionCall = Schema.Struct({
  name: opt(Schema.String),
  // Some servers send the arguments as an object instead of JSON text.
  arguments: opt(Schema.Unknown)
})

export const WireToolCall = Schema.Struct({
  id: opt(Schema.String),
  type: opt(Schema.String),
  function: opt(WireFunctionCall),
  custom: opt(Schema.Struct({ name: opt(Schema.String), input: opt(Schema.String) }))
})
export type WireToolCall = typeof WireToolCall.Type

export const WireMessage = Schema.Struct({
  content: opt(Schema.Union([Schema.String, Schema.Array(Schema.Unknown)])),
  refusal: opt(Schema.String),
  // DeepSeek, vLLM and SGLang send the reasoning text as `reasoning_content`; OpenRouter and Ollama as `reasoning`.
  reasoning_content: opt(Schema.String),
  reasoning: opt(Schema.Unknown),
  tool_calls: opt(Schema.Array(WireToolCall)),
  function_call: opt(WireFunctionCall)
})
export type WireMessage = typeof WireMessage.Type

export const WireChoice = Schema.Struct({
  index: opt(Schema.Number),
  message: WireMessage,
  finish_reason: opt(Schema.String)
})

export const WireChatCompletion = Schema.Struct({
  id: opt(Schema.String),
  model: opt(Schema.String),
  choices: Schema.Array(WireChoice),
  usage: opt(Schema.Unknown)
})
export type WireChatCompletion = typeof WireChatCompletion.Type

export const WireToolCallDelta = Schema.Struct({
  index: opt(Schema.Number),
  id: opt(Schema.String),
  type: opt(Schema.String),
  function: opt(WireFunctionCall)
})
export type WireToolCallDelta = typeof WireToolCallDelta.Type

export const WireChunkChoice = Schema.Struct({
  index: opt(Schema.Number),
  delta: opt(
    Schema.Struct({
      content: opt(Schema.String),
      refusal: opt(Schema.String),
      reasoning_content: opt(Schema.String),
      reasoning: opt(Schema.Unknown),
      tool_calls: opt(Schema.Array(WireToolCallDelta))
    })
  ),
  finish_reason: opt(Schema.String)
})

export const WireChatCompletionChunk = Schema.Struct({
  id: opt(Schema.String),
  model: opt(Schema.String),
  choices: opt(Schema.Array(WireChunkChoice)),
  usage: opt(Schema.Unknown),
  // Groq reports streamed usage here instead of `usage`.
  x_groq: opt(Schema.Struct({ usage: opt(Schema.Unknown) }))
})
export type WireChatCompletionChunk = typeof WireChatCompletionChunk.Type

/** The reasoning text of a message or delta (`reasoning_content`, else a string `reasoning`). */
export const reasoningTextOf = (m: { readonly reasoning_content?: string | null; readonly reasoning?: unknown }) =>
  m.reasoning_content ?? (typeof m.reasoning === "string" ? m.reasoning : undefined)
