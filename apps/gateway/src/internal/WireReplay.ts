/**
 * What the Messages (`/v1/messages`) and Responses (`/v1/responses`) routes store under an
 * `Idempotency-Key`, and how they replay it: a JSON answer as its exact body; a streamed one as
 * the exact event stream it was sent as (that wire's own SSE events, from the first to
 * `message_stop` / `response.completed`), stored once the stream finished — so a replay is the
 * same bytes, the same ids and the same request id, with `x-am-idempotent-replay: true` and
 * `x-am-attempts: 0`, recorded as a replay (`ReplayAudit`). A stream cut before its end stores
 * nothing (the next request with the key runs again).
 *
 * @internal
 */
import type { StoredResult } from "@am/cache"
import { Effect, Option, Schema, Stream } from "effect"
import { HttpServerResponse } from "effect/http"
import type { AmHeadersInput } from "../AmHeaders.ts"
import { auditReplay, type ReplayRequest, replayHeaders, StoredHeaders } from "./ReplayAudit.ts"

/** The stored form of a Messages or Responses answer (JSON). */
export const StoredWire = Schema.Union([
  Schema.TaggedStruct("json", { body: Schema.Json, headers: StoredHeaders }),
  Schema.TaggedStruct("events", { events: Schema.String, headers: StoredHeaders })
])
export type StoredWire = typeof StoredWire.Type
const encodeStored = Schema.encodeSync(Schema.toCodecJson(StoredWire))
const decodeStored = Schema.decodeUnknownOption(Schema.toCodecJson(StoredWire))

/** A JSON answer's stored value. */
export const storedWireJson = (body: unknown, headers: StoredHeaders): Schema.Json =>
  encodeStored({ _tag: "json", body: JSON.parse(JSON.stringify(body)) as Schema.Json, headers }) as Schema.Json

/** A finished event stream's stored value (every frame, in order). */
export const storedWireEvents = (events: string, headers: StoredHeaders): Schema.Json =>
  encodeStored({ _tag: "events", events, headers }) as Schema.Json

/**
 * Collects the frames of a stream that may be stored: `add` each frame as it is sent, `text()` at
 * the end. Off (collecting nothing) for a request without a key.
 */
export const frameLog = (on: boolean) => {
  const frames: Array<string> = []
  return {
    add: on ? (frame: string) => void frames.push(frame) : (_frame: string) => undefined,
    text: () => frames.join("")
  }
}

/**
 * The answer to a request whose key has a stored result: the body, or the events, of the
 * original, no call. A value this route cannot read is a defect: the request hash (which names
 * the wire) already matched.
 */
export const replayWire = Effect.fnUntraced(function* (
  result: StoredResult,
  request: ReplayRequest,
  headersOf: (h: AmHeadersInput) => Record<string, string>
) {
  const stored = yield* Option.match(decodeStored(result.value), {
    onNone: () => Effect.die(new Error("idempotency: a stored answer this route cannot replay")),
    onSome: Effect.succeed
  })
  yield* auditReplay(result, request, stored.headers)
  const headers = replayHeaders(result, stored.headers, headersOf)
  if (stored._tag === "json") return HttpServerResponse.jsonUnsafe(stored.body, { headers })
  return HttpServerResponse.stream(Stream.succeed(new TextEncoder().encode(stored.events)), {
    contentType: "text/event-stream",
    headers: { "cache-control": "no-cache", "x-accel-buffering": "no", ...headers }
  })
})
