/**
 * The one way a route answers with a stream of SSE frames: the request stays in flight (holding
 * its Idempotency-Key) until the last frame is written, and the engine's stream scope closes
 * however the body ends — also when it never starts (the client gone between headers and body:
 * the request's scope closes once the response is written or abandoned, and both steps are
 * idempotent).
 */
import { Effect, Scope, Stream } from "effect"
import { HttpServerResponse } from "effect/http"

export const sseResponse = Effect.fnUntraced(function* (
  frames: Stream.Stream<Uint8Array>,
  scope: Scope.Closeable,
  keep: () => Effect.Effect<void>,
  headers: Record<string, string>
) {
  const release = keep()
  yield* Effect.addFinalizer((exit) => Effect.andThen(Scope.close(scope, exit), release))
  return HttpServerResponse.stream(frames.pipe(Stream.ensuring(release)), {
    contentType: "text/event-stream",
    headers: { "cache-control": "no-cache", "x-accel-buffering": "no", ...headers }
  })
})
