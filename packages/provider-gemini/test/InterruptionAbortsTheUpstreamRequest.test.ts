import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Fiber, Option, Stream } from "effect"
import { make } from "../src/index.ts"
import { call } from "./support.ts"

/**
 * A bare upstream that records when the client goes away: the testkit's `hang` never answers
 * either, but does not tell a test whether the client closed the connection.
 */
const hangingUpstream = (mode: "no-headers" | "one-event") =>
  Effect.acquireRelease(
    Effect.gen(function* () {
      const arrived = yield* Deferred.make<void>()
      const closed = yield* Deferred.make<void>()
      const server: Server = createServer((req, res) => {
        req.resume()
        Deferred.doneUnsafe(arrived, Effect.void)
        res.on("close", () => Deferred.doneUnsafe(closed, Effect.void))
        if (mode === "one-event") {
          res.writeHead(200, { "content-type": "text/event-stream" })
          res.write(`data: ${JSON.stringify({ candidates: [{ content: { parts: [{ text: "Hi" }] } }] })}\r\n\r\n`)
        }
      })
      yield* Effect.callback<void>((resume) => {
        server.listen(0, "127.0.0.1", () => resume(Effect.void))
      })
      const port = (server.address() as AddressInfo).port
      return { baseURL: `http://127.0.0.1:${port}`, arrived, closed, server }
    }),
    ({ server }) =>
      Effect.callback<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

const closedWithin = (closed: Deferred.Deferred<void>) =>
  Deferred.await(closed).pipe(Effect.timeoutOption(Duration.seconds(2)), Effect.map(Option.isSome))

describe("interrupting a call aborts its HTTP request", () => {
  it.live("complete: interrupting the fiber closes the upstream connection", () =>
    Effect.gen(function* () {
      const upstream = yield* hangingUpstream("no-headers")
      const provider = make({ id: "primary", baseURL: upstream.baseURL })
      const fiber = yield* Effect.forkChild(provider.complete(call()))
      yield* Deferred.await(upstream.arrived)
      yield* Fiber.interrupt(fiber)
      assert.isTrue(yield* closedWithin(upstream.closed))
    }).pipe(Effect.scoped)
  )

  it.live("stream: a consumer that stops after the first delta closes the upstream connection", () =>
    Effect.gen(function* () {
      const upstream = yield* hangingUpstream("one-event")
      const provider = make({ id: "primary", baseURL: upstream.baseURL })
      const first = yield* Stream.runCollect(Stream.take(provider.stream(call()), 1))
      assert.deepStrictEqual([...first], [{ _tag: "TextDelta", text: "Hi" }])
      assert.isTrue(yield* closedWithin(upstream.closed))
    }).pipe(Effect.scoped)
  )

  it.live("stream: interrupting the consuming fiber closes the upstream connection", () =>
    Effect.gen(function* () {
      const upstream = yield* hangingUpstream("one-event")
      const provider = make({ id: "primary", baseURL: upstream.baseURL })
      const fiber = yield* Effect.forkChild(Stream.runDrain(provider.stream(call())))
      yield* Deferred.await(upstream.arrived)
      yield* Fiber.interrupt(fiber)
      assert.isTrue(yield* closedWithin(upstream.closed))
    }).pipe(Effect.scoped)
  )

  it.live("the call's timeout aborts the request too (the engine's deadline path)", () =>
    Effect.gen(function* () {
      const upstream = yield* hangingUpstream("no-headers")
      const provider = make({ id: "primary", baseURL: upstream.baseURL, timeoutMs: 200 })
      const failure = yield* Effect.flip(provider.complete(call()))
      assert.strictEqual(failure.kind, "timeout")
      assert.isTrue(yield* closedWithin(upstream.closed))
    }).pipe(Effect.scoped)
  )
})
