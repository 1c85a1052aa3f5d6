import type { IncomingHttpHeaders } from "node:http"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { testServer, transport } from "./support.ts"

interface Seen {
  readonly method: string
  readonly url: string
  readonly headers: IncomingHttpHeaders
  readonly rawHeaders: ReadonlyArray<string>
  readonly body: string
}

/** A server that answers with what it received. */
const echo = testServer((req, res) => {
  const chunks: Array<Buffer> = []
  req.on("data", (c: Buffer) => chunks.push(c))
  req.on("end", () => {
    const seen: Seen = {
      method: req.method ?? "",
      url: req.url ?? "",
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      body: Buffer.concat(chunks).toString("utf8")
    }
    res.writeHead(200, { "content-type": "application/json" })
    res.end(JSON.stringify(seen))
  })
})

describe("requests go out as fetch would send them", () => {
  it.effect("string, bytes and streamed bodies, with their lengths or chunked", () =>
    Effect.gen(function* () {
      const server = yield* echo
      const t = yield* transport()
      const send = (init: RequestInit) =>
        Effect.promise(() => t.fetch(`${server.origin}/v1/x?a=1`, init).then((r) => r.json() as Promise<Seen>))

      const json = yield* send({ method: "post", body: '{"q":1}', headers: { "content-type": "application/json" } })
      assert.strictEqual(json.method, "POST", "the method is normalised")
      assert.strictEqual(json.url, "/v1/x?a=1")
      assert.strictEqual(json.body, '{"q":1}')
      assert.strictEqual(json.headers["content-length"], "7")
      assert.strictEqual(json.headers["content-type"], "application/json")

      const text = yield* send({ method: "POST", body: "héllo" })
      assert.strictEqual(text.body, "héllo")
      assert.strictEqual(text.headers["content-length"], "6", "bytes, not characters")
      assert.strictEqual(text.headers["content-type"], "text/plain;charset=UTF-8", "fetch's default for a string")

      const bytes = yield* send({ method: "PUT", body: new TextEncoder().encode("bytes!") })
      assert.strictEqual(bytes.body, "bytes!")
      assert.strictEqual(bytes.headers["content-length"], "6")

      const encoder = new TextEncoder()
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(encoder.encode("one,"))
          controller.enqueue(encoder.encode("two"))
          controller.close()
        }
      })
      const streamed = yield* send({ method: "POST", body: stream, duplex: "half" } as RequestInit)
      assert.strictEqual(streamed.body, "one,two")
      assert.strictEqual(streamed.headers["transfer-encoding"], "chunked")

      const form = yield* send({ method: "POST", body: new URLSearchParams({ a: "1", b: "two" }) })
      assert.strictEqual(form.body, "a=1&b=two")
      assert.strictEqual(form.headers["content-type"], "application/x-www-form-urlencoded;charset=UTF-8")
    })
  )

  it.effect("headers from a Headers, pairs (repeated names kept) or a record; a Request as input", () =>
    Effect.gen(function* () {
      const server = yield* echo
      const t = yield* transport()
      const pairs = yield* Effect.promise(() =>
        t
          .fetch(server.origin, {
            headers: [
              ["x-multi", "a"],
              ["x-multi", "b"],
              ["Authorization", "Bearer sk-test"],
              ["connection", "close"]
            ]
          })
          .then((r) => r.json() as Promise<Seen>)
      )
      const multi = pairs.rawHeaders.flatMap((v, i) =>
        i % 2 === 0 && v.toLowerCase() === "x-multi" ? [pairs.rawHeaders[i + 1]] : []
      )
      assert.deepStrictEqual(multi, ["a", "b"], "each value of a repeated header is sent")
      assert.strictEqual(pairs.headers.authorization, "Bearer sk-test")
      assert.notStrictEqual(pairs.headers.connection, "close", "connection management is the pool's")

      const headers = new Headers({ "x-api-key": "k" })
      headers.append("accept", "application/json")
      const fromHeaders = yield* Effect.promise(() =>
        t.fetch(new URL(`${server.origin}/h`), { headers }).then((r) => r.json() as Promise<Seen>)
      )
      assert.strictEqual(fromHeaders.headers["x-api-key"], "k")
      assert.strictEqual(fromHeaders.url, "/h")

      const request = new Request(`${server.origin}/req`, {
        method: "PATCH",
        headers: { "x-from": "request" },
        body: "patched"
      })
      const fromRequest = yield* Effect.promise(() => t.fetch(request).then((r) => r.json() as Promise<Seen>))
      assert.deepInclude(fromRequest, { method: "PATCH", url: "/req", body: "patched" })
      assert.strictEqual(fromRequest.headers["x-from"], "request")
    })
  )

  it.effect("what fetch refuses is refused with a TypeError, before anything is sent", () =>
    Effect.gen(function* () {
      const t = yield* transport()
      for (const [input, init] of [
        ["http://127.0.0.1:1/", { method: "GET", body: "x" }],
        ["not a url", undefined],
        ["ftp://127.0.0.1/", undefined],
        ["http://user:pass@127.0.0.1:1/", undefined]
      ] as const) {
        const error = yield* Effect.flip(Effect.tryPromise(() => t.fetch(input, init)))
        assert.instanceOf(error.cause, TypeError, String(input))
      }
      const aborted = AbortSignal.abort(new Error("already"))
      const early = yield* Effect.flip(Effect.tryPromise(() => t.fetch("http://127.0.0.1:1/", { signal: aborted })))
      assert.strictEqual(early.cause, aborted.reason)
    })
  )
})
