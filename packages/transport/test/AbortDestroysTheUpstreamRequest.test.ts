import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import OpenAI from "openai"
import { nextText, signal, testServer, transport, until, waitFor } from "./support.ts"

describe("an abort destroys the upstream request", () => {
  it.effect("before the headers: fetch rejects with the signal's reason and the server sees the request go", () =>
    Effect.gen(function* () {
      const arrived = signal()
      const gone = signal()
      const server = yield* testServer((req, res) => {
        req.resume()
        arrived.resolve()
        // Never answers: only the client can end this request.
        res.on("close", () => gone.resolve())
      })
      const t = yield* transport()
      const controller = new AbortController()
      const pending = t.fetch(server.origin, { method: "POST", body: "{}", signal: controller.signal })
      pending.catch(() => undefined)
      yield* waitFor(arrived.promise, "the request to reach the server")
      controller.abort()
      const error = yield* Effect.flip(Effect.tryPromise(() => pending))
      assert.strictEqual((error.cause as Error).name, "AbortError")
      assert.strictEqual(error.cause, controller.signal.reason, "rejected with the signal's reason, as fetch does")
      yield* waitFor(gone.promise, "the server to see the request closed")
      assert.strictEqual(t.stats()[server.origin]?.running ?? 0, 0)
    })
  )

  it.effect("mid-body: the body errors with the reason, the socket is closed (not returned to the pool)", () =>
    Effect.gen(function* () {
      const gone = signal()
      const server = yield* testServer((req, res) => {
        req.resume()
        res.writeHead(200, { "content-type": "text/event-stream" })
        res.write("data: first\n\n")
        res.on("close", () => gone.resolve())
      })
      const t = yield* transport()
      const controller = new AbortController()
      const response = yield* Effect.promise(() => t.fetch(server.origin, { signal: controller.signal }))
      const reader = response.body!.getReader()
      assert.strictEqual(yield* waitFor(nextText(reader), "the first event"), "data: first\n\n")
      const reason = new Error("deadline")
      controller.abort(reason)
      const error = yield* Effect.flip(Effect.tryPromise(() => reader.read()))
      assert.strictEqual(error.cause, reason)
      yield* waitFor(gone.promise, "the server to see the response closed")
      yield* until(() => server.openSockets() === 0, "the connection to be destroyed")
    })
  )

  it.effect("cancelling the body (a consumer that stops early) also ends the upstream request", () =>
    Effect.gen(function* () {
      const gone = signal()
      const server = yield* testServer((req, res) => {
        req.resume()
        res.writeHead(200, { "content-type": "text/event-stream" })
        res.write("data: first\n\n")
        res.on("close", () => gone.resolve())
      })
      const t = yield* transport()
      const response = yield* Effect.promise(() => t.fetch(server.origin))
      const reader = response.body!.getReader()
      yield* waitFor(nextText(reader), "the first event")
      yield* Effect.promise(() => reader.cancel())
      yield* waitFor(gone.promise, "the server to see the response closed")
    })
  )

  it.effect("the OpenAI SDK's abort mid-stream reaches the upstream through the transport", () =>
    Effect.gen(function* () {
      const gone = signal()
      const server = yield* testServer((req, res) => {
        req.resume()
        res.writeHead(200, { "content-type": "text/event-stream" })
        res.write(
          `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content: "Hi" }, finish_reason: null }] })}\n\n`
        )
        res.on("close", () => gone.resolve())
      })
      const t = yield* transport()
      const client = new OpenAI({ apiKey: "sk-test", baseURL: server.origin, maxRetries: 0, fetch: t.fetch })
      const controller = new AbortController()
      const stream = yield* Effect.promise(() =>
        client.chat.completions.create(
          { model: "m", messages: [{ role: "user", content: "hi" }], stream: true },
          { signal: controller.signal }
        )
      )
      const iterator = stream[Symbol.asyncIterator]()
      yield* waitFor(iterator.next(), "the first chunk")
      controller.abort()
      // The SDK ends the iteration quietly when its signal aborts; the transport closes the request.
      const next = yield* waitFor(iterator.next(), "the iteration to end")
      assert.isTrue(next.done)
      yield* waitFor(gone.promise, "the server to see the response closed")
    })
  )
})
