import { Upstream } from "@am/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import OpenAI, { RateLimitError } from "openai"
import { testServer, transport } from "./support.ts"

describe("status, headers and body come back as the upstream sent them", () => {
  it.effect("a 429 keeps its status text, retry-after, rate-limit headers, repeated headers and JSON body", () =>
    Effect.gen(function* () {
      const body = { error: { message: "Rate limit reached", type: "requests", code: "rate_limit_exceeded" } }
      const server = yield* testServer((req, res) => {
        req.resume()
        res.statusMessage = "Too Many Requests"
        res.setHeader("content-type", "application/json")
        res.setHeader("retry-after", "7")
        res.setHeader("x-ratelimit-remaining-requests", "0")
        res.setHeader("x-ratelimit-reset-requests", "6m0s")
        res.setHeader("x-multi", ["a", "b"])
        res.setHeader("x-request-id", "req_123")
        res.writeHead(429)
        res.end(JSON.stringify(body))
      })
      const t = yield* transport()
      const response = yield* Effect.promise(() =>
        t.fetch(`${server.origin}/v1/chat/completions`, { method: "POST", body: "{}" })
      )
      assert.strictEqual(response.status, 429)
      assert.strictEqual(response.statusText, "Too Many Requests")
      assert.isFalse(response.ok)
      assert.strictEqual(response.headers.get("retry-after"), "7")
      assert.strictEqual(response.headers.get("x-ratelimit-reset-requests"), "6m0s")
      assert.strictEqual(response.headers.get("x-multi"), "a, b", "both values of a repeated header")
      assert.strictEqual(response.url, `${server.origin}/v1/chat/completions`)
      assert.deepStrictEqual(yield* Effect.promise(() => response.json()), body)
    })
  )

  it.effect("the OpenAI SDK over the transport sees the testkit's 429 with its headers (the retry signal)", () =>
    Effect.gen(function* () {
      const upstream = yield* Upstream.scoped({ kind: "openai", script: [{ sequence: [429] }] })
      const t = yield* transport()
      const client = new OpenAI({ apiKey: "sk-test", baseURL: upstream.baseURL, maxRetries: 0, fetch: t.fetch })
      const error = yield* Effect.flip(
        Effect.tryPromise(() =>
          client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] })
        )
      )
      const e = error.cause
      assert.instanceOf(e, RateLimitError)
      const rateLimit = e as RateLimitError
      assert.strictEqual(rateLimit.status, 429)
      assert.strictEqual(rateLimit.code, "rate_limit_exceeded")
      assert.isNotNull(rateLimit.headers.get("x-ratelimit-remaining-requests"))
      assert.match(rateLimit.requestID ?? "", /^req_/)
    })
  )

  it.effect("5xx text bodies, 204 and HEAD (null bodies) and a 307 (returned, not followed)", () =>
    Effect.gen(function* () {
      let followed = 0
      const server = yield* testServer((req, res) => {
        req.resume()
        if (req.url === "/html") {
          res.writeHead(502, { "content-type": "text/html" })
          res.end("<html><title>502 Bad Gateway</title></html>")
        } else if (req.url === "/empty") {
          res.writeHead(204)
          res.end()
        } else if (req.url === "/moved") {
          res.writeHead(307, { location: "/elsewhere" })
          res.end()
        } else if (req.url === "/elsewhere") {
          followed++
          res.end("should not be asked")
        } else {
          res.writeHead(200, { "content-length": "11" })
          res.end(req.method === "HEAD" ? undefined : "hello world")
        }
      })
      const t = yield* transport()
      const html = yield* Effect.promise(() => t.fetch(`${server.origin}/html`))
      assert.strictEqual(html.status, 502)
      assert.strictEqual(yield* Effect.promise(() => html.text()), "<html><title>502 Bad Gateway</title></html>")
      const empty = yield* Effect.promise(() => t.fetch(`${server.origin}/empty`, { method: "DELETE" }))
      assert.strictEqual(empty.status, 204)
      assert.isNull(empty.body)
      const head = yield* Effect.promise(() => t.fetch(`${server.origin}/`, { method: "head" }))
      assert.strictEqual(head.headers.get("content-length"), "11")
      assert.isNull(head.body)
      const moved = yield* Effect.promise(() => t.fetch(`${server.origin}/moved`, { method: "POST", body: "{}" }))
      assert.strictEqual(moved.status, 307)
      assert.strictEqual(moved.headers.get("location"), "/elsewhere")
      const refused = yield* Effect.flip(
        Effect.tryPromise(() => t.fetch(`${server.origin}/moved`, { method: "POST", body: "{}", redirect: "error" }))
      )
      assert.instanceOf(refused.cause, TypeError)
      // The same pool still answers after the null bodies (their sockets went back to it).
      const after = yield* Effect.promise(() => t.fetch(`${server.origin}/`).then((r) => r.text()))
      assert.strictEqual(after, "hello world")
      assert.strictEqual(followed, 0, "the redirect target was never requested")
    })
  )

  it.effect("network failures look like fetch's: TypeError('fetch failed') with the socket error as cause", () =>
    Effect.gen(function* () {
      const server = yield* testServer((req) => {
        req.resume()
        // A reset before the headers (what the testkit's reset_before_headers does).
        req.socket.resetAndDestroy()
      })
      const t = yield* transport()
      const reset = yield* Effect.flip(Effect.tryPromise(() => t.fetch(server.origin, { method: "POST", body: "{}" })))
      const failure = reset.cause as TypeError & { cause?: { code?: string } }
      assert.instanceOf(failure, TypeError)
      assert.strictEqual(failure.message, "fetch failed")
      assert.strictEqual(failure.cause?.code, "ECONNRESET")

      const midBody = yield* testServer((req, res) => {
        req.resume()
        res.writeHead(200, { "content-type": "text/event-stream" })
        res.write("data: first\n\n", () => res.socket?.resetAndDestroy())
      })
      const response = yield* Effect.promise(() => t.fetch(midBody.origin))
      const cut = yield* Effect.flip(Effect.tryPromise(() => response.text()))
      assert.strictEqual((cut.cause as Error).message, "terminated")

      const refused = yield* Effect.flip(Effect.tryPromise(() => t.fetch("http://127.0.0.1:1/")))
      assert.strictEqual(((refused.cause as TypeError).cause as { code?: string }).code, "ECONNREFUSED")
    })
  )
})
