import { gzipSync, constants as zlib } from "node:zlib"
import { createGzip } from "node:zlib"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import OpenAI from "openai"
import { nextText, signal, testServer, transport, waitFor } from "./support.ts"

const sse = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`
const chunk = (content: string, finish: string | null = null) => ({
  id: "chatcmpl-1",
  object: "chat.completion.chunk",
  created: 1,
  model: "gpt-4o-mini",
  choices: [{ index: 0, delta: { content }, finish_reason: finish }]
})

describe("a streamed body arrives chunk by chunk, not when the upstream finishes", () => {
  it.effect("the first SSE event is readable while the server still holds the response open", () =>
    Effect.gen(function* () {
      const release = signal()
      const finished = signal()
      const server = yield* testServer((req, res) => {
        req.resume()
        res.writeHead(200, { "content-type": "text/event-stream" })
        res.write("data: first\n\n")
        void release.promise.then(() => {
          res.end("data: last\n\n")
          finished.resolve()
        })
      })
      const t = yield* transport()
      const response = yield* Effect.promise(() => t.fetch(`${server.origin}/events`, { method: "POST", body: "{}" }))
      assert.strictEqual(response.status, 200)
      const reader = response.body!.getReader()
      const first = yield* waitFor(nextText(reader), "the first event before the upstream ends")
      assert.strictEqual(first, "data: first\n\n")
      release.resolve()
      yield* waitFor(finished.promise, "the server to finish")
      assert.strictEqual(yield* waitFor(nextText(reader), "the next chunk"), "data: last\n\n")
      assert.isUndefined(yield* waitFor(nextText(reader), "the next chunk"))
    })
  )

  it.effect("the OpenAI SDK over the transport yields the first chunk before the upstream finishes", () =>
    Effect.gen(function* () {
      const release = signal()
      const server = yield* testServer((req, res) => {
        req.resume()
        res.writeHead(200, { "content-type": "text/event-stream" })
        res.write(sse(chunk("Hel")))
        void release.promise.then(() => {
          res.write(sse(chunk("lo", "stop")))
          res.end("data: [DONE]\n\n")
        })
      })
      const t = yield* transport()
      const client = new OpenAI({ apiKey: "sk-test", baseURL: `${server.origin}/v1`, maxRetries: 0, fetch: t.fetch })
      const stream = yield* Effect.promise(() =>
        client.chat.completions.create({
          model: "gpt-4o-mini",
          messages: [{ role: "user", content: "hi" }],
          stream: true
        })
      )
      const iterator = stream[Symbol.asyncIterator]()
      const first = yield* waitFor(iterator.next(), "the first chunk while the upstream holds the rest")
      assert.strictEqual(first.value?.choices[0]?.delta.content, "Hel")
      release.resolve()
      const rest: Array<string> = []
      for (;;) {
        const next = yield* Effect.promise(() => iterator.next())
        if (next.done === true) break
        rest.push(next.value.choices[0]?.delta.content ?? "")
      }
      assert.deepStrictEqual(rest, ["lo"])
    })
  )

  it.effect("a gzip-encoded stream is decoded as it arrives; the header is kept, as fetch keeps it", () =>
    Effect.gen(function* () {
      const release = signal()
      const server = yield* testServer((req, res) => {
        req.resume()
        res.writeHead(200, { "content-type": "text/event-stream", "content-encoding": "gzip" })
        const gzip = createGzip()
        gzip.pipe(res)
        gzip.write("data: first\n\n")
        gzip.flush(zlib.Z_SYNC_FLUSH)
        void release.promise.then(() => gzip.end("data: last\n\n"))
      })
      const t = yield* transport()
      const response = yield* Effect.promise(() => t.fetch(`${server.origin}/events`))
      assert.strictEqual(response.headers.get("content-encoding"), "gzip")
      const reader = response.body!.getReader()
      const first = yield* waitFor(nextText(reader), "the first decoded event")
      assert.strictEqual(first, "data: first\n\n")
      release.resolve()
      let rest = ""
      for (;;) {
        const text = yield* waitFor(nextText(reader), "the next chunk")
        if (text === undefined) break
        rest += text
      }
      assert.strictEqual(rest, "data: last\n\n")

      // A whole gzip'd JSON body decodes too.
      const whole = yield* testServer((req, res) => {
        req.resume()
        const body = gzipSync(JSON.stringify({ ok: true }))
        res.writeHead(200, {
          "content-type": "application/json",
          "content-encoding": "gzip",
          "content-length": body.length
        })
        res.end(body)
      })
      const json = yield* Effect.promise(() => t.fetch(whole.origin).then((r) => r.json()))
      assert.deepStrictEqual(json, { ok: true })
    })
  )
})
