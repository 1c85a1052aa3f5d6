/**
 * What the chat completions route stores under an `Idempotency-Key`, and how it replays it: a JSON
 * answer as its exact body; a streamed one as its finished completion, re-streamed as the same
 * SSE frames (same chunk id, `created` and model). A replay carries the original request id,
 * `x-am-idempotent-replay: true` and `x-am-attempts: 0`, and is recorded as a replay pointing at
 * the original — its own ledger entry and `llm_runs` row, no call, cost 0 (`ReplayAudit`).
 *
 * @internal
 */
import { replayStream, type StoredResult } from "@am/cache"
import { Completion, type CompletionChunk, type ToolCall } from "@am/core"
import { Effect, Option, Schema, Stream } from "effect"
import { HttpServerResponse } from "effect/http"
import { ChunkEncoder, DONE } from "../OpenAIWire.ts"
import { auditReplay, type ReplayRequest, replayHeaders, StoredHeaders as Headers } from "./ReplayAudit.ts"

/** The stored form of a chat answer (JSON). */
export const StoredChat = Schema.Union([
  Schema.TaggedStruct("json", { body: Schema.Json, headers: Headers }),
  Schema.TaggedStruct("sse", {
    completion: Schema.toCodecJson(Completion),
    created: Schema.Number,
    model: Schema.String,
    headers: Headers
  })
])
export type StoredChat = typeof StoredChat.Type
const encodeStored = Schema.encodeSync(Schema.toCodecJson(StoredChat))
const decodeStored = Schema.decodeUnknownOption(Schema.toCodecJson(StoredChat))

/** A JSON answer's stored value. */
export const storedJson = (body: unknown, headers: typeof Headers.Type): Schema.Json =>
  encodeStored({ _tag: "json", body: JSON.parse(JSON.stringify(body)) as Schema.Json, headers }) as Schema.Json

/** A streamed answer's stored value. */
export const storedStream = (
  completion: Completion,
  created: number,
  model: string,
  headers: typeof Headers.Type
): Schema.Json => encodeStored({ _tag: "sse", completion, created, model, headers }) as Schema.Json

/** Folds a stream's chunks into the finished completion it amounts to (what a replay re-streams). */
export const chunkFolder = () => {
  let text = ""
  const calls: Array<{ id: string; name: string; arguments: string }> = []
  let finish: Extract<CompletionChunk, { _tag: "Finish" }> | undefined
  return {
    add: (chunk: CompletionChunk) => {
      switch (chunk._tag) {
        case "TextDelta":
          text += chunk.text
          return
        case "ToolCallDelta": {
          const call = calls[chunk.index] ?? { id: "", name: "", arguments: "" }
          calls[chunk.index] = call
          if (chunk.id !== undefined) call.id = chunk.id
          if (chunk.name !== undefined) call.name = chunk.name
          if (chunk.argumentsDelta !== undefined) call.arguments += chunk.argumentsDelta
          return
        }
        case "Finish":
          finish = chunk
          return
        case "ReasoningDelta":
          return
      }
    },
    /** The completion, once the stream finished. */
    done: (provider: string): Completion | undefined => {
      if (finish === undefined) return undefined
      const toolCalls: Array<ToolCall> = calls.filter((c) => c !== undefined)
      return {
        message: { role: "assistant", content: text, ...(toolCalls.length > 0 ? { toolCalls } : {}) },
        finishReason: finish.finishReason,
        usage: finish.usage,
        provider,
        model: finish.model,
        ...(finish.rawFinishReason !== undefined ? { rawFinishReason: finish.rawFinishReason } : {}),
        ...(finish.providerResponseId !== undefined ? { providerResponseId: finish.providerResponseId } : {})
      } as Completion
    }
  }
}

export interface ReplayContext extends ReplayRequest {
  readonly stream: boolean
  readonly includeUsage: boolean
}

/**
 * The answer to a request whose key has a stored result: its body (or its frames), the original
 * request id, no call. A stored value this route cannot read (written by another route under the
 * same key and body) is a defect: the body hash already matched.
 */
export const replayChat = Effect.fnUntraced(function* (result: StoredResult, context: ReplayContext) {
  const stored = yield* Option.match(decodeStored(result.value), {
    onNone: () => Effect.die(new Error("idempotency: a stored answer this route cannot replay")),
    onSome: Effect.succeed
  })
  const answerText =
    stored._tag === "sse"
      ? typeof stored.completion.message.content === "string"
        ? stored.completion.message.content
        : undefined
      : undefined
  yield* auditReplay(result, context, stored.headers, answerText)
  const headers = replayHeaders(result, stored.headers)
  if (stored._tag === "json") return HttpServerResponse.jsonUnsafe(stored.body, { headers })
  const encoder = new ChunkEncoder({
    requestId: result.requestId,
    created: stored.created,
    model: stored.model,
    includeUsage: context.includeUsage
  })
  const encode = new TextEncoder()
  const frames = replayStream(stored.completion).pipe(
    Stream.map((chunk) => encoder.encode(chunk)),
    Stream.concat(Stream.succeed(DONE)),
    Stream.map((s) => encode.encode(s))
  )
  return HttpServerResponse.stream(frames, {
    contentType: "text/event-stream",
    headers: { "cache-control": "no-cache", "x-accel-buffering": "no", ...headers }
  })
})
